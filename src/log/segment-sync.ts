/**
 * How a journal checkpoint makes a segment durable. A checkpoint fdatasyncs every segment
 * written since the last one, up to 32 MiB in all, and a plain fdatasync hands a segment's
 * whole dirty range to the disk at once: the journal's small write and flush, which
 * acknowledgements wait for, then queue behind megabytes of it. The project's addon
 * (native/chunked-sync.c) writes the range back 1 MiB at a time, each chunk waited for, and
 * then fdatasyncs, so at most one chunk is ahead of the journal's flush.
 *
 * Measured with C probes on this machine (a 50 MB/s writer over 8 files checkpointing every
 * 32 MiB, a busy core, and a 128 KiB write + fdatasync loop timed beside it; six rounds): the
 * timed sync's p99 was 2.0-7.1 ms (median 3.2) with 1 MiB chunks against 4.9-7.7 ms (median
 * 6.1) with plain fdatasync, and a checkpoint took about as long (45-51 against 48 ms).
 * 256 KiB and 4 MiB chunks did worse than 1 MiB. Alternated with the server before it
 * (ProducerPerformance, 8 partitions, acks=all): at half rate the calm runs' p99 was 16-37 ms
 * (median 17) against 25-54 (median 26); at full speed records/s and CPU per GB moved either
 * way (medians of 8 pairs 1.13x and 0.99x; README, "Paced checkpoint write-back").
 *
 * Durability does not depend on the range: the fdatasync at the end covers the whole file.
 */
import type { FileHandle } from 'node:fs/promises';
import { loadNativeAddon } from '../native-addon.js';

/** Bytes written back per step of a checkpoint's segment sync. */
export const CHECKPOINT_WRITEBACK_CHUNK_BYTES = 1024 * 1024;

/** native/chunked-sync.c's export: writes [from, to) of fd back chunkBytes at a time, then fdatasyncs. */
export interface ChunkedSyncAddon {
  syncInChunks(fd: number, from: number, to: number, chunkBytes: number): Promise<void>;
}

const loaded = loadNativeAddon<ChunkedSyncAddon>('chunked-sync.node');
const syncInChunks = loaded.addon?.syncInChunks ?? null;

/** Which implementation runs, and why the addon is not used when it is not (for start-up logs and tests). */
export const segmentSyncBackend: { name: 'chunked' | 'fdatasync'; fallbackReason: string | null } = syncInChunks
  ? { name: 'chunked', fallbackReason: null }
  : { name: 'fdatasync', fallbackReason: loaded.error };

/**
 * Makes the file durable, writing [from, to) back in chunks first when the addon is there.
 * Rejects like FileHandle.datasync(): an Error with the errno name as its code (EBADF for a
 * handle already closed).
 */
export function syncWrittenRange(handle: FileHandle, from: number, to: number): Promise<void> {
  if (!syncInChunks || to <= from) return handle.datasync();
  return syncInChunks(handle.fd, from, to, CHECKPOINT_WRITEBACK_CHUNK_BYTES);
}
