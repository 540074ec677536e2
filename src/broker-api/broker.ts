/**
 * The state one lakegate node serves: its identity, the topic registry and the partition
 * logs behind it. Handlers reach everything through this object; it hides how topics map to
 * log directories and which config value (topic override, broker default, built-in default)
 * is in force.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { LakegateConfig } from '../config.js';
import { writeFileAtomic } from '../log/fs-util.js';
import { LogManager, ProducerIdAllocator, type LogOptions, type PartitionLog } from '../log/index.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { logger } from '../logger.js';
import type { ValidationPool } from '../record-validation/validation-pool.js';
import { isObject, readMetaFile } from './meta-file.js';
import { TOPIC_CONFIGS } from './topic-configs.js';
import { TopicRegistry, type Topic } from './topic-registry.js';

/** What the produce path needs about a topic, resolved once so a request does no lookups. */
export interface TopicRuntime {
  topic: Topic;
  logs: PartitionLog[];
  maxMessageBytes: number;
  logAppendTime: boolean;
  /** validation=reject: batches are checked against the value subject before they are appended. */
  rejectInvalidRecords: boolean;
}

export class Broker {
  private readonly runtimes = new Map<string, TopicRuntime>();
  /** The Kafka port clients are told about: the configured one, or the one bound when 0. */
  advertisedPort: number;
  /** Checks batches of validation=reject topics; set once the schema registry is open. */
  recordValidator: ValidationPool | null = null;
  /**
   * Aborted when the node starts shutting down: requests that wait on a timer (a Fetch long
   * poll) answer at once, so the shutdown's drain of in-flight requests is not held by them.
   */
  private readonly shutdown = new AbortController();
  /** Topic creations in progress, so concurrent auto-creates of one name share the work. */
  private readonly creating = new Map<string, Promise<TopicRuntime>>();

  private constructor(
    readonly config: LakegateConfig,
    readonly clusterId: string,
    readonly registry: TopicRegistry,
    readonly logs: LogManager,
    readonly producerIds: ProducerIdAllocator,
  ) {
    this.advertisedPort = config.kafkaPort;
  }

  static async open(config: LakegateConfig): Promise<Broker> {
    const metaDir = path.join(config.dataDir, 'meta');
    const registry = new TopicRegistry(metaDir);
    const clusterId = await loadClusterId(metaDir);
    const logs = await LogManager.open(path.join(config.dataDir, 'log'), {
      segmentBytes: Number(brokerDefault(config, 'segment.bytes')),
      segmentMs: Number(brokerDefault(config, 'segment.ms')),
      indexIntervalBytes: Number(brokerDefault(config, 'index.interval.bytes')),
      fsync: config.fsync,
      fsyncIntervalMs: config.fsyncIntervalMs,
    });
    const producerIds = await ProducerIdAllocator.open(metaDir);
    const broker = new Broker(config, clusterId, registry, logs, producerIds);
    await broker.removeOrphanLogs();
    for (const topic of registry.all()) broker.runtimes.set(topic.name, await broker.openTopic(topic));
    return broker;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  topic(name: string): TopicRuntime | undefined {
    return this.runtimes.get(name);
  }

  topics(): TopicRuntime[] {
    return [...this.runtimes.values()];
  }

  /** The value in force for a topic config: override, else broker default, else Kafka's. */
  configValue(topic: Topic, name: string): string {
    return topic.configs[name] ?? brokerDefault(this.config, name);
  }

  configSourceIsTopic(topic: Topic, name: string): boolean {
    return name in topic.configs;
  }

  /**
   * Creates a topic. Auto-creation (`explicit` false) shares a creation of the name already
   * under way, whatever its settings; an explicit CreateTopics does not, since it would report
   * settings the topic does not get: it waits for that creation and then finds the topic
   * existing (or creates it, if that creation failed).
   */
  async createTopic(name: string, partitions: number, configs: Record<string, string>, explicit = false): Promise<TopicRuntime> {
    if (this.runtimes.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const pending = this.creating.get(name);
    if (pending && !explicit) return pending;
    if (pending) {
      await pending.catch(() => undefined);
      return this.createTopic(name, partitions, configs, explicit);
    }
    const work = (async () => {
      // Registry first, durable before the logs exist: a crash before they exist leaves a
      // registered topic whose missing partition directories open() creates, never data
      // without a topic. The topics of one request share the write (flush coalesces).
      const topic = this.registry.add(name, partitions, configs);
      try {
        await this.registry.flush();
        const runtime = await this.openTopic(topic);
        this.runtimes.set(name, runtime);
        return runtime;
      } catch (err) {
        await this.forgetFailedCreation(name);
        throw err;
      }
    })();
    this.creating.set(name, work);
    try {
      return await work;
    } finally {
      this.creating.delete(name);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    this.runtimes.delete(name);
    // The deletion is durable before the logs go: a crash in between finishes it at start.
    const undo = this.registry.remove(name);
    try {
      await this.registry.flush();
    } catch (err) {
      // Answered as failed, so not deleted: topics.json still lists the topic, it goes on being
      // served, and no later write of the registry may record the deletion after all.
      if (!this.runtimes.has(name) && !this.creating.has(name)) {
        undo();
        this.runtimes.set(name, runtime);
      }
      throw err;
    }
    await this.logs.deleteTopic(name);
    this.registry.deleted(name);
    await this.registry.flush();
  }

  get shutdownSignal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** The first step of a shutdown (see server.ts): nothing is closed yet. */
  beginShutdown(): void {
    this.shutdown.abort();
  }

  async close(): Promise<void> {
    await this.registry.settled();
    await this.logs.close();
  }

  /** Undoes a creation that failed; its own failure is logged, the creation's is reported. */
  private async forgetFailedCreation(name: string): Promise<void> {
    this.registry.remove(name);
    try {
      await this.registry.flush();
      await this.logs.deleteTopic(name);
      this.registry.deleted(name);
      await this.registry.flush();
    } catch (e) {
      logger.warn({ topic: name, err: e }, 'removing a topic whose creation failed failed; retried at the next start');
    }
  }

  /**
   * Topics are registered before their logs are created, and a deletion is recorded in the
   * same write that unregisters the topic. Logs of a recorded deletion that a crash
   * interrupted are deleted now, so a later topic of the same name does not resurrect old
   * records. Any other log no topic claims means the registry is not the one these logs were
   * written with (lost, emptied, restored from an older backup): lakegate refuses to start
   * rather than delete data it was never asked to delete.
   */
  private async removeOrphanLogs(): Promise<void> {
    const unclaimed = new Set(this.logs.all().map((l) => l.topic).filter((name) => !this.registry.get(name)));
    const pending = this.registry.pendingDeletions();
    for (const name of pending) {
      if (unclaimed.delete(name)) {
        logger.warn({ topic: name }, 'deleting the log of a deleted topic (the deletion was interrupted)');
        await this.logs.deleteTopic(name);
      }
      // A topic re-created under the name keeps its new logs.
      this.registry.deleted(name);
    }
    if (pending.length > 0) await this.registry.flush();
    if (unclaimed.size > 0) {
      const names = [...unclaimed].sort();
      throw new Error(
        `${this.config.dataDir}: log directories of ${names.length} topic(s) that meta/topics.json does not list: ` +
          `${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}. Restore meta/topics.json, or move those ` +
          'directories out of the log directory to drop them.',
      );
    }
  }

  private async openTopic(topic: Topic): Promise<TopicRuntime> {
    const overrides: Partial<LogOptions> = {
      segmentBytes: Number(this.configValue(topic, 'segment.bytes')),
      segmentMs: Number(this.configValue(topic, 'segment.ms')),
      indexIntervalBytes: Number(this.configValue(topic, 'index.interval.bytes')),
    };
    const logs: PartitionLog[] = [];
    for (let p = 0; p < topic.partitions; p++) logs.push(await this.logs.getOrCreate(topic.name, p, overrides));
    return {
      topic,
      logs,
      maxMessageBytes: Number(this.configValue(topic, 'max.message.bytes')),
      logAppendTime: this.configValue(topic, 'message.timestamp.type') === 'LogAppendTime',
      rejectInvalidRecords: this.configValue(topic, 'validation') === 'reject',
    };
  }
}

export function brokerDefault(config: LakegateConfig, name: string): string {
  const def = TOPIC_CONFIGS.get(name);
  if (!def) throw new Error(`no topic config named ${name}`);
  return config.brokerTopicDefaults[name] ?? def.default;
}

/**
 * A cluster id that stays the same for the life of the data dir, as Kafka's meta.properties.
 * A damaged file stops the start rather than being replaced: clients would see a new cluster.
 */
async function loadClusterId(metaDir: string): Promise<string> {
  const file = path.join(metaDir, 'cluster.json');
  const stored = readMetaFile<{ clusterId: string }>(
    file,
    (v) => (isObject(v) && typeof v.clusterId === 'string' && v.clusterId !== '' ? null : 'expected {"clusterId": "<non-empty string>"}'),
    'restore it from a backup, or write {"clusterId": "<the id clients saw>"} into it; removing it gives this data dir a new cluster id',
  );
  if (stored) return stored.clusterId;
  const clusterId = randomBytes(16).toString('base64url');
  await writeFileAtomic(file, JSON.stringify({ clusterId }));
  return clusterId;
}
