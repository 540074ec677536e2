/**
 * The sync journal's physical record, and a streaming reader of one journal file.
 *
 * Record layout (big-endian), one per batch:
 *
 *   offset 0   u32  crc32c of bytes 4 .. the batch's CRC field (the length field, the header,
 *                    the batch's first 21 bytes: BaseOffset, Length, epoch, magic, CRC)
 *   offset 4   u32  bodyLength: bytes after this 8-byte prefix (18 + keyLength + batch - 8)
 *   offset 8   u64  generation of the file the record was written to
 *   offset 16  u16  keyLength
 *   offset 18       key (utf8: the partition log's directory name)
 *   ...             batch bytes (a whole record batch, as the partition log wrote it)
 *
 * The rest of the batch is covered by the batch's own CRC-32C (Kafka's, over Attributes to
 * the end, checked when the batch was produced): CRCing the whole batch again would be per-byte
 * work on the produce path (it was 15% of the server's CPU). Replay checks both.
 *
 * Records follow each other with no padding from position 0 of a file. A reader stops a file
 * at the first record that is not valid: a body too short to hold generation and key length
 * (a pre-zeroed or never-written region reads as length 0), a length running past the end of
 * the file, a CRC mismatch (a torn write), or a generation other than the file's (a record left
 * from an older lap of the ring, behind the point where the current lap stopped writing).
 */
import type { FileHandle } from 'node:fs/promises';
import { BatchLayout, hasValidCrc } from '../../protocol/records/batch-header.js';
import { crc32c } from '../../protocol/records/crc32c.js';
import { readAt } from '../fs-util.js';

const PREFIX_BYTES = 8; // crc + bodyLength
const HEADER_BYTES = 18; // prefix + generation + keyLength
const MIN_BODY_BYTES = HEADER_BYTES - PREFIX_BYTES;
const MAX_KEY_BYTES = 0xffff;

/** Replay reads a file this much at a time (more only for a record larger than this). */
export const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;

export interface JournalEntry {
  logKey: string;
  batch: Buffer;
}

/** The bytes one batch takes in the journal, header included. */
export function recordBytes(key: Buffer, batch: Buffer): number {
  return HEADER_BYTES + key.length + batch.length;
}

export function encodeKey(logKey: string): Buffer {
  const key = Buffer.from(logKey, 'utf8');
  if (key.length > MAX_KEY_BYTES) throw new Error(`journal key longer than ${MAX_KEY_BYTES} bytes: ${logKey.slice(0, 80)}...`);
  return key;
}

/**
 * The header (crc, length, generation, key) to write in front of `batch`. The header is built
 * at write time, not at append time, because the generation is known only then (a rotation
 * may come between the two).
 */
export function encodeRecordHeader(generation: number, key: Buffer, batch: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES + key.length);
  header.writeUInt32BE(HEADER_BYTES - PREFIX_BYTES + key.length + batch.length, 4);
  header.writeBigUInt64BE(BigInt(generation), 8);
  header.writeUInt16BE(key.length, 16);
  key.copy(header, HEADER_BYTES);
  // Incremental CRC over the header, then the batch's prefix up to Attributes.
  header.writeUInt32BE(crc32c(batch.subarray(0, BatchLayout.ATTRIBUTES), crc32c(header.subarray(4))) >>> 0, 0);
  return header;
}

/**
 * Reads ranges of a file through one chunk buffer at a time, so replay holds at most
 * max(chunk, one record) in memory. A range straddling the chunk's end is re-read from its start.
 */
class ChunkedFile {
  private buf: Buffer = Buffer.alloc(0);
  private bufPos = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly chunkBytes: number,
  ) {}

  /** Exactly n bytes at pos, or null when they run past the end of the file. */
  async bytes(pos: number, n: number): Promise<Buffer | null> {
    if (pos + n > this.size) return null;
    const from = pos - this.bufPos;
    if (from >= 0 && from + n <= this.buf.length) return this.buf.subarray(from, from + n);
    this.buf = await readAt(this.handle, pos, Math.min(Math.max(n, this.chunkBytes), this.size - pos));
    this.bufPos = pos;
    return this.buf.length >= n ? this.buf.subarray(0, n) : null;
  }
}

/**
 * Yields the valid records of one file from `start`, stopping at the first invalid one.
 * Each batch is copied out of the read chunk so a caller keeping it does not pin the chunk.
 */
export async function* readJournalFile(
  handle: FileHandle,
  generation: number,
  start: number,
  chunkBytes = REPLAY_CHUNK_BYTES,
): AsyncGenerator<JournalEntry> {
  const file = new ChunkedFile(handle, (await handle.stat()).size, chunkBytes);
  const expected = BigInt(generation);
  for (let pos = start; ; ) {
    const prefix = await file.bytes(pos, PREFIX_BYTES);
    if (prefix === null) return;
    const bodyLength = prefix.readUInt32BE(4);
    if (bodyLength < MIN_BODY_BYTES) return;
    const record = await file.bytes(pos, PREFIX_BYTES + bodyLength);
    if (record === null) return;
    const keyEnd = HEADER_BYTES + record.readUInt16BE(16);
    if (keyEnd + BatchLayout.HEADER_SIZE > record.length) return;
    if ((crc32c(record.subarray(4, keyEnd + BatchLayout.ATTRIBUTES)) >>> 0) !== record.readUInt32BE(0)) return;
    if (record.readBigUInt64BE(8) !== expected) return;
    const batch = record.subarray(keyEnd);
    if (!hasValidCrc(batch)) return;
    yield { logKey: record.toString('utf8', HEADER_BYTES, keyEnd), batch: Buffer.from(batch) };
    pos += record.length;
  }
}

/** Whether the file's first record is valid and belongs to `generation` (not an older lap). */
export async function startsGeneration(handle: FileHandle, generation: number): Promise<boolean> {
  for await (const _ of readJournalFile(handle, generation, 0)) return true;
  return false;
}
