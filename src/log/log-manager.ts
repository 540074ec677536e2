/**
 * All partition logs under one data directory: <dataDir>/<topic>-<partition>/. Opening the
 * manager recovers every partition directory it finds, so a partition's data is never
 * served before it has been checked.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { fsyncDir, storageError } from './fs-util.js';
import { DEFAULT_LOG_OPTIONS, resolveLogOptions, type LogOptions } from './options.js';
import { PartitionLog } from './partition-log.js';

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Suffix of a directory being deleted: renamed first so a crash mid-delete cannot resurrect it. */
const DELETE_SUFFIX = '-delete';
/** Recovery reads whole segments; a few partitions at a time keeps memory and I/O bounded. */
const RECOVERY_CONCURRENCY = 4;

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly opening = new Map<string, Promise<PartitionLog>>();
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly defaults: LogOptions,
  ) {}

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
    } catch (e) {
      await Promise.all([...m.logs.values()].map((l) => l.close().catch(() => {})));
      throw storageError(`cannot open data directory ${dataDir}`, e);
    }
    return m;
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
    try {
      await mkdir(dir, { recursive: true });
      await fsyncDir(this.dataDir);
    } catch (e) {
      throw storageError(`cannot create ${dir}`, e);
    }
    const log = await PartitionLog.open(dir, topic, partition, opts);
    this.logs.set(key(topic, partition), log);
    return log;
  }

  /** Closes the topic's logs and removes their directories (rename first, then delete). */
  async deleteTopic(topic: string): Promise<void> {
    const victims: PartitionLog[] = [];
    for (const [k, pending] of this.opening) if (k.startsWith(`${topic}\u0000`)) await pending.catch(() => {});
    for (const [k, log] of this.logs) {
      if (log.topic === topic) {
        victims.push(log);
        this.logs.delete(k);
      }
    }
    try {
      for (const log of victims) {
        await log.abort();
        const doomed = `${log.dir}.${Date.now()}${DELETE_SUFFIX}`;
        await rename(log.dir, doomed);
        await fsyncDir(this.dataDir);
        await rm(doomed, { recursive: true, force: true });
      }
    } catch (e) {
      throw storageError(`cannot delete topic ${topic}`, e);
    }
  }

  /** Flushes, fsyncs and writes clean-shutdown state for every log. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => {})));
    const results = await Promise.allSettled([...this.logs.values()].map((l) => l.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw storageError('closing logs failed', failed.reason);
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
