/**
 * Sequential reader of record batches in a region of a segment file. Reads large chunks so a
 * scan over many small batches costs few syscalls; parses only the 61-byte headers.
 * It checks framing only (a sane Length that fits in the region); what a batch must contain
 * to be kept (CRC, magic, contiguous offsets) is the caller's rule.
 */
import type { FileHandle } from 'node:fs/promises';
import { BatchLayout, readRecordBatchHeader, type RecordBatchHeader } from '../protocol/records/batch-header.js';

export interface FramedBatch {
  position: number;
  size: number;
  header: RecordBatchHeader;
  /** The whole batch; a view into the reader's chunk, valid until the next call. Null when headersOnly. */
  bytes: Buffer | null;
}

/** Why a scan ended before the end of its region. */
export type FramingStop = 'truncated' | 'bad-length';

const DEFAULT_CHUNK = 1 << 20;
const MIN_BATCH_SIZE = BatchLayout.HEADER_SIZE;

abstract class ChunkedBatchScanner {
  position: number;
  stop: FramingStop | null = null;
  protected chunk: Buffer = Buffer.alloc(0);
  protected chunkStart = 0;

  constructor(
    start: number,
    protected readonly end: number,
    protected readonly headersOnly: boolean,
    protected readonly chunkSize: number,
  ) {
    this.position = start;
  }

  protected available(): number {
    return this.chunkStart + this.chunk.length - this.position;
  }

  protected offsetInChunk(): number {
    return this.position - this.chunkStart;
  }

  /** Called with the header bytes buffered; returns the framed batch or records why not. */
  protected frame(refilled: boolean): FramedBatch | null | 'need-body' {
    const at = this.offsetInChunk();
    const size = this.chunk.readInt32BE(at + BatchLayout.LENGTH) + BatchLayout.LOG_OVERHEAD;
    if (size < MIN_BATCH_SIZE) {
      this.stop = 'bad-length';
      return null;
    }
    if (this.position + size > this.end) {
      this.stop = 'truncated';
      return null;
    }
    let bytes: Buffer | null = null;
    if (!this.headersOnly) {
      if (this.available() < size) {
        if (!refilled) return 'need-body';
        this.stop = 'truncated';
        return null;
      }
      const a = this.offsetInChunk();
      bytes = this.chunk.subarray(a, a + size);
    }
    const header = readRecordBatchHeader(this.chunk, this.offsetInChunk());
    const batch: FramedBatch = { position: this.position, size, header, bytes };
    this.position += size;
    return batch;
  }

  protected wantBytes(): number {
    return Math.min(this.end - this.position, this.chunkSize);
  }

  protected headerWindow(): number {
    return Math.min(this.end - this.position, BatchLayout.HEADER_SIZE);
  }
}

export class BatchReader extends ChunkedBatchScanner {
  constructor(
    private readonly handle: FileHandle,
    start: number,
    end: number,
    opts: { headersOnly?: boolean; chunkSize?: number } = {},
  ) {
    super(start, end, opts.headersOnly ?? false, opts.chunkSize ?? DEFAULT_CHUNK);
  }

  /** The next framed batch, or null at the end of the region or at a framing error (see stop). */
  async next(): Promise<FramedBatch | null> {
    if (this.stop || this.position >= this.end) return null;
    if (this.end - this.position < BatchLayout.HEADER_SIZE) {
      this.stop = 'truncated';
      return null;
    }
    if (this.available() < BatchLayout.HEADER_SIZE) await this.fill(this.wantBytes());
    if (this.available() < BatchLayout.HEADER_SIZE) {
      this.stop = 'truncated';
      return null;
    }
    let r = this.frame(false);
    if (r === 'need-body') {
      const size = this.chunk.readInt32BE(this.offsetInChunk() + BatchLayout.LENGTH) + BatchLayout.LOG_OVERHEAD;
      await this.fill(Math.max(size, this.wantBytes()));
      r = this.frame(true);
    }
    return r === 'need-body' ? null : r;
  }

  private async fill(length: number): Promise<void> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, this.position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.chunk = buf.subarray(0, got);
    this.chunkStart = this.position;
  }
}
