/**
 * One segment of a partition log: <base>.log holding batches back to back exactly as produced
 * (BaseOffset assigned), plus its sparse .index and .timeindex. The segment tracks two ends:
 * `size`, what the writer has put in the file, and `readableSize`, the part below the high
 * watermark that readers may see. Indexes are only fed with readable batches.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { BatchReader } from './batch-reader.js';
import { OffsetIndex } from './offset-index.js';
import { syncWrittenRange } from './segment-sync.js';
import { TimeIndex } from './time-index.js';
import { fsyncDir, offsetFileName, readAt, unlinkIfExists, isNotFound } from './fs-util.js';
import { BatchLayout } from '../protocol/records/batch-header.js';
import { firstRecordAt, firstRecordAtOrAfter, type TimestampAndOffset } from '../protocol/records/record-search.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

/** Decompression bound for the one batch a timestamp lookup decodes (a stored batch is at most max.message.bytes compressed). */
const MAX_DECODED_BATCH_BYTES = 128 * 1024 * 1024;

export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  offsetIndex = new OffsetIndex();
  timeIndex = new TimeIndex();
  size = 0;
  readableSize = 0;
  /**
   * Bytes at the start of the file known to be synced: where a journal checkpoint starts its
   * paced write-back (segment-sync.ts). Only a hint for pacing; every sync covers the whole file.
   */
  syncedSize = 0;
  /** Offset after the last readable batch. */
  nextOffset: bigint;
  maxTimestamp = -1n;
  /** Last offset of the (first) batch carrying maxTimestamp. */
  offsetOfMaxTimestamp = -1n;
  private bytesSinceIndexEntry = 0;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly handle: FileHandle,
    public indexIntervalBytes: number,
    /** Wall-clock ms the segment started, for segmentMs rolling. */
    readonly createdMs: number,
  ) {
    this.logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.nextOffset = baseOffset;
  }

  /** A brand-new, empty segment; its directory entry is fsynced so a roll survives a crash. */
  static async create(dir: string, baseOffset: bigint, indexIntervalBytes: number, nowMs: number): Promise<LogSegment> {
    const logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    // O_EXCL: a leftover file at this name would mean the caller mis-tracked the log end.
    const handle = await open(logPath, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    const seg = new LogSegment(dir, baseOffset, handle, indexIntervalBytes, nowMs);
    await Promise.all([writeWhole(seg.indexPath, Buffer.alloc(0), false), writeWhole(seg.timeIndexPath, Buffer.alloc(0), false)]);
    await fsyncDir(dir);
    return seg;
  }

  /** Opens an existing segment file; sizes and indexes are established by recovery or loadIndexes. */
  static async openExisting(dir: string, baseOffset: bigint, indexIntervalBytes: number): Promise<LogSegment> {
    const logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    const handle = await open(logPath, fsc.O_RDWR);
    const st = await handle.stat();
    const born = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
    const seg = new LogSegment(dir, baseOffset, handle, indexIntervalBytes, Math.min(born, Date.now()));
    seg.size = st.size;
    // Whatever a crashed process left dirty is still covered by the next sync; this only
    // keeps the first checkpoint from pacing through the whole file.
    seg.syncedSize = st.size;
    return seg;
  }

  relative(offset: bigint): number {
    return Number(offset - this.baseOffset);
  }

  /**
   * A batch at `position` has become readable: advance the readable end and feed the indexes.
   * Called in log order, including during recovery.
   */
  onBatchReadable(position: number, size: number, baseOffset: bigint, lastOffset: bigint, maxTimestamp: bigint): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry >= this.indexIntervalBytes) {
      this.offsetIndex.append(this.relative(baseOffset), position);
      if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.relative(this.offsetOfMaxTimestamp));
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    this.readableSize = position + size;
    this.nextOffset = lastOffset + 1n;
  }

  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    this.readableSize = 0;
    this.nextOffset = this.baseOffset;
  }

  /**
   * Position and size of the batch holding `offset`, searching readable data only. The index
   * entry is checked against the batch it points to, so a stale index costs a longer scan,
   * never a wrong answer.
   */
  async findBatch(offset: bigint): Promise<{ position: number; size: number } | null> {
    const entry = this.offsetIndex.lookup(this.relative(offset));
    const found = await this.scanFor(offset, entry.position, this.baseOffset + BigInt(entry.relativeOffset));
    if (found !== 'stale-index') return found;
    return (await this.scanFor(offset, 0, this.baseOffset)) as { position: number; size: number } | null;
  }

  private async scanFor(
    offset: bigint,
    start: number,
    expectedFirst: bigint,
  ): Promise<{ position: number; size: number } | null | 'stale-index'> {
    const reader = new BatchReader(this.handle, start, this.readableSize, { headersOnly: true, chunkSize: this.scanChunk() });
    let first = true;
    for (let b = await reader.next(); b; b = await reader.next()) {
      if (first && b.header.baseOffset !== expectedFirst) return start === 0 ? null : 'stale-index';
      first = false;
      if (b.header.baseOffset + BigInt(b.header.lastOffsetDelta) >= offset) return { position: b.position, size: b.size };
    }
    return first && start > 0 ? 'stale-index' : null;
  }

  /** A lookup scans about one index interval of headers: read that much at once, no more. */
  private scanChunk(): number {
    return Math.max(4096, Math.min(64 * 1024, this.indexIntervalBytes + 2 * BatchLayout.HEADER_SIZE));
  }

  /**
   * The first readable record with a timestamp >= ts: the time index gives where to start, batch
   * headers are scanned to the first batch whose MaxTimestamp >= ts, and that batch is decoded
   * for the record. The scan is usually about one index interval; after an out-of-order spike
   * in timestamps it can be long, which is why it reads asynchronously.
   */
  async findByTimestamp(ts: bigint): Promise<TimestampAndOffset | null> {
    if (this.maxTimestamp < ts) return null;
    const below = this.timeIndex.lastBelow(ts);
    let start = 0;
    let expected = this.baseOffset;
    if (below) {
      const e = this.offsetIndex.lookup(below.relativeOffset + 1);
      start = e.position;
      expected = this.baseOffset + BigInt(e.relativeOffset);
    }
    let r = await this.scanTimestamp(ts, start, expected);
    if (r === 'stale-index') r = await this.scanTimestamp(ts, 0, this.baseOffset);
    return r === 'stale-index' ? null : r;
  }

  private async scanTimestamp(ts: bigint, start: number, expectedFirst: bigint): Promise<TimestampAndOffset | null | 'stale-index'> {
    const reader = new BatchReader(this.handle, start, this.readableSize, { headersOnly: true, chunkSize: this.scanChunk() });
    let first = true;
    for (let b = await reader.next(); b; b = await reader.next()) {
      if (first && b.header.baseOffset !== expectedFirst) return start === 0 ? null : 'stale-index';
      first = false;
      if (b.header.maxTimestamp < ts) continue;
      const found = firstRecordAtOrAfter(await this.readBatch(b.position, b.size), ts, { maxUncompressedBytes: MAX_DECODED_BATCH_BYTES });
      if (found) return found;
    }
    return null;
  }

  /**
   * The record carrying the segment's largest timestamp (ListOffsets -3): the first record with
   * that timestamp in the batch that set it.
   */
  async recordOfMaxTimestamp(): Promise<TimestampAndOffset | null> {
    if (this.maxTimestamp < 0n) return null;
    const found = await this.findBatch(this.offsetOfMaxTimestamp);
    const exact = found && firstRecordAt(await this.readBatch(found.position, found.size), this.maxTimestamp, { maxUncompressedBytes: MAX_DECODED_BATCH_BYTES });
    // A batch whose MaxTimestamp no record carries: the batch's last offset is Kafka's older answer.
    return exact ?? { offset: this.offsetOfMaxTimestamp, timestamp: this.maxTimestamp };
  }

  private async readBatch(position: number, size: number): Promise<Buffer> {
    const bytes = await readAt(this.handle, position, size);
    if (bytes.length !== size) throw new Error(`${this.logPath}: batch at ${position} is cut short (${bytes.length} of ${size} bytes)`);
    return bytes;
  }

  /**
   * Loads .index/.timeindex of a segment whose log is trusted (sealed before the recovery
   * point, or after a clean shutdown). Returns false if they are missing or implausible; the
   * caller then rebuilds them by scanning the log.
   */
  async loadIndexes(): Promise<boolean> {
    let idxBuf: Buffer;
    let timeBuf: Buffer;
    try {
      [idxBuf, timeBuf] = await Promise.all([readFile(this.indexPath), readFile(this.timeIndexPath)]);
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    const idx = OffsetIndex.parse(idxBuf, this.size);
    if (!idx) return false;
    const last = idx.last();
    if (last) {
      const head = await readAt(this.handle, last.position, BatchLayout.LOG_OVERHEAD);
      if (head.length < BatchLayout.LOG_OVERHEAD || head.readBigInt64BE(0) !== this.baseOffset + BigInt(last.relativeOffset)) {
        return false;
      }
    }
    const tidx = TimeIndex.parse(timeBuf, 0x7fffffff);
    if (!tidx) return false;
    this.offsetIndex = idx;
    this.timeIndex = tidx;
    const lastTime = tidx.last();
    this.maxTimestamp = lastTime ? lastTime.timestamp : -1n;
    this.offsetOfMaxTimestamp = lastTime ? this.baseOffset + BigInt(lastTime.relativeOffset) : -1n;
    return true;
  }

  /**
   * After loadIndexes on a trusted segment: walk the tail after the last index entry to learn
   * where the data ends and restore the in-memory bookkeeping. Returns false if the tail does
   * not end exactly at the end of the file with contiguous offsets (then recover by full scan).
   */
  async loadTail(): Promise<boolean> {
    const last = this.offsetIndex.last();
    const start = last ? last.position : 0;
    let expected = last ? this.baseOffset + BigInt(last.relativeOffset) : this.baseOffset;
    const reader = new BatchReader(this.handle, start, this.size, { headersOnly: true });
    this.bytesSinceIndexEntry = 0;
    for (let b = await reader.next(); b; b = await reader.next()) {
      if (b.header.baseOffset !== expected || b.header.magic !== 2) return false;
      expected = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
      if (b.header.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.header.maxTimestamp;
        this.offsetOfMaxTimestamp = expected - 1n;
      }
      this.bytesSinceIndexEntry += b.size;
    }
    if (reader.stop || reader.position !== this.size) return false;
    this.readableSize = this.size;
    this.nextOffset = expected;
    return true;
  }

  /** Adds the closing time-index entry Kafka writes on roll, so the file records the segment maximum. */
  private finishTimeIndex(): void {
    if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.relative(this.offsetOfMaxTimestamp));
  }

  /** Makes the log durable and writes both indexes whole, fsynced: the segment can be trusted on open. */
  async seal(): Promise<void> {
    this.finishTimeIndex();
    await Promise.all([
      this.handle.datasync(),
      writeWhole(this.indexPath, this.offsetIndex.toBuffer(), true),
      writeWhole(this.timeIndexPath, this.timeIndex.toBuffer(), true),
    ]);
  }

  /**
   * Writes the indexes recovery rebuilt for a segment that is no longer active (fsynced, as the
   * segment now counts as recovered). Like seal(), it adds the closing time-index entry: a
   * trusted segment's maximum timestamp is read back from the time index's last entry.
   */
  async writeIndexes(): Promise<void> {
    this.finishTimeIndex();
    await Promise.all([
      writeWhole(this.indexPath, this.offsetIndex.toBuffer(), true),
      writeWhole(this.timeIndexPath, this.timeIndex.toBuffer(), true),
    ]);
  }

  /**
   * A journal checkpoint's sync: what was written since the last one is written back at a
   * pace (segment-sync.ts), then the whole file is fdatasynced. Rejects as FileHandle.datasync.
   */
  async syncWritten(): Promise<void> {
    const written = this.size;
    await syncWrittenRange(this.handle, this.syncedSize, written);
    this.syncedSize = written;
  }

  async truncateTo(bytes: number): Promise<void> {
    await this.handle.truncate(bytes);
    await this.handle.datasync();
    this.size = bytes;
    this.syncedSize = bytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  async closeAndDelete(): Promise<void> {
    try {
      await this.handle.close();
    } catch {
      // already closed
    }
    await Promise.all([unlinkIfExists(this.logPath), unlinkIfExists(this.indexPath), unlinkIfExists(this.timeIndexPath)]);
  }
}

/**
 * Index files are always written whole: they are small (about 8 bytes per indexIntervalBytes)
 * and are only trusted when the checkpoint says the segment was sealed after they were synced.
 */
async function writeWhole(path: string, data: Buffer, sync: boolean): Promise<void> {
  const h = await open(path, 'w');
  try {
    if (data.length > 0) await h.writeFile(data);
    if (sync) await h.sync();
  } finally {
    await h.close();
  }
}
