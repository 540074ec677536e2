/**
 * All partition logs under one data directory: <dataDir>/<topic>-<partition>/. Opening the
 * manager recovers every partition directory it finds, so a partition's data is never
 * served before it has been checked.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { fsyncDir, isNotFound, storageError } from './fs-util.js';
import { allSettledBounded } from './bounded-all.js';
import { DEFAULT_LOG_OPTIONS, resolveLogOptions, type LogOptions } from './options.js';
import { JournalBatchTooLargeError, SyncJournal } from './journal/sync-journal.js';
import { type LogJournal, PartitionLog } from './partition-log.js';

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Suffix of a directory being deleted: renamed first so a crash mid-delete cannot resurrect it. */
const DELETE_SUFFIX = '-delete';
/** Recovery reads whole segments; a few partitions at a time keeps memory and I/O bounded. */
const RECOVERY_CONCURRENCY = 4;
/**
 * Logs closed at once. Sealing a log writes its indexes, producer snapshot and checkpoint, a
 * few files open at the same moment; all logs at once (10,000 partitions, which CreateTopics
 * allows) ran out of descriptors at the default limit of 20,000, and the shutdown failed.
 */
const CLOSE_CONCURRENCY = 32;
/** The sync journal (fsync 'before-ack'): <dataDir>/journal, a ring of pre-zeroed files. */
const JOURNAL_DIR = 'journal';
export const JOURNAL_FILE_BYTES = 32 * 1024 * 1024;
const JOURNAL_FILES = 4;
/**
 * A journal checkpoint (every segment written since the last one synced) after each journal
 * file's worth of bytes. A segment's fdatasync costs about the same however little it writes
 * (the inode and extent blocks of a grown file, a device flush, a wait for each), so fewer
 * checkpoints cost less: every 32 MiB instead of every 4 MiB, the sync server took 0.84x the
 * CPU per GB at full speed, with 1.06x the records/s (7 alternated pairs; less CPU in each).
 * The price was a longer burst of segment writes per checkpoint, which the journal's syncs
 * queued behind (at half rate the p99 of calm runs rose by a few milliseconds); the checkpoint
 * now writes that burst back 1 MiB at a time (segment-sync.ts). Starting each segment's
 * writeback every 1 MiB as it is written instead (tried, not kept) gave calm runs a lower p99
 * but fewer records/s at full speed, where the disk then never paused for the journal's syncs.
 */
export const JOURNAL_CHECKPOINT_BYTES = JOURNAL_FILE_BYTES;
/** Replayed appends in flight at once (group commit batches them; memory stays bounded). */
const REPLAY_WINDOW = 1024;

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly opening = new Map<string, Promise<PartitionLog>>();
  /** Topics whose logs are being closed and removed: a log of the same name waits for that. */
  private readonly deleting = new Map<string, Promise<void>>();
  private closed = false;
  private journal: SyncJournal | null = null;
  private logJournal: LogJournal | null = null;

  private constructor(
    readonly dataDir: string,
    readonly defaults: LogOptions,
  ) {}

  /** How the sync journal makes groups durable (direct-write.ts), or null without a journal. */
  get journalWrite(): 'direct' | 'buffered' | null {
    return this.journal?.writeMode ?? null;
  }

  static async open(dataDir: string, defaults: LogOptions = DEFAULT_LOG_OPTIONS): Promise<LogManager> {
    const m = new LogManager(dataDir, resolveLogOptions(DEFAULT_LOG_OPTIONS, defaults));
    try {
      await mkdir(dataDir, { recursive: true });
      const entries = await readdir(dataDir, { withFileTypes: true });
      const toOpen: { topic: string; partition: number; name: string }[] = [];
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name.endsWith(DELETE_SUFFIX)) {
          await rm(join(dataDir, e.name), { recursive: true, force: true });
          continue;
        }
        const match = PARTITION_DIR.exec(e.name);
        if (match) toOpen.push({ topic: match[1]!, partition: Number(match[2]), name: e.name });
      }
      let next = 0;
      const worker = async () => {
        while (next < toOpen.length) {
          const t = toOpen[next++]!;
          const log = await PartitionLog.open(join(dataDir, t.name), t.topic, t.partition, m.defaults);
          m.logs.set(key(t.topic, t.partition), log);
        }
      };
      await Promise.all(Array.from({ length: Math.min(RECOVERY_CONCURRENCY, toOpen.length) }, worker));
      // A journal left by an earlier run under 'before-ack' is replayed whatever the policy is
      // now: after a machine crash it may hold acknowledged batches the segments lost.
      if (m.defaults.fsync === 'before-ack' || (await exists(join(dataDir, JOURNAL_DIR)))) await m.openJournal();
    } catch (e) {
      await m.journal?.close().catch(() => {});
      await allSettledBounded([...m.logs.values()], CLOSE_CONCURRENCY, (l) => l.close());
      throw storageError(`cannot open data directory ${dataDir}`, e);
    }
    return m;
  }

  /**
   * Opens the sync journal and replays into the recovered logs whatever it holds past its
   * checkpoint (after a machine crash, writes the segments lost; after a process crash,
   * nothing: the page cache kept them), makes that durable, and only then lets logs use it.
   */
  private async openJournal(): Promise<void> {
    const { journal, replay } = await SyncJournal.open({
      dir: join(this.dataDir, JOURNAL_DIR),
      fileBytes: JOURNAL_FILE_BYTES,
      files: JOURNAL_FILES,
      checkpointBytes: JOURNAL_CHECKPOINT_BYTES,
      checkpoint: () => this.syncAll(),
    });
    this.journal = journal;
    const byDir = new Map([...this.logs.values()].map((l) => [basename(l.dir), l]));
    let appended = 0;
    /** Per log, journal batches past a gap: never acknowledged (see PartitionLog.replayBatch). */
    const unacknowledged = new Map<string, number>();
    let pending: Promise<unknown>[] = [];
    for await (const { logKey, batch } of replay()) {
      // A log deleted after the checkpoint: its directory is gone, and so is the need.
      const log = byDir.get(logKey);
      if (!log) continue;
      const r = log.replayBatch(batch);
      if (r === 'present') continue;
      if (r === 'gap') {
        unacknowledged.set(logKey, (unacknowledged.get(logKey) ?? 0) + 1);
        continue;
      }
      appended++;
      pending.push(r);
      if (pending.length >= REPLAY_WINDOW) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    if (appended > 0) logger.warn({ batches: appended }, 'sync journal: batches the logs had lost were replayed from the journal');
    for (const [log, batches] of unacknowledged) {
      logger.warn({ log, batches }, 'sync journal: batches after one that was never made durable were dropped (none of them was acknowledged)');
    }
    // Replayed under 'os' or 'interval', the appends are only written, not synced, and no
    // journal tracks them yet: the checkpoint below would drop their only durable copy.
    if (appended > 0) await Promise.all([...this.logs.values()].map((log) => log.flush()));
    await journal.checkpointNow();
    if (this.defaults.fsync !== 'before-ack') {
      // Replayed and checkpointed: the journal holds nothing needed. Its files stay for reuse.
      await journal.close();
      this.journal = null;
      return;
    }
    this.logJournal = { append: (record) => journal.append(record), tooLarge: (err) => err instanceof JournalBatchTooLargeError };
    for (const log of this.logs.values()) log.attachJournal(this.logJournal);
  }

  /**
   * The journal checkpoint: every log's segments written since their last sync, synced one
   * log at a time, so the checkpoint holds one thread of libuv's pool of four and the
   * journal's own fdatasync (which acknowledgements wait for) never queues behind it.
   */
  private async syncAll(): Promise<void> {
    for (const log of [...this.logs.values()]) await log.syncUnsynced();
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition));
  }

  /** Every open log (for metrics, retention and tools). */
  all(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /**
   * The partition's log, created if missing. Overrides (topic configs) are merged over the
   * manager defaults and also applied to an existing log, so a broker that re-reads topic
   * configs after a restart just calls this again.
   */
  async getOrCreate(topic: string, partition: number, overrides: Partial<LogOptions> = {}): Promise<PartitionLog> {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log manager is closed');
    validateTopicPartition(topic, partition);
    const deletion = this.deleting.get(topic);
    if (deletion) {
      // Opened now, the log would be the deleted one's directory, renamed and removed under it.
      await deletion.catch(() => {});
      return this.getOrCreate(topic, partition, overrides);
    }
    const k = key(topic, partition);
    const existing = this.logs.get(k);
    if (existing) {
      if (Object.keys(overrides).length > 0) existing.setOptions({ ...this.defaults, ...overrides });
      return existing;
    }
    let pending = this.opening.get(k);
    if (!pending) {
      pending = this.create(topic, partition, resolveLogOptions(this.defaults, overrides)).finally(() => this.opening.delete(k));
      this.opening.set(k, pending);
    }
    return pending;
  }

  private async create(topic: string, partition: number, opts: LogOptions): Promise<PartitionLog> {
    const dir = PartitionLog.partitionDir(this.dataDir, topic, partition);
    let made: string | undefined;
    try {
      made = await mkdir(dir, { recursive: true });
      await fsyncDir(this.dataDir);
    } catch (e) {
      throw storageError(`cannot create ${dir}`, e);
    }
    let log: PartitionLog;
    try {
      log = await PartitionLog.open(dir, topic, partition, opts);
    } catch (e) {
      // Left behind, the new and empty directory would be a log no topic claims once the
      // creation is undone, and a start refuses those. If this fails too, deleting the
      // topic finds the directory (removeTopic).
      if (made !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    if (this.logJournal) log.attachJournal(this.logJournal);
    this.logs.set(key(topic, partition), log);
    return log;
  }

  /**
   * Closes the topic's logs and removes their directories (rename first, then delete). A log
   * of the same topic asked for meanwhile is created once this is done, in a new directory.
   */
  deleteTopic(topic: string): Promise<void> {
    const run = (this.deleting.get(topic) ?? Promise.resolve()).catch(() => {}).then(() => this.removeTopic(topic));
    this.deleting.set(topic, run);
    const done = () => {
      if (this.deleting.get(topic) === run) this.deleting.delete(topic);
    };
    run.then(done, done);
    return run;
  }

  private async removeTopic(topic: string): Promise<void> {
    const victims: PartitionLog[] = [];
    for (const [k, pending] of this.opening) if (k.startsWith(`${topic}\u0000`)) await pending.catch(() => {});
    for (const [k, log] of this.logs) {
      if (log.topic === topic) {
        victims.push(log);
        this.logs.delete(k);
      }
    }
    try {
      for (const log of victims) await log.abort();
      // Journal records of the deleted logs become obsolete before their directories go, so
      // a topic re-created under the same name can never be handed the old one's batches.
      if (victims.length > 0) await this.journal?.checkpointNow();
      // Every directory of the topic, found on disk rather than from the victims: also one a
      // partition's failed creation made and could not remove (out of descriptors, say).
      const dirs: string[] = [];
      for (const name of await readdir(this.dataDir)) {
        const match = PARTITION_DIR.exec(name);
        if (match?.[1] === topic && !this.logs.has(key(topic, Number(match[2])))) dirs.push(join(this.dataDir, name));
      }
      for (const dir of dirs) {
        const doomed = `${dir}.${Date.now()}${DELETE_SUFFIX}`;
        await rename(dir, doomed);
        await fsyncDir(this.dataDir);
        await rm(doomed, { recursive: true, force: true });
      }
    } catch (e) {
      throw storageError(`cannot delete topic ${topic}`, e);
    }
  }

  /**
   * Why this node cannot take writes it acknowledges, or null: the sync journal, or logs, that
   * a write or sync error failed. They stay failed until a restart, whose recovery resumes them
   * (as Kafka takes a failed log directory offline), so health checks report it.
   */
  storageFailure(): string | null {
    const journal = this.journal?.failed;
    if (journal) return journal.message;
    const failed = [...this.logs.values()].filter((log) => log.failed !== null);
    if (failed.length === 0) return null;
    const first = failed[0]!;
    return `${failed.length} partition log(s) failed, ${first.topic}-${first.partition} first: ${first.failed!.message}`;
  }

  /** Flushes, fsyncs and writes clean-shutdown state for every log. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => {})));
    const results = await allSettledBounded([...this.logs.values()], CLOSE_CONCURRENCY, (l) => l.close());
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw storageError('closing logs failed', failed.reason);
    // Every log is sealed: nothing in the journal is needed any more, and the next start
    // replays nothing.
    if (this.journal) {
      await this.journal.checkpointNow();
      await this.journal.close();
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Topic names become directory names, so only Kafka's legal names are accepted. */
function validateTopicPartition(topic: string, partition: number): void {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..') {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `illegal topic name '${topic}'`);
  }
  if (!Number.isInteger(partition) || partition < 0) {
    throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `illegal partition ${partition}`);
  }
}
