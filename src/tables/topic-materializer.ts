/**
 * Turns one topic's log into table commits. Per partition a cursor marks the first offset the
 * table does not hold yet; it starts from the offsets the table itself recorded, so after a
 * restart nothing is skipped and nothing is written twice. After a failed commit the cursors
 * are read from the table again before anything is planned (the error may hide that the
 * commit was applied), and each commit names the offsets it expects the table to hold. A
 * cycle hands the committed log ranges past the planned cursors to the worker pool, then
 * commits every resulting file together with the new offsets in one atomic table commit,
 * then moves the cursors.
 *
 * Freshness and throughput: cycles are pipelined. Up to two cycles have tasks on the workers,
 * the second planned past the first, so a worker that finished its share of one cycle takes
 * the next cycle's tasks instead of waiting for the last task; a cycle's commit (metadata
 * writes and fsyncs) runs while later cycles' files are written; commits stay strictly in
 * order. A cycle takes a bounded number of bytes,
 * so a backlog becomes several short cycles rather than one long one that holds every newer
 * record back, and the commit interval counts from when a record became pending, not from
 * when the previous cycle ended.
 *
 * Dead letters (records that cannot become rows) go to the topic's dead-letter table, written
 * by the same tasks as a second set of files. Both tables stay exactly once: a cycle commits
 * its dead letters first, with the cycle's offsets in the dead-letter table's own snapshot
 * summary, then the main table. The main table's offsets decide where a restart resumes; a
 * range processed again (a crash or failed commit between the two commits) writes no dead
 * letter at or below the dead-letter table's committed offset. So a record is in exactly one
 * of the two tables, once.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TopicRuntime } from '../broker-api/broker.js';
import { logger } from '../logger.js';
import type { PartitionLog } from '../log/index.js';
import type { WriterPool } from '../writer/pool.js';
import type { RowSchema } from '../writer/schema.js';
import { deadLetterSchema } from '../writer/dead-letters.js';
import { TaskInputError } from '../writer/errors.js';
import type { BadRecord, DataFileResult, MaterializeResult, MaterializeTask, ValueFormat } from '../writer/task.js';
import type { TypedValueSchemas } from './typed-value-schemas.js';
import { isTypedValueFormat } from '../writer/typed-formats.js';
import { BadRecordLog } from './bad-records.js';
import type { DeadLetterTableRef, DeadLetterTables } from './dead-letter-tables.js';
import { commitNotApplied, type TableFormatWriter } from './table-writer.js';
import { rowSchema, type TopicTableSettings } from './topic-table-settings.js';

/** Largest byte range one worker task reads (whole batches; a larger batch still goes whole). */
const MAX_TASK_BYTES = 8 * 1024 * 1024;
const MIN_TASK_BYTES = 1024 * 1024;
/**
 * Log bytes one cycle takes over all partitions: well under a second of one worker's time,
 * so after a backlog commits still come out every few hundred milliseconds, while files stay
 * large enough that per-file costs (encoder setup, footer, fsync) stay small.
 */
const MAX_CYCLE_BYTES = 32 * 1024 * 1024;
const TICK_MS = 100;
/**
 * Cycles on the workers at once. With one, the workers that finished their share of a cycle
 * sat idle until its last task was done; a second cycle, planned past the first, keeps them
 * busy meanwhile. Commits stay one at a time and in order. Measured while 60 MB/s of JSON was
 * ingested on 2 cores (README, Performance, Tables): 10-15% more JSON into the table.
 */
const MAX_CYCLES_MATERIALIZING = 2;
const RETRY_BACKOFF_MS = 1000;

export interface PartitionProgress {
  partition: number;
  logEndOffset: bigint;
  committedOffset: bigint | null;
  lag: bigint;
}

function taskFilePrefix(partition: number, from: bigint, to: bigint): string {
  return `p${partition}-${from}-${to}-${randomBytes(4).toString('hex')}`;
}

/** One cycle's finished worker output, waiting for its turn to commit. */
interface CycleWork {
  tasks: MaterializeTask[];
  targets: Array<{ partition: number; lastOffset: bigint }>;
  results: MaterializeResult[];
  /** The Avro table schema the files were written with (it may be ahead of the table's). */
  schema?: RowSchema;
  startedAt: number;
  writtenAt: number;
}

/** The topic's dead-letter table: how to open it, and which it is. */
export interface DeadLetterSetup {
  tables: DeadLetterTables;
  ref: DeadLetterTableRef;
}

export class TopicMaterializer {
  readonly badRecords = new BadRecordLog();
  lastCommitAtMs: number | null = null;
  lastError: { message: string; time: number } | null = null;
  commits = 0;
  rowsCommitted = 0;
  /** Rows in the dead-letter table (read from it at start, then counted per commit). */
  deadLetterCount = 0n;
  /** The dead-letter table once it exists (created by the first commit with dead letters). */
  deadLetterTable: TableFormatWriter | null = null;

  /** First offset not yet in the table, per partition. */
  private readonly cursors: bigint[] = [];
  /** First offset not yet handed to a worker, per partition (ahead of cursors while a cycle runs). */
  private readonly planned: bigint[] = [];
  private readonly committed: Array<bigint | null> = [];
  /** Last offset the dead-letter table holds, per partition (null: none). */
  private readonly deadLettersCommitted: Array<bigint | null> = [];
  /** When the oldest record not yet handed to a worker was first seen pending. */
  private pendingSinceMs: number | null = null;
  /** Log bytesWritten when the planned cursor last caught up, per partition. */
  private readonly bytesAtPlanned: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Cycles whose tasks are on the workers (at most MAX_CYCLES_MATERIALIZING). */
  private readonly running = new Set<Promise<void>>();
  /** A cycle is choosing its ranges: the next one must start from where this one ends. */
  private planning = false;
  /** The last cycle's commit; the next one waits for it, so commits keep their order. */
  private committing: Promise<void> = Promise.resolve();
  /** Bumped when a commit fails: cycles planned before it are dropped, not committed. */
  private generation = 0;
  private stopped = false;
  private retryAtMs = 0;
  /** A commit failed: its outcome is unknown until the tables' offsets are read again. */
  private offsetsInDoubt = false;
  private reconciling: Promise<void> | null = null;

  constructor(
    readonly runtime: TopicRuntime,
    readonly table: TableFormatWriter,
    private readonly settings: TopicTableSettings,
    private readonly pool: WriterPool,
    /** The topic's registered schemas, for a schema-backed value format. */
    private readonly typed?: TypedValueSchemas,
    /** Without it, records that cannot be rows are only reported (badRecords). */
    private readonly deadLetters?: DeadLetterSetup,
  ) {
    if (settings.valueFormat === 'auto') throw new Error(`topic ${runtime.topic.name}: value.format=auto must be resolved before materializing`);
    if ((typed?.format ?? settings.valueFormat) !== settings.valueFormat || isTypedValueFormat(settings.valueFormat) !== (typed !== undefined)) {
      throw new Error(`topic ${runtime.topic.name}: registered schemas go with a schema-backed value.format, and only with one (value.format=${settings.valueFormat})`);
    }
  }

  get topic(): string {
    return this.runtime.topic.name;
  }

  get deadLetterTableName(): string | null {
    return this.deadLetters ? [...this.deadLetters.ref.namespace, this.deadLetters.ref.name].join('.') : null;
  }

  async start(): Promise<void> {
    await this.adoptTableOffsets();
    this.deadLetterCount = (await this.deadLetterTable?.committedRowCount?.()) ?? 0n;
    // A backlog left from before the start has waited long enough already.
    if (this.runtime.logs.some((log, p) => log.highWatermark > this.planned[p])) this.pendingSinceMs = Date.now() - this.settings.commitIntervalMs;
    await this.removeOrphanFiles(this.table.dataDir, await this.table.referencedDataFiles());
    if (this.deadLetters) {
      const dataDir = this.deadLetters.tables.dataDir(this.deadLetters.ref);
      await this.removeOrphanFiles(dataDir, (await this.deadLetterTable?.referencedDataFiles()) ?? new Set());
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /**
   * Moves every cursor to the offsets the tables themselves recorded: at start, and after a
   * failed commit, whose error may hide that it was applied. Nothing changes unless both
   * tables could be read.
   */
  private async adoptTableOffsets(): Promise<void> {
    const offsets = await this.table.committedOffsets();
    let deadLetterOffsets = new Map<number, bigint>();
    if (this.deadLetters) {
      this.deadLetterTable ??= await this.deadLetters.tables.existing(this.deadLetters.ref);
      deadLetterOffsets = (await this.deadLetterTable?.committedOffsets()) ?? deadLetterOffsets;
    }
    this.runtime.logs.forEach((log, p) => {
      const done = offsets.get(p);
      this.committed[p] = done ?? null;
      this.cursors[p] = done === undefined ? log.logStartOffset : done + 1n;
      this.planned[p] = this.cursors[p];
      this.bytesAtPlanned[p] = log.stats.bytesWritten;
      if (this.deadLetters) this.deadLettersCommitted[p] = deadLetterOffsets.get(p) ?? null;
    });
  }

  /**
   * After a failed commit: the tables' offsets are read again before anything is planned, once
   * the commits still queued (all of cycles the failure dropped) have settled. Until that read
   * succeeds nothing is planned; it is retried after the backoff.
   */
  private reconcile(): Promise<void> {
    this.reconciling ??= this.readOffsetsAgain().finally(() => (this.reconciling = null));
    return this.reconciling;
  }

  private async readOffsetsAgain(): Promise<void> {
    try {
      await this.committing;
      await this.adoptTableOffsets();
      this.deadLetterCount = (await this.deadLetterTable?.committedRowCount?.()) ?? this.deadLetterCount;
      this.offsetsInDoubt = false;
      if (this.runtime.logs.some((log, p) => log.highWatermark > this.planned[p])) this.pendingSinceMs = Date.now();
    } catch (err) {
      this.lastError = { message: (err as Error).message, time: Date.now() };
      logger.error({ topic: this.topic, err }, "reading the table's offsets after a failed commit failed; retrying");
      this.retryAtMs = Date.now() + RETRY_BACKOFF_MS;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.running);
    await this.committing;
    await this.reconciling;
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
    if (this.stopped) return;
    const pending = this.runtime.logs.some((log, p) => log.highWatermark > this.planned[p]);
    if (!pending) this.pendingSinceMs = null;
    else this.pendingSinceMs ??= Date.now();
    if (this.planning || this.reconciling || this.running.size >= MAX_CYCLES_MATERIALIZING || Date.now() < this.retryAtMs) return;
    if (this.offsetsInDoubt) {
      void this.reconcile();
      return;
    }
    if (!this.due()) return;
    const generation = this.generation;
    const cycle = this.cycle(generation);
    const running: Promise<void> = cycle.materialized
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.running.delete(running);
        // A backlog's next cycle starts now, not at the next tick: the workers would sit idle.
        this.tick();
      });
    this.running.add(running);
    this.committing = cycle.committed.catch((err) => {
      this.lastError = { message: (err as Error).message, time: Date.now() };
      logger.error({ topic: this.topic, err }, 'table commit cycle failed; retrying');
      // A cycle planned before an earlier failure was undone by that failure's reset, and
      // cycles planned since then start from the committed cursors: rewinding again would
      // plan their ranges a second time.
      if (this.generation !== generation) return;
      this.generation++;
      this.retryAtMs = Date.now() + RETRY_BACKOFF_MS;
      // Whatever was planned past the table's cursors is planned again, after the backoff,
      // from the offsets the table holds then: the failed commit may have been applied.
      this.planned.splice(0, this.planned.length, ...this.cursors);
      this.offsetsInDoubt = true;
      this.pendingSinceMs = Date.now();
    });
  }

  /** Commit when records have waited an interval, or enough bytes are pending. */
  private due(): boolean {
    if (this.pendingSinceMs === null) return false;
    if (Date.now() - this.pendingSinceMs >= this.settings.commitIntervalMs) return true;
    const logs = this.runtime.logs;
    const pendingBytes = logs.reduce((sum, log, p) => sum + (log.stats.bytesWritten - this.bytesAtPlanned[p]), 0);
    return pendingBytes >= this.settings.commitBytes;
  }

  /**
   * Plans the ranges past the planned cursors and runs them; `materialized` settles when the
   * workers are done (the next cycle may start), `committed` when the table holds the files.
   */
  private cycle(generation: number): { materialized: Promise<unknown>; committed: Promise<void> } {
    const previousCommit = this.committing;
    const materialized = this.materializeNext(generation);
    const committed = (async () => {
      const outcome = await materialized.then(
        (work) => ({ work }),
        (err: unknown) => ({ err }),
      );
      // Even a failed cycle waits: its error handling resets the planned cursors to the
      // committed ones, which must include the previous cycle's commit.
      await previousCommit;
      if ('err' in outcome) throw outcome.err;
      if (outcome.work) await this.commitCycle(outcome.work, generation);
    })();
    return { materialized, committed };
  }

  private async materializeNext(generation: number): Promise<CycleWork | null> {
    // Set before the first await: a tick meanwhile must not plan the same ranges again.
    this.planning = true;
    let tasks: MaterializeTask[];
    let targets: CycleWork['targets'];
    try {
      ({ tasks, targets } = await this.planCycle(generation));
    } finally {
      this.planning = false;
    }
    if (tasks.length === 0) return null;
    let schema: RowSchema | undefined;
    if (this.typed) {
      // After the ranges are fixed: every record in them was produced after its schema id was
      // registered, so the ids they carry are all known now.
      await this.typed.refresh();
      schema = this.typed.schema;
      const typed = this.typed.taskSchemas();
      for (const task of tasks) Object.assign(task, { schema, typed });
    }
    const startedAt = Date.now();
    const results = await Promise.all(tasks.map((t) => this.runTask(t)));
    return { tasks, targets, results, schema, startedAt, writtenAt: Date.now() };
  }

  /**
   * The ranges past the planned cursors, as tasks; moves the planned cursors past them. A
   * commit that fails while this plans resets the planned cursors to the committed ones and
   * bumps the generation: then this plans nothing more and moves no cursor, or the ranges
   * between would be skipped by the cycles after the retry.
   */
  private async planCycle(generation: number): Promise<{ tasks: MaterializeTask[]; targets: CycleWork['targets'] }> {
    const tasks: MaterializeTask[] = [];
    const targets: CycleWork['targets'] = [];
    const logs = this.runtime.logs;
    const waiting = logs.filter((log, p) => log.highWatermark > this.planned[p]).length;
    const perPartition = Math.max(1, Math.floor(Math.min(this.settings.commitBytes, MAX_CYCLE_BYTES) / Math.max(1, waiting)));
    let backlog = false;
    for (const [p, log] of logs.entries()) {
      const bytesWritten = log.stats.bytesWritten;
      const end = log.highWatermark;
      const planned = await this.plan(p, log, perPartition);
      if (generation !== this.generation) return { tasks: [], targets: [] };
      if (planned.length === 0) continue;
      tasks.push(...planned);
      const lastOffset = planned[planned.length - 1].toOffset;
      targets.push({ partition: p, lastOffset });
      this.planned[p] = lastOffset + 1n;
      if (this.planned[p] < end) backlog = true;
      else this.bytesAtPlanned[p] = bytesWritten;
    }
    // A backlog is due again at once; otherwise the interval restarts with the next record.
    if (!backlog) this.pendingSinceMs = null;
    return { tasks, targets };
  }

  private async commitCycle(work: CycleWork, generation: number): Promise<void> {
    const { tasks, targets, results, startedAt, writtenAt } = work;
    const files: DataFileResult[] = results.flatMap((r) => r.files);
    const deadLetterFiles: DataFileResult[] = results.flatMap((r) => r.deadLetterFiles);
    if (generation !== this.generation) {
      // Planned on top of a cycle whose commit failed: its ranges are planned again.
      await Promise.all([...files, ...deadLetterFiles].map((f) => rm(f.path, { force: true })));
      return;
    }
    const bad: BadRecord[] = results.flatMap((r) => r.badRecords);
    const rowCount = results.reduce((n, r) => n + r.rowCount, 0);
    const offsets = new Map(targets.map((t) => [t.partition, t.lastOffset]));
    const expectedOffsets = new Map(targets.map((t) => [t.partition, this.committed[t.partition] ?? null]));
    const commitStartedAt = Date.now();
    if (deadLetterFiles.length > 0) await this.commitDeadLetters(deadLetterFiles, offsets, files);
    try {
      await this.table.commit({ files, offsets, rowCount, schema: work.schema, expectedOffsets });
    } catch (err) {
      // Refused: no snapshot references them, remove now rather than at the next start.
      if (commitNotApplied(err)) await Promise.all(files.map((f) => rm(f.path, { force: true })));
      throw err;
    }
    for (const t of targets) {
      this.cursors[t.partition] = t.lastOffset + 1n;
      this.committed[t.partition] = t.lastOffset;
    }
    if (bad.length > 0) {
      this.badRecords.add(bad);
      logger.warn({ topic: this.topic, count: bad.length, first: { partition: bad[0].partition, offset: String(bad[0].offset), reason: bad[0].reason } }, 'records could not become rows');
    }
    this.commits++;
    this.rowsCommitted += rowCount;
    logger.debug(
      { topic: this.topic, tasks: tasks.length, files: files.length, rows: rowCount, writeMs: writtenAt - startedAt, waitMs: commitStartedAt - writtenAt, commitMs: Date.now() - commitStartedAt },
      'table commit',
    );
    this.lastCommitAtMs = Date.now();
    this.lastError = null;
  }

  /**
   * Dead letters first: once they are committed, a crash before the main commit re-processes
   * the range for the main table only (tasks skip dead letters at or below these offsets).
   */
  private async commitDeadLetters(deadLetterFiles: DataFileResult[], cycleOffsets: Map<number, bigint>, mainFiles: DataFileResult[]): Promise<void> {
    const rowCount = deadLetterFiles.reduce((n, f) => n + f.recordCount, 0);
    // A range processed again after a failed main commit may end below what the dead-letter
    // table already holds (the retry's share of the cycle budget can be smaller): that
    // partition wrote no dead letter and its offset there stays, it must not move back.
    const offsets = new Map([...cycleOffsets].filter(([p, last]) => { const held = this.deadLettersCommitted[p]; return held === null || held === undefined || last > held; }));
    try {
      this.deadLetterTable ??= await this.deadLetters!.tables.create(this.deadLetters!.ref);
      const expectedOffsets = new Map([...offsets.keys()].map((p) => [p, this.deadLettersCommitted[p] ?? null]));
      await this.deadLetterTable.commit({ files: deadLetterFiles, offsets, rowCount, expectedOffsets });
    } catch (err) {
      // The main files were never offered; the dead letters only if the swap was refused.
      await Promise.all(mainFiles.map((f) => rm(f.path, { force: true })));
      if (commitNotApplied(err)) await Promise.all(deadLetterFiles.map((f) => rm(f.path, { force: true })));
      throw err;
    }
    for (const [p, last] of offsets) this.deadLettersCommitted[p] = last;
    this.deadLetterCount += BigInt(rowCount);
  }

  /** Tasks covering the committed log past the cursor, one per segment piece, within budget. */
  private async plan(partition: number, log: PartitionLog, budget: number): Promise<MaterializeTask[]> {
    const tasks: MaterializeTask[] = [];
    let from = this.planned[partition];
    let planned = 0;
    // Typed tasks get the cycle's schema once the ranges are planned (materializeNext).
    const schema = this.typed?.schema ?? rowSchema(this.settings);
    // A remainder of the budget too small for a worthwhile file waits for the next cycle.
    while (planned === 0 || budget - planned >= MIN_TASK_BYTES) {
      const range = await log.locate(from, Math.min(MAX_TASK_BYTES, budget - planned));
      if (!range) break;
      const last = tasks.at(-1);
      if (last && last.segmentPath === range.segmentPath && last.position + last.length === range.position && last.length + range.length <= MAX_TASK_BYTES) {
        // The budget's remainder right after the previous range: one task, one file, not two.
        last.length += range.length;
        last.toOffset = range.lastOffset;
        last.filePrefix = taskFilePrefix(partition, last.fromOffset, range.lastOffset);
      } else {
        tasks.push({
          topic: this.topic,
          partition,
          segmentPath: range.segmentPath,
          position: range.position,
          length: range.length,
          fromOffset: from,
          toOffset: range.lastOffset,
          schema,
          valueFormat: this.settings.valueFormat as ValueFormat,
          jsonColumns: this.settings.jsonColumns,
          partitionBy: this.settings.partitionBy,
          outputDir: this.table.dataDir,
          filePrefix: taskFilePrefix(partition, from, range.lastOffset),
          deadLetters: this.deadLetters && {
            schema: deadLetterSchema(),
            outputDir: this.deadLetters.tables.dataDir(this.deadLetters.ref),
            committedThrough: this.deadLettersCommitted[partition] ?? null,
          },
        });
      }
      planned += range.length;
      from = range.lastOffset + 1n;
    }
    return tasks;
  }

  /**
   * A task that throws (a worker crash, not a bad record: those come back as results) is
   * retried once on a fresh worker; if it fails again its whole range is reported as bad so
   * the partition keeps flowing. A TaskInputError (a damaged segment, a plan the schema
   * contradicts) is the task's own fault and would fail the same way again: not retried.
   */
  private async runTask(task: MaterializeTask): Promise<MaterializeResult> {
    try {
      return await this.pool.run(task);
    } catch (first) {
      if (first instanceof TaskInputError) return unreadableRange(task, `writer refused offsets ${task.fromOffset}..${task.toOffset}: ${first.message}`);
      logger.warn({ topic: this.topic, partition: task.partition, from: String(task.fromOffset), err: (first as Error).message }, 'writer task failed; retrying once');
      try {
        return await this.pool.run(task);
      } catch (second) {
        return unreadableRange(task, `writer failed twice on offsets ${task.fromOffset}..${task.toOffset}: ${(second as Error).message}`);
      }
    }
  }

  /**
   * Data files no snapshot references were written by a cycle that crashed before its commit;
   * they are invisible to readers, and removed here before any new cycle starts.
   */
  private async removeOrphanFiles(dataDir: string, referenced: Set<string>): Promise<void> {
    let names: string[];
    try {
      // Partitioned tables keep their files in one directory per partition value.
      names = await readdir(dataDir, { recursive: true });
    } catch {
      return;
    }
    const orphans = names.filter((n) => n.endsWith('.parquet')).map((n) => path.join(dataDir, n)).filter((f) => !referenced.has(f));
    await Promise.all(orphans.map((f) => rm(f, { force: true })));
    if (orphans.length > 0) logger.info({ topic: this.topic, count: orphans.length }, 'removed data files of an uncommitted cycle');
  }
}

/** The task's whole range as bad records. No dead letters: the records could not even be read (see the README). */
function unreadableRange(task: MaterializeTask, reason: string): MaterializeResult {
  const badRecords: BadRecord[] = [];
  for (let o = task.fromOffset; o <= task.toOffset; o++) badRecords.push({ partition: task.partition, offset: o, reason });
  return { files: [], rowCount: 0, badRecords, deadLetterFiles: [], lastOffset: task.toOffset };
}
