/**
 * The durable log of one topic-partition: assigns offsets, enforces idempotence, writes batches
 * through group commit, serves reads up to the high watermark, and rolls segments.
 *
 * Two views of the end of the log:
 * - logEndOffset: next offset to assign. Advanced synchronously by append, so concurrent
 *   callers get offsets in call order.
 * - highWatermark: end of the data that may be served. Under 'before-ack' it is the end of
 *   what has been fdatasynced; under 'interval' and 'os' the end of what has reached the OS.
 */
import { basename, join } from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { TimestampAndOffset } from '../protocol/records/record-search.js';
import {
  BatchLayout,
  batchSizeAt,
  readRecordBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  type RecordBatchHeader,
} from '../protocol/records/batch-header.js';
import { BatchReader } from './batch-reader.js';
import { writeCheckpoint } from './checkpoint.js';
import { readAt, storageError, writeAllAtSync } from './fs-util.js';
import { GroupCommitter } from './group-commit.js';
import { SyncPipeline } from './sync-pipeline.js';
import type { JournalRecord } from './journal/types.js';
import { resolveLogOptions, type LogOptions } from './options.js';
import { pruneSnapshots, writeProducerSnapshot } from './producer-snapshot.js';
import type { ProducerSnapshot, ProducerStateManager } from './producer-state.js';
import { recoverPartition } from './recovery.js';
import { LogSegment } from './segment.js';

export interface AppendResult {
  baseOffset: bigint;
  /** The LogAppendTime stamped on the batch, or -1 when the batch keeps CreateTime. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /** True when the batch was a producer retry of one already in the log: nothing was written. */
  duplicate: boolean;
}

/** Whole batches of one segment file, for readers that read the file themselves (workers). */
export interface LogRange {
  segmentPath: string;
  position: number;
  length: number;
  /** Offset of the last record in the range. */
  lastOffset: bigint;
}

export interface LogStats {
  /** fdatasync calls on segment files (group commits, timed syncs, rolls, close). */
  fdatasyncs: number;
  /** Group writes to the active segment; each carries one or more batches. */
  groupCommits: number;
  batchesWritten: number;
  bytesWritten: number;
  segmentRolls: number;
  /** Bytes cut from the tail by the recovery that ran when the log was opened. */
  recoveryTruncatedBytes: number;
  /** True when the last open found a clean shutdown and scanned nothing. */
  openedClean: boolean;
}

interface PendingAppend {
  batch: Buffer;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  resolve: () => void;
  reject: (err: KafkaError) => void;
}

/** A group written to the active segment, durable once its sync completes. */
interface WrittenGroup {
  segment: LogSegment;
  position: number;
  bytes: number;
  items: PendingAppend[];
}

const INT32_MAX = 0x7fffffffn;
/** A single node leads every partition from its creation on, so the epoch never changes. */
export const LEADER_EPOCH = 0;

/**
 * What a log needs of the sync journal (journal/sync-journal.ts): under 'before-ack' a written
 * group is durable once the shared journal holds it, so one fdatasync covers every partition
 * written at the same moment. `tooLarge` says the journal refused a group it cannot hold; the
 * log then syncs its own segment for it.
 */
export interface LogJournal {
  append(record: JournalRecord): Promise<void>;
  tooLarge(err: unknown): boolean;
}
/** fdatasyncs of the segment in flight per log under 'before-ack' without the journal (see SyncPipeline). */
const SYNCS_IN_FLIGHT = 2;
/**
 * Journal appends in flight per log. An append only joins the journal's next group commit, so
 * a limit of 2 held a log's third group back until its first was durable, and by then the
 * journal had started its next sync without it: one more sync to wait for. Measured with
 * ProducerPerformance at full speed, alternating 5 pairs with the limit of 2: 3-15% less
 * server CPU per GB in every pair; throughput moved either way with the host.
 */
const JOURNAL_APPENDS_IN_FLIGHT = 8;

export class PartitionLog {
  readonly stats: LogStats;
  private nextOffset: bigint;
  private hw: bigint;
  /** Active-segment bookkeeping as seen by offset assignment, which runs ahead of the writer. */
  private assignedBase: bigint;
  private assignedBytes: number;
  private assignedCreatedMs: number;
  private readonly committer: GroupCommitter<PendingAppend>;
  private readonly syncs: SyncPipeline<WrittenGroup>;
  private durableWaiters: { end: bigint; resolve: () => void; reject: (e: KafkaError) => void }[] = [];
  private failure: KafkaError | null = null;
  private closing: Promise<void> | null = null;
  private dirty = false;
  private timedSyncQueued = false;
  private syncTimer: NodeJS.Timeout | null = null;
  private journal: LogJournal | null = null;
  /** Segments written to since their last fdatasync while the journal vouched for the data. */
  private readonly unsynced = new Set<LogSegment>();
  /** A failed log's segments that could not be synced when it closed: no checkpoint may pass them. */
  private unsyncable: KafkaError | null = null;
  /** This log's key in the sync journal: its directory name under the data directory. */
  private readonly journalKey: string;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
    private opts: LogOptions,
    private readonly segments: LogSegment[],
    private readonly producers: ProducerStateManager,
    recovered: { clean: boolean; truncatedBytes: number },
  ) {
    const active = this.active;
    this.journalKey = basename(dir);
    this.nextOffset = active.nextOffset;
    this.hw = active.nextOffset;
    this.assignedBase = active.baseOffset;
    this.assignedBytes = active.size;
    this.assignedCreatedMs = active.createdMs;
    this.stats = {
      fdatasyncs: 0,
      groupCommits: 0,
      batchesWritten: 0,
      bytesWritten: 0,
      segmentRolls: 0,
      recoveryTruncatedBytes: recovered.truncatedBytes,
      openedClean: recovered.clean,
    };
    this.committer = new GroupCommitter<PendingAppend>(
      (items) => this.commitGroup(items),
      (err, lost) => this.fail(err, lost),
    );
    this.syncs = new SyncPipeline<WrittenGroup>(
      SYNCS_IN_FLIGHT,
      (g) => {
        this.stats.fdatasyncs++;
        this.groupReadable(g);
      },
      (err, lost) => this.fail(storageError(`sync of ${lost[0]!.segment.logPath} failed`, err), lost.flatMap((g) => g.items)),
    );
    this.startSyncTimer();
  }

  /** Opens (recovering if needed) or creates the log in dir. */
  static async open(dir: string, topic: string, partition: number, options: LogOptions): Promise<PartitionLog> {
    const opts = resolveLogOptions(options);
    try {
      const r = await recoverPartition(dir, opts.indexIntervalBytes);
      return new PartitionLog(topic, partition, dir, opts, r.segments, r.producers, r);
    } catch (e) {
      throw storageError(`cannot open log ${dir}`, e);
    }
  }

  /** The storage error that failed this log (it then refuses appends until a restart), or null. */
  get failed(): KafkaError | null {
    return this.failure;
  }

  get logStartOffset(): bigint {
    return this.segments[0]!.baseOffset;
  }

  get logEndOffset(): bigint {
    return this.nextOffset;
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  get options(): Readonly<LogOptions> {
    return this.opts;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tools and tests). */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }

  get groupCommitStats() {
    return this.committer.stats;
  }

  /** Applies changed topic configs; they take effect from the next append or roll. */
  setOptions(overrides: Partial<LogOptions>): void {
    const next = resolveLogOptions(this.opts, overrides);
    const timerChanged = next.fsync !== this.opts.fsync || next.fsyncIntervalMs !== this.opts.fsyncIntervalMs;
    this.opts = next;
    for (const s of this.segments) s.indexIntervalBytes = next.indexIntervalBytes;
    if (timerChanged) {
      this.stopSyncTimer();
      this.startSyncTimer();
    }
  }

  /**
   * Appends one record batch (the buffer holds exactly that batch; the log takes ownership and
   * rewrites its BaseOffset in place). Idempotence checks and offset assignment happen before
   * this returns; the promise settles when the batch is durable per the fsync policy. The
   * returned promise never counts as an unhandled rejection, so acks=0 callers may drop it.
   */
  append(batch: Buffer, header: RecordBatchHeader, opts: { logAppendTimeMs?: bigint } = {}): Promise<AppendResult> {
    let p: Promise<AppendResult>;
    try {
      p = this.appendSync(batch, header, opts);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.catch(() => {});
    return p;
  }

  private appendSync(batch: Buffer, header: RecordBatchHeader, opts: { logAppendTimeMs?: bigint }): Promise<AppendResult> {
    if (this.failure) throw this.failure;
    if (this.closing) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`);
    if (batch.length < BatchLayout.HEADER_SIZE || batch.length !== header.length + BatchLayout.LOG_OVERHEAD) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch is ${batch.length} bytes but its Length says ${header.length + 12}`);
    }
    if (header.lastOffsetDelta < 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'negative LastOffsetDelta');

    const original = this.producers.check(header);
    if (original) {
      const result: AppendResult = {
        baseOffset: original.baseOffset,
        logAppendTimeMs: original.appendTimeMs,
        logStartOffset: this.logStartOffset,
        duplicate: true,
      };
      // The original may still be in flight: the retry is acknowledged only when it would be.
      return this.whenDurable(original.baseOffset + BigInt(original.lastOffsetDelta) + 1n).then(() => result);
    }

    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + BigInt(header.lastOffsetDelta);
    const now = Date.now();
    this.maybeScheduleRoll(batch.length, lastOffset, now);

    setBaseOffset(batch, baseOffset);
    // Producers send -1; Kafka stamps the leader's epoch, which consumers check for truncation.
    setPartitionLeaderEpoch(batch, LEADER_EPOCH);
    let appendTime = -1n;
    let maxTimestamp = header.maxTimestamp;
    if (opts.logAppendTimeMs !== undefined) {
      stampLogAppendTime(batch, opts.logAppendTimeMs);
      appendTime = opts.logAppendTimeMs;
      maxTimestamp = opts.logAppendTimeMs;
    }
    this.producers.record(header, baseOffset, appendTime);
    this.nextOffset = lastOffset + 1n;
    this.assignedBytes += batch.length;

    const result: AppendResult = { baseOffset, logAppendTimeMs: appendTime, logStartOffset: this.logStartOffset, duplicate: false };
    return new Promise<AppendResult>((resolve, reject) => {
      this.committer.push({ batch, baseOffset, lastOffset, maxTimestamp, resolve: () => resolve(result), reject });
    });
  }

  /**
   * Decided at assignment time, so the writer rolls exactly between the batches assignment
   * saw on either side, and the producer snapshot taken here is the state at the new base.
   */
  private maybeScheduleRoll(size: number, lastOffset: bigint, now: number): void {
    if (this.assignedBytes === 0) return;
    const full = this.assignedBytes + size > this.opts.segmentBytes;
    const old = now - this.assignedCreatedMs >= this.opts.segmentMs;
    const offsetsOverflow = lastOffset - this.assignedBase > INT32_MAX;
    if (!full && !old && !offsetsOverflow) return;
    const newBase = this.nextOffset;
    const snapshot = this.producers.snapshot();
    this.committer.pushBarrier(() => this.roll(newBase, snapshot));
    this.assignedBase = newBase;
    this.assignedBytes = 0;
    this.assignedCreatedMs = now;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private async commitGroup(items: PendingAppend[]): Promise<void> {
    // A sync that failed in the background has failed the log; nothing more may be written.
    if (this.failure) throw this.failure;
    const seg = this.active;
    const position = seg.size;
    let bytes: number;
    try {
      bytes = writeAllAtSync(
        seg.handle.fd,
        items.map((i) => i.batch),
        position,
      );
    } catch (e) {
      throw storageError(`write to ${seg.logPath} failed`, e);
    }
    seg.size += bytes;
    const group: WrittenGroup = { segment: seg, position, bytes, items };
    if (this.opts.fsync === 'before-ack' && this.journal) {
      // The segment is synced later, in bulk, when the journal checkpoints (syncUnsynced).
      this.unsynced.add(seg);
      const journal = this.journal;
      const record = { logKey: this.journalKey, batches: items.map((i) => i.batch) };
      await this.syncs.add(group, () => journal.append(record).catch((err) => (journal.tooLarge(err) ? seg.handle.datasync() : Promise.reject(err))));
    } else if (this.opts.fsync === 'before-ack') {
      await this.syncs.add(group, () => seg.handle.datasync());
    } else {
      this.dirty = true;
      this.groupReadable(group);
    }
  }

  /** A group is durable per the fsync policy: index it, move the high watermark, answer it. */
  private groupReadable({ segment, position, bytes, items }: WrittenGroup): void {
    let pos = position;
    for (const it of items) {
      segment.onBatchReadable(pos, it.batch.length, it.baseOffset, it.lastOffset, it.maxTimestamp);
      pos += it.batch.length;
    }
    this.hw = items[items.length - 1]!.lastOffset + 1n;
    this.stats.groupCommits++;
    this.stats.batchesWritten += items.length;
    this.stats.bytesWritten += bytes;
    for (const it of items) it.resolve();
    this.releaseDurableWaiters();
  }

  /**
   * Seals the active segment (data, indexes and producer snapshot made durable) before the
   * new one exists, and only then moves the recovery point past it.
   */
  private async roll(newBase: bigint, snapshot: ProducerSnapshot): Promise<void> {
    // The old segment's last groups are indexed when their syncs complete, before sealing.
    await this.syncs.settle();
    if (this.failure) throw this.failure;
    try {
      await this.active.seal();
      this.unsynced.delete(this.active);
      this.stats.fdatasyncs++;
      this.dirty = false;
      await writeProducerSnapshot(this.dir, newBase, snapshot);
      const seg = await LogSegment.create(this.dir, newBase, this.opts.indexIntervalBytes, Date.now());
      this.segments.push(seg);
      await writeCheckpoint(this.dir, { recoveryPoint: newBase, clean: null });
      await pruneSnapshots(this.dir);
      this.stats.segmentRolls++;
    } catch (e) {
      throw storageError(`roll of ${this.dir} at offset ${newBase} failed`, e);
    }
  }

  private whenDurable(end: bigint): Promise<void> {
    if (this.hw >= end) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.durableWaiters.push({ end, resolve, reject }));
  }

  private releaseDurableWaiters(): void {
    if (this.durableWaiters.length === 0) return;
    const still: typeof this.durableWaiters = [];
    for (const w of this.durableWaiters) (this.hw >= w.end ? w.resolve() : still.push(w));
    this.durableWaiters = still;
  }

  /**
   * After an I/O error the in-memory end is ahead of the file, so the log stops taking writes
   * until it is reopened (recovery then cuts whatever was half written).
   */
  private fail(err: unknown, lost: PendingAppend[]): void {
    const e = storageError(`log ${this.dir} failed`, err);
    this.failure = e;
    this.stopSyncTimer();
    for (const it of lost) it.reject(e);
    for (const w of this.durableWaiters.splice(0)) w.reject(e);
  }

  private startSyncTimer(): void {
    if (this.opts.fsync !== 'interval') return;
    this.syncTimer = setInterval(() => this.queueTimedSync(), this.opts.fsyncIntervalMs);
    this.syncTimer.unref();
  }

  private stopSyncTimer(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
  }

  private queueTimedSync(): void {
    if (!this.dirty || this.timedSyncQueued || this.failure || this.closing) return;
    this.timedSyncQueued = true;
    this.committer.pushBarrier(async () => {
      this.timedSyncQueued = false;
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await this.active.handle.datasync();
      } catch (e) {
        throw storageError(`fdatasync of ${this.active.logPath} failed`, e);
      }
      this.stats.fdatasyncs++;
    });
  }

  /**
   * Start-up replay of a batch the sync journal holds, before the journal is attached: a
   * batch the log already has is skipped ('present'); the next one is appended exactly as it
   * was acknowledged (offsets, producer ids, timestamps), through the normal path so indexes
   * and producer state follow. A batch past a gap means the log lost data the journal does
   * not hold either; that is a storage error, not something to paper over.
   */
  replayBatch(batch: Buffer): Promise<AppendResult> | 'present' | 'gap' {
    const header = readRecordBatchHeader(batch);
    const last = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (last < this.nextOffset) return 'present';
    // Past the end: the batches between were in no durable place. A group too large for the
    // journal is made durable by a segment fdatasync, and the next group's journal record
    // can be durable first; acknowledgements keep their order, so neither was acknowledged.
    if (header.baseOffset > this.nextOffset) return 'gap';
    if (header.baseOffset !== this.nextOffset) {
      throw storageError(`journal replay into ${this.dir}`, new Error(`the journal holds offsets ${header.baseOffset}..${last} but the log ends at ${this.nextOffset}`));
    }
    return this.append(batch, header);
  }

  /**
   * From now on groups are durable once `journal` holds them (under 'before-ack'). Set once,
   * after start-up replay, before the log takes appends.
   */
  attachJournal(journal: LogJournal): void {
    this.journal = journal;
    this.syncs.setLimit(JOURNAL_APPENDS_IN_FLIGHT);
  }

  /**
   * A journal checkpoint: fdatasyncs every segment written since its last sync, so the journal
   * records of those writes are no longer needed. Segments written meanwhile are synced at the
   * next checkpoint.
   */
  async syncUnsynced(): Promise<void> {
    // A failed log is synced too: what it acknowledged before failing is still only in the
    // journal, and a write that failed (ENOSPC, say) leaves the earlier data syncable. Only
    // a sync that fails fails the checkpoint, and with it the journal of every log (as a
    // failed log directory takes every partition in it offline in Kafka).
    if (this.unsyncable) throw this.unsyncable;
    const segments = [...this.unsynced];
    this.unsynced.clear();
    for (const seg of segments) {
      try {
        await seg.syncWritten();
      } catch (e) {
        // A log closing seals its active segment before it closes the handles, and one aborted
        // is being deleted: a handle closed under us has nothing left to make durable. Any
        // other error is a write-back failure, which Linux reports to one fdatasync only.
        if (this.closing && (e as NodeJS.ErrnoException).code === 'EBADF') continue;
        const err = storageError(`fdatasync of ${seg.logPath} failed`, e);
        if (!this.failure) this.fail(err, []);
        throw err;
      }
      this.stats.fdatasyncs++;
    }
  }

  /** Resolves when everything appended so far is durable (also under 'interval' and 'os'). */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const done = new Promise<void>((resolve, reject) => {
      this.committer.pushBarrier(async () => {
        await this.syncs.settle();
        if (this.failure) {
          reject(this.failure);
          throw this.failure;
        }
        try {
          if (this.dirty) {
            this.dirty = false;
            await this.active.handle.datasync();
            this.stats.fdatasyncs++;
          }
          resolve();
        } catch (e) {
          const err = storageError(`fdatasync of ${this.active.logPath} failed`, e);
          reject(err);
          throw err;
        }
      });
    });
    await done;
  }

  private segmentFor(offset: bigint): LogSegment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  /**
   * Whole batches starting with the one that holds fromOffset, up to maxBytes but at least one
   * batch, never past the high watermark. Reads stay within one segment, like Kafka; the next
   * read continues in the following one. Empty when fromOffset is at the high watermark.
   */
  async read(fromOffset: bigint, maxBytes: number): Promise<Buffer> {
    if (fromOffset < this.logStartOffset || fromOffset > this.nextOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fromOffset} is outside [${this.logStartOffset}, ${this.nextOffset}]`,
      );
    }
    if (fromOffset >= this.hw) return Buffer.alloc(0);
    const seg = this.segmentFor(fromOffset);
    try {
      const found = await seg.findBatch(fromOffset);
      if (!found) return Buffer.alloc(0);
      const want = Math.min(seg.readableSize - found.position, Math.max(maxBytes, found.size));
      const buf = await readAt(seg.handle, found.position, want);
      let end = 0;
      for (let size = batchSizeAt(buf, 0); size > 0 && end + size <= buf.length; size = batchSizeAt(buf, end)) {
        end += size;
      }
      return end === buf.length ? buf : buf.subarray(0, end);
    } catch (e) {
      throw storageError(`read of ${seg.logPath} failed`, e);
    }
  }

  /**
   * Where the committed batches from the one holding fromOffset lie in their segment file, up
   * to about maxBytes (cut at an offset-index entry, so always at a batch boundary; at least
   * one index interval) and never past the high watermark or the segment's end. Lets the
   * worker pool read log data from disk itself instead of through the event loop. Null when
   * fromOffset is at the high watermark.
   */
  async locate(fromOffset: bigint, maxBytes: number): Promise<LogRange | null> {
    if (fromOffset < this.logStartOffset || fromOffset > this.nextOffset) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fromOffset} is outside [${this.logStartOffset}, ${this.nextOffset}]`);
    }
    if (fromOffset >= this.hw) return null;
    const seg = this.segmentFor(fromOffset);
    // Snapshot before awaiting: appends landing meanwhile only extend the readable part.
    let end = seg.readableSize;
    let lastOffset = seg.nextOffset - 1n;
    let found: { position: number; size: number } | null;
    try {
      found = await seg.findBatch(fromOffset);
    } catch (e) {
      throw storageError(`read of ${seg.logPath} failed`, e);
    }
    if (!found) return null;
    if (end - found.position > maxBytes) {
      // The last index entry within maxBytes; if there is none past the start, the next one.
      let cut = seg.offsetIndex.floorByPosition(found.position + maxBytes);
      if (!cut || cut.position <= found.position) cut = seg.offsetIndex.firstAfterPosition(found.position);
      if (cut && cut.position < end) {
        end = cut.position;
        lastOffset = seg.baseOffset + BigInt(cut.relativeOffset) - 1n;
      }
    }
    return { segmentPath: seg.logPath, position: found.position, length: end - found.position, lastOffset };
  }

  /**
   * ListOffsets by time: the first record with a timestamp >= ts, with its timestamp, as
   * Kafka's FileRecords.searchForTimestamp answers. Segments whose maximum is below ts are
   * skipped without reading them.
   */
  async offsetForTimestamp(ts: bigint): Promise<TimestampAndOffset | null> {
    for (const seg of [...this.segments]) {
      if (seg.maxTimestamp < ts) continue;
      const r = await seg.findByTimestamp(ts);
      if (r) return r;
    }
    return null;
  }

  /**
   * ListOffsets -3: the record carrying the largest timestamp in the log, the earliest one on
   * ties (Kafka >= 3.8 answers with that record, not its batch).
   */
  async maxTimestamp(): Promise<TimestampAndOffset | null> {
    let best: LogSegment | null = null;
    for (const seg of this.segments) {
      if (seg.maxTimestamp >= 0n && (!best || seg.maxTimestamp > best.maxTimestamp)) best = seg;
    }
    return best ? best.recordOfMaxTimestamp() : null;
  }

  /** Every readable batch, oldest first; bytes are copies the caller may keep. */
  async *batches(): AsyncGenerator<{ header: RecordBatchHeader; bytes: Buffer }> {
    for (const seg of [...this.segments]) {
      const reader = new BatchReader(seg.handle, 0, seg.readableSize);
      for (let b = await reader.next(); b; b = await reader.next()) {
        yield { header: b.header, bytes: Buffer.from(b.bytes!) };
      }
    }
  }

  /**
   * Waits for pending appends, then makes everything durable and records a clean shutdown
   * (indexes, producer snapshot at the log end, checkpoint) so the next open scans nothing.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopSyncTimer();
    await this.committer.drain();
    await this.syncs.settle();
    try {
      if (!this.failure) {
        const active = this.active;
        await active.seal();
        this.unsynced.clear();
        this.stats.fdatasyncs++;
        await writeProducerSnapshot(this.dir, this.nextOffset, this.producers.snapshot());
        await writeCheckpoint(this.dir, {
          recoveryPoint: this.nextOffset,
          clean: { logEndOffset: this.nextOffset, activeSegmentBase: active.baseOffset, activeSegmentBytes: active.size },
        });
        await pruneSnapshots(this.dir);
      } else {
        // What a failed log acknowledged through the journal is synced before its handles
        // close, or the journal checkpoint at shutdown must fail (see syncUnsynced).
        try {
          for (const seg of this.unsynced) {
            await seg.handle.datasync();
            this.stats.fdatasyncs++;
          }
          this.unsynced.clear();
        } catch (e) {
          this.unsyncable = storageError(`fdatasync of ${this.dir} at close failed`, e);
        }
      }
    } catch (e) {
      throw storageError(`clean close of ${this.dir} failed`, e);
    } finally {
      for (const s of this.segments) await s.close().catch(() => {});
    }
  }

  /**
   * Stops the log the way a crash would leave it, minus the torn writes: queued appends are
   * finished, but no clean-shutdown record is written, so the next open runs recovery. Used
   * when the directory is about to be deleted, and by crash tests.
   */
  abort(): Promise<void> {
    this.closing ??= (async () => {
      this.stopSyncTimer();
      await this.committer.drain();
      await this.syncs.settle();
      for (const s of this.segments) await s.close().catch(() => {});
    })();
    return this.closing;
  }

  /** For tests and tools: where a partition's files live. */
  static partitionDir(dataDir: string, topic: string, partition: number): string {
    return join(dataDir, `${topic}-${partition}`);
  }
}
