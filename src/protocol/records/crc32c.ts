/**
 * CRC-32C (Castagnoli), the checksum of record batch v2. Computed by a native library
 * (SSE4.2 / ARM CRC instructions) because it runs once per produced batch on the event loop.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Uint8Array): number {
  return nativeCrc32c(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >>> 0;
}
