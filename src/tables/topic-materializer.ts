/**
 * Turns one topic's log into table commits. Per partition a cursor marks the first offset the
 * table does not hold yet; it starts from the offsets the table itself recorded, so after a
 * restart nothing is skipped and nothing is written twice. A cycle hands the committed log
 * ranges past the cursors to the worker pool, then commits every resulting file together with
 * the new offsets in one atomic table commit, then moves the cursors.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TopicRuntime } from '../broker-api/broker.js';
import { logger } from '../logger.js';
import type { PartitionLog } from '../log/index.js';
import type { WriterPool } from '../writer/pool.js';
import type { BadRecord, DataFileResult, MaterializeResult, MaterializeTask } from '../writer/task.js';
import { BadRecordLog } from './bad-records.js';
import type { TableFormatWriter } from './table-writer.js';
import { rowSchema, type TopicTableSettings } from './topic-table-settings.js';

/** Largest byte range one worker task reads (whole batches; a larger batch still goes whole). */
const MAX_TASK_BYTES = 32 * 1024 * 1024;
const TICK_MS = 100;
const RETRY_BACKOFF_MS = 1000;

export interface PartitionProgress {
  partition: number;
  logEndOffset: bigint;
  committedOffset: bigint | null;
  lag: bigint;
}

export class TopicMaterializer {
  readonly badRecords = new BadRecordLog();
  lastCommitAtMs: number | null = null;
  lastError: { message: string; time: number } | null = null;
  commits = 0;
  rowsCommitted = 0;

  /** First offset not yet in the table, per partition. */
  private readonly cursors: bigint[] = [];
  private readonly committed: Array<bigint | null> = [];
  private pendingSinceMs: number | null = null;
  private readonly bytesAtCursor: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private retryAtMs = 0;

  constructor(
    readonly runtime: TopicRuntime,
    readonly table: TableFormatWriter,
    private readonly settings: TopicTableSettings,
    private readonly pool: WriterPool,
  ) {}

  get topic(): string {
    return this.runtime.topic.name;
  }

  async start(): Promise<void> {
    const offsets = await this.table.committedOffsets();
    this.runtime.logs.forEach((log, p) => {
      const done = offsets.get(p);
      this.committed[p] = done ?? null;
      this.cursors[p] = done === undefined ? log.logStartOffset : done + 1n;
      this.bytesAtCursor[p] = log.stats.bytesWritten;
    });
    await this.removeOrphanFiles();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  progress(): PartitionProgress[] {
    return this.runtime.logs.map((log, p) => ({
      partition: p,
      logEndOffset: log.highWatermark,
      committedOffset: this.committed[p] ?? null,
      lag: log.highWatermark - this.cursors[p],
    }));
  }

  /** Waits until every record acknowledged so far is in the table (tests, shutdown). */
  async flushed(timeoutMs: number): Promise<boolean> {
    const targets = this.runtime.logs.map((l) => l.highWatermark);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (targets.every((t, p) => this.cursors[p] >= t)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  private tick(): void {
    if (this.running || this.stopped || Date.now() < this.retryAtMs) return;
    if (!this.due()) return;
    this.running = this.cycle()
      .catch((err) => {
        this.lastError = { message: (err as Error).message, time: Date.now() };
        this.retryAtMs = Date.now() + RETRY_BACKOFF_MS;
        logger.error({ topic: this.topic, err }, 'table commit cycle failed; retrying');
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** Commit when records have waited an interval, or enough bytes are pending. */
  private due(): boolean {
    const logs = this.runtime.logs;
    const pending = logs.some((log, p) => log.highWatermark > this.cursors[p]);
    if (!pending) {
      this.pendingSinceMs = null;
      return false;
    }
    const now = Date.now();
    this.pendingSinceMs ??= now;
    if (now - this.pendingSinceMs >= this.settings.commitIntervalMs) return true;
    const pendingBytes = logs.reduce((sum, log, p) => sum + (log.stats.bytesWritten - this.bytesAtCursor[p]), 0);
    return pendingBytes >= this.settings.commitBytes;
  }

  private async cycle(): Promise<void> {
    this.pendingSinceMs = null;
    const tasks: MaterializeTask[] = [];
    const targets: Array<{ partition: number; lastOffset: bigint; bytesWritten: number }> = [];
    const budget = Math.max(this.settings.commitBytes, MAX_TASK_BYTES);
    for (const [p, log] of this.runtime.logs.entries()) {
      const bytesWritten = log.stats.bytesWritten;
      const planned = await this.plan(p, log, budget);
      if (planned.length === 0) continue;
      tasks.push(...planned);
      targets.push({ partition: p, lastOffset: planned[planned.length - 1].toOffset, bytesWritten });
    }
    if (tasks.length === 0) return;

    const startedAt = Date.now();
    const results = await Promise.all(tasks.map((t) => this.runTask(t)));
    const writtenAt = Date.now();
    const files: DataFileResult[] = results.flatMap((r) => r.files);
    const bad: BadRecord[] = results.flatMap((r) => r.badRecords);
    const rowCount = results.reduce((n, r) => n + r.rowCount, 0);
    const offsets = new Map(targets.map((t) => [t.partition, t.lastOffset]));
    try {
      await this.table.commit({ files, offsets, rowCount });
    } catch (err) {
      // Not referenced by any snapshot: remove now rather than at the next start.
      await Promise.all(files.map((f) => rm(f.path, { force: true })));
      throw err;
    }
    for (const t of targets) {
      this.cursors[t.partition] = t.lastOffset + 1n;
      this.committed[t.partition] = t.lastOffset;
      this.bytesAtCursor[t.partition] = t.bytesWritten;
    }
    if (bad.length > 0) {
      this.badRecords.add(bad);
      logger.warn({ topic: this.topic, count: bad.length, first: { partition: bad[0].partition, offset: String(bad[0].offset), reason: bad[0].reason } }, 'records could not become rows');
    }
    this.commits++;
    this.rowsCommitted += rowCount;
    logger.debug({ topic: this.topic, tasks: tasks.length, files: files.length, rows: rowCount, writeMs: writtenAt - startedAt, commitMs: Date.now() - writtenAt }, 'table commit');
    this.lastCommitAtMs = Date.now();
    this.lastError = null;
  }

  /** Tasks covering the committed log past the cursor, one per segment piece, within budget. */
  private async plan(partition: number, log: PartitionLog, budget: number): Promise<MaterializeTask[]> {
    const tasks: MaterializeTask[] = [];
    let from = this.cursors[partition];
    let planned = 0;
    const schema = rowSchema(this.settings);
    while (planned < budget) {
      const range = await log.locate(from, Math.min(MAX_TASK_BYTES, budget - planned));
      if (!range) break;
      tasks.push({
        topic: this.topic,
        partition,
        segmentPath: range.segmentPath,
        position: range.position,
        length: range.length,
        fromOffset: from,
        toOffset: range.lastOffset,
        schema,
        valueFormat: this.settings.valueFormat,
        jsonColumns: this.settings.jsonColumns,
        partitionBy: this.settings.partitionBy,
        outputDir: this.table.dataDir,
        filePrefix: `p${partition}-${from}-${range.lastOffset}-${randomBytes(4).toString('hex')}`,
      });
      planned += range.length;
      from = range.lastOffset + 1n;
    }
    return tasks;
  }

  /**
   * A task that throws (a worker crash, not a bad record: those come back as results) is
   * retried once on a fresh worker; if it fails again its whole range is reported as bad so
   * the partition keeps flowing.
   */
  private async runTask(task: MaterializeTask): Promise<MaterializeResult> {
    try {
      return await this.pool.run(task);
    } catch (first) {
      logger.warn({ topic: this.topic, partition: task.partition, from: String(task.fromOffset), err: (first as Error).message }, 'writer task failed; retrying once');
      try {
        return await this.pool.run(task);
      } catch (second) {
        const reason = `writer failed twice on offsets ${task.fromOffset}..${task.toOffset}: ${(second as Error).message}`;
        const badRecords: BadRecord[] = [];
        for (let o = task.fromOffset; o <= task.toOffset; o++) badRecords.push({ partition: task.partition, offset: o, reason });
        return { files: [], rowCount: 0, badRecords, lastOffset: task.toOffset };
      }
    }
  }

  /**
   * Data files no snapshot references were written by a cycle that crashed before its commit;
   * they are invisible to readers, and removed here before any new cycle starts.
   */
  private async removeOrphanFiles(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.table.dataDir);
    } catch {
      return;
    }
    const referenced = await this.table.referencedDataFiles();
    const orphans = names.filter((n) => n.endsWith('.parquet')).map((n) => path.join(this.table.dataDir, n)).filter((f) => !referenced.has(f));
    await Promise.all(orphans.map((f) => rm(f, { force: true })));
    if (orphans.length > 0) logger.info({ topic: this.topic, count: orphans.length }, 'removed data files of an uncommitted cycle');
  }
}
