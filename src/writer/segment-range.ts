/**
 * Whole record batches from a byte range of a segment file, read through a file handle a
 * chunk at a time so a task's memory does not grow with its range. The batches yielded are
 * views into a buffer that the next read reuses: consume them before asking for more.
 */
import { open } from 'node:fs/promises';
import { BatchLayout, batchSizeAt } from '../protocol/records/batch-header.js';
import { TaskInputError } from './errors.js';

export const DEFAULT_READ_CHUNK = 8 * 1024 * 1024;

export interface SegmentBatch {
  /** The whole batch, header included. */
  bytes: Buffer;
  /** File position of the batch, for error messages. */
  position: number;
}

export async function* readBatchRange(
  path: string,
  position: number,
  length: number,
  chunkSize = DEFAULT_READ_CHUNK,
): AsyncGenerator<SegmentBatch[]> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new TaskInputError(`cannot open segment ${path}: ${(err as Error).message}`);
  }
  try {
    let buf = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(length, BatchLayout.HEADER_SIZE)));
    let filled = 0; // bytes in buf not yet handed out, starting at buf[0]
    let filePos = position; // file position of the next byte to read
    let bufPos = position; // file position of buf[0]
    const end = position + length;
    while (filePos < end || filled > 0) {
      if (filePos < end) {
        const { bytesRead } = await handle.read(buf, filled, Math.min(buf.length - filled, end - filePos), filePos);
        if (bytesRead === 0) throw new TaskInputError(`segment ${path} ends at byte ${filePos}, before the range end ${end}`);
        filled += bytesRead;
        filePos += bytesRead;
      }
      const batches: SegmentBatch[] = [];
      let at = 0;
      for (;;) {
        const size = batchSizeAt(buf.subarray(0, filled), at);
        if (size < 0 || (size >= BatchLayout.HEADER_SIZE && size > filled - at)) {
          if (size > buf.length) {
            // One batch larger than the buffer: grow to hold it whole.
            const bigger = Buffer.allocUnsafe(size);
            buf.copy(bigger, 0, at, filled);
            buf = bigger;
            filled -= at;
            bufPos += at;
            at = 0;
          }
          break;
        }
        if (size < BatchLayout.HEADER_SIZE) {
          throw new TaskInputError(`segment ${path}: the batch at byte ${bufPos + at} declares ${size} bytes, less than a batch header; the range is not whole batches`);
        }
        batches.push({ bytes: buf.subarray(at, at + size), position: bufPos + at });
        at += size;
      }
      if (batches.length > 0) yield batches;
      if (filePos >= end && filled - at > 0 && batches.length === 0) {
        throw new TaskInputError(`segment ${path}: the range ends inside the batch at byte ${bufPos + at}`);
      }
      if (at > 0) {
        buf.copy(buf, 0, at, filled);
        filled -= at;
        bufPos += at;
      }
    }
  } finally {
    await handle.close();
  }
}
