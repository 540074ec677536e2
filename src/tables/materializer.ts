/**
 * Runs a TopicMaterializer for every topic whose table.format asks for a table, starting one
 * when a topic appears and stopping it when the topic is deleted (the table stays). The table
 * format is behind `openTable`, so Delta can be added beside Iceberg without touching this.
 */
import type { Broker, TopicRuntime } from '../broker-api/broker.js';
import { logger } from '../logger.js';
import type { WriterPool } from '../writer/pool.js';
import type { TableFormatWriter } from './table-writer.js';
import { TableNames } from './table-names.js';
import { TopicMaterializer } from './topic-materializer.js';
import { rowSchema, settingsProblem, tableSettings, TABLE_NAMESPACE, type TopicTableSettings } from './topic-table-settings.js';

export type OpenTable = (args: { namespace: string[]; name: string; topic: TopicRuntime; settings: TopicTableSettings; schema: ReturnType<typeof rowSchema> }) => Promise<TableFormatWriter>;

const DISCOVERY_MS = 200;

export class Materializer {
  private readonly running = new Map<string, TopicMaterializer>();
  private readonly starting = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly names: TableNames;
  /** Topics whose table could not be opened, and when to try again. */
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly broker: Broker,
    private readonly pool: WriterPool,
    private readonly openTable: OpenTable,
    metaDir: string,
  ) {
    this.names = new TableNames(metaDir);
  }

  async start(): Promise<void> {
    await this.discover();
    this.timer = setInterval(() => void this.discover(), DISCOVERY_MS);
    this.timer.unref();
  }

  topics(): TopicMaterializer[] {
    return [...this.running.values()];
  }

  get(topic: string): TopicMaterializer | undefined {
    return this.running.get(topic);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled(this.starting.values());
    await Promise.all([...this.running.values()].map((m) => m.stop()));
    this.running.clear();
  }

  private async discover(): Promise<void> {
    const live = new Set<string>();
    for (const runtime of this.broker.topics()) {
      live.add(runtime.topic.name);
      const existing = this.running.get(runtime.topic.name);
      // A topic deleted and re-created under the same name is a new topic with a new id.
      if (existing && existing.runtime !== runtime) {
        this.running.delete(runtime.topic.name);
        await existing.stop();
      } else if (existing || this.starting.has(runtime.topic.name) || (this.retryAt.get(runtime.topic.name) ?? 0) > Date.now()) {
        continue;
      }
      const settings = tableSettings(this.broker, runtime);
      if (settings.format === 'none') continue;
      const problem = settingsProblem(settings);
      if (problem) {
        // A config fix (AlterConfigs) is picked up at the next try.
        this.retryAt.set(runtime.topic.name, Date.now() + 5000);
        logger.error({ topic: runtime.topic.name }, `cannot materialize topic: ${problem}`);
        continue;
      }
      const work = this.startTopic(runtime, settings).finally(() => this.starting.delete(runtime.topic.name));
      this.starting.set(runtime.topic.name, work);
    }
    for (const [name, m] of this.running) {
      if (!live.has(name)) {
        this.running.delete(name);
        await m.stop();
      }
    }
  }

  private async startTopic(runtime: TopicRuntime, settings: TopicTableSettings): Promise<void> {
    try {
      const name = this.names.nameFor(runtime.topic);
      const table = await this.openTable({ namespace: TABLE_NAMESPACE, name, topic: runtime, settings, schema: rowSchema(settings) });
      const m = new TopicMaterializer(runtime, table, settings, this.pool);
      await m.start();
      this.running.set(runtime.topic.name, m);
      logger.info({ topic: runtime.topic.name, table: table.name, format: table.format }, 'materializing topic');
    } catch (err) {
      this.retryAt.set(runtime.topic.name, Date.now() + 5000);
      logger.error({ topic: runtime.topic.name, err }, 'cannot start materializing topic; retrying in 5 s');
    }
  }
}
