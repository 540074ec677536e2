/**
 * CRC-32C (Castagnoli), the checksum of record batch v2. It runs over every produced byte on
 * the event loop, so it uses the project's own addon (native/crc32c.c: three interleaved
 * streams of the SSE4.2 crc32 instruction, about 14 GB/s on 16 KiB batches here) and falls
 * back to @node-rs/crc32 (one stream, about 3 GB/s) where the addon was not built.
 */
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { loadNativeAddon } from '../../native-addon.js';

type Crc32cFn = (data: Uint8Array, previous?: number) => number;

const loaded = loadNativeAddon<{ crc32c: Crc32cFn }>('crc32c.node');
const nativeCrc32c = loaded.addon?.crc32c ?? null;

/** Which implementation runs, and why the addon is not used when it is not (for start-up logs and tests). */
export const crc32cBackend: { name: 'lakegate-native' | '@node-rs/crc32'; fallbackReason: string | null } = nativeCrc32c
  ? { name: 'lakegate-native', fallbackReason: null }
  : { name: '@node-rs/crc32', fallbackReason: loaded.error };

const fallback: Crc32cFn = (data, previous = 0) =>
  nodeRsCrc32c(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), previous) >>> 0;

/** The CRC-32C of data (unsigned), continuing `previous` (the CRC of the bytes before it) when given. */
export const crc32c: Crc32cFn = nativeCrc32c ?? fallback;
