/**
 * Runs a TopicMaterializer for every topic whose table.format asks for a table, starting one
 * when a topic appears and stopping it when the topic is deleted (the table stays). The table
 * format is behind `openTable`, so Delta can be added beside Iceberg without touching this.
 */
import type { Broker, TopicRuntime } from '../broker-api/broker.js';
import { logger } from '../logger.js';
import type { SchemaStore } from '../schema-registry/store.js';
import { typedRowSchema, TypedValueSchemas, valueSubject } from './typed-value-schemas.js';
import { isTypedValueFormat, TYPED_FORMATS, valueFormatOf } from '../writer/typed-formats.js';
import type { RowSchema } from '../writer/schema.js';
import { systemColumns } from '../writer/schema.js';
import type { ValueFormat } from '../writer/task.js';
import type { WriterPool } from '../writer/pool.js';
import type { DeadLetterTables } from './dead-letter-tables.js';
import type { TableFormatWriter } from './table-writer.js';
import { TableNames } from './table-names.js';
import { TopicMaterializer } from './topic-materializer.js';
import { rowSchema, settingsProblem, tableSettings, TABLE_NAMESPACE, type TopicTableSettings, VALUE_FORMAT_PROPERTY } from './topic-table-settings.js';

export type OpenTable = (args: {
  namespace: string[];
  name: string;
  topic: TopicRuntime;
  settings: TopicTableSettings;
  /** The schema a missing table is created with. */
  schema: RowSchema;
  /** Properties a missing table is created with. */
  properties: Record<string, string>;
}) => Promise<TableFormatWriter>;

const DISCOVERY_MS = 200;
const RETRY_MS = 5000;

/** Why a topic that wants a table has no running materializer, and when that was (epoch ms). */
export interface StartFailure {
  message: string;
  time: number;
}

/**
 * A topic that wants a table but whose materializer is not running (yet): being started, or
 * failing to start and retried. The admin API lists these so such a topic is not invisible.
 */
export interface WaitingTopic {
  runtime: TopicRuntime;
  state: 'starting' | 'failing';
  lastError: StartFailure | null;
}

export class Materializer {
  private readonly running = new Map<string, TopicMaterializer>();
  private readonly starting = new Map<string, { runtime: TopicRuntime; work: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;
  private readonly names: TableNames;
  /**
   * The last start failure of each topic not running, cleared when it starts or goes away; the
   * next try comes RETRY_MS after it.
   */
  private readonly failures = new Map<string, StartFailure & { runtime: TopicRuntime }>();
  /** The discovery pass under way: passes never overlap, and stop() waits for it. */
  private discovering: Promise<void> | null = null;
  /** Set by stop(): a discovery pass still running must not start another materializer. */
  private stopping = false;

  constructor(
    private readonly broker: Broker,
    private readonly pool: WriterPool,
    private readonly openTable: OpenTable,
    metaDir: string,
    /** Where Avro topics' schemas come from (value.format avro and auto). */
    private readonly schemaStore?: SchemaStore,
    /** Where records that cannot be rows go (every topic's dead-letter table); absent: only reported. */
    private readonly deadLetterTables?: DeadLetterTables,
  ) {
    this.names = new TableNames(metaDir);
  }

  async start(): Promise<void> {
    await this.discoverOnce();
    this.timer = setInterval(() => void this.discoverOnce(), DISCOVERY_MS);
    this.timer.unref();
  }

  topics(): TopicMaterializer[] {
    return [...this.running.values()];
  }

  get(topic: string): TopicMaterializer | undefined {
    return this.running.get(topic);
  }

  /** Topics that want a table but have no running materializer: starting, or failing to. */
  waiting(): WaitingTopic[] {
    const out: WaitingTopic[] = [];
    for (const [name, failure] of this.failures) {
      if (!this.running.has(name)) out.push({ runtime: failure.runtime, state: 'failing', lastError: { message: failure.message, time: failure.time } });
    }
    for (const [name, { runtime }] of this.starting) {
      if (!this.running.has(name) && !this.failures.has(name)) out.push({ runtime, state: 'starting', lastError: null });
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    // A pass under way may be stopping a deleted topic's materializer or about to start one:
    // once it is done, `starting` and `running` hold everything there is to stop.
    await this.discovering;
    await Promise.allSettled([...this.starting.values()].map((s) => s.work));
    await Promise.all([...this.running.values()].map((m) => m.stop()));
    this.running.clear();
  }

  private discoverOnce(): Promise<void> {
    // Overlapping passes could both start a re-created topic while one awaits the old one's stop.
    this.discovering ??= this.discover().finally(() => (this.discovering = null));
    return this.discovering;
  }

  private async discover(): Promise<void> {
    const live = new Set<string>();
    for (const runtime of this.broker.topics()) {
      if (this.stopping) return;
      const name = runtime.topic.name;
      live.add(name);
      // A topic deleted and re-created under the same name is a new topic with a new id: its
      // materializer is a new one, and the old topic's start failure is not its own.
      if (this.failures.has(name) && this.failures.get(name)!.runtime !== runtime) {
        this.failures.delete(name);
      }
      const existing = this.running.get(name);
      if (existing && existing.runtime !== runtime) {
        this.running.delete(name);
        await existing.stop();
        if (this.stopping) return;
      } else if (existing || this.starting.has(name) || (this.failures.get(name)?.time ?? -Infinity) + RETRY_MS > Date.now()) {
        continue;
      }
      const settings = tableSettings(this.broker, runtime);
      if (settings.format === 'none') {
        this.failures.delete(name);
        continue;
      }
      const problem = settingsProblem(this.broker, runtime);
      if (problem) {
        // A config fix (AlterConfigs) is picked up at the next try.
        this.failed(runtime, `cannot materialize topic: ${problem}`);
        logger.error({ topic: name }, `cannot materialize topic: ${problem}`);
        continue;
      }
      const work = this.startTopic(runtime, settings).finally(() => this.starting.delete(name));
      this.starting.set(name, { runtime, work });
    }
    for (const name of this.failures.keys()) if (!live.has(name)) this.failures.delete(name);
    for (const [name, m] of this.running) {
      if (!live.has(name)) {
        this.running.delete(name);
        await m.stop();
      }
    }
  }

  private failed(runtime: TopicRuntime, message: string): void {
    this.failures.set(runtime.topic.name, { runtime, message, time: Date.now() });
  }

  private async startTopic(runtime: TopicRuntime, configured: TopicTableSettings): Promise<void> {
    try {
      const names = await this.names.namesFor(runtime.topic);
      const subject = valueSubject(runtime.topic.name);
      const wantsSchema = configured.valueFormat === 'auto' || isTypedValueFormat(configured.valueFormat);
      const latest = this.schemaStore && wantsSchema ? await TypedValueSchemas.latest(this.schemaStore, subject) : undefined;
      let valueFormat: ValueFormat = configured.valueFormat === 'auto' ? (latest ? valueFormatOf(latest.text.schemaType) : 'raw') : configured.valueFormat;
      if (isTypedValueFormat(valueFormat)) {
        const wanted = TYPED_FORMATS[valueFormat]!.schemaType;
        if (latest?.text.schemaType !== wanted) throw new Error(`value.format=${valueFormat} needs a ${wanted} schema as the latest version of subject ${subject}${latest ? ` (it is ${latest.text.schemaType})` : ''}`);
      }
      let schema = rowSchema({ ...configured, valueFormat });
      if (latest && isTypedValueFormat(valueFormat)) {
        try {
          schema = { ...typedRowSchema(valueFormat, latest.text, { schemaId: 0, columns: systemColumns() }, 0), schemaId: 0 };
        } catch (err) {
          if (configured.valueFormat !== 'auto') throw err;
          logger.warn({ topic: runtime.topic.name, err }, `the ${latest.text.schemaType} schema of ${subject} cannot be columns; value.format=auto falls back to raw`);
          valueFormat = 'raw';
          schema = rowSchema({ ...configured, valueFormat });
        }
      }
      const properties = { ...configured.icebergProperties, [VALUE_FORMAT_PROPERTY]: valueFormat };
      const table = await this.openTable({ namespace: TABLE_NAMESPACE, name: names.table, topic: runtime, settings: configured, schema, properties });
      const state = await table.currentSchema?.();
      // auto keeps the format the table was created with (tables from before the property: raw).
      if (configured.valueFormat === 'auto' && state) valueFormat = (state.properties[VALUE_FORMAT_PROPERTY] as ValueFormat | undefined) ?? 'raw';
      let typed: TypedValueSchemas | undefined;
      if (isTypedValueFormat(valueFormat)) {
        if (!this.schemaStore || !state) throw new Error(`value.format=${valueFormat} needs a schema registry and a table format that keeps a schema`);
        typed = await TypedValueSchemas.open(this.schemaStore, subject, valueFormat, state);
      }
      const deadLetters = this.deadLetterTables && {
        tables: this.deadLetterTables,
        ref: { namespace: TABLE_NAMESPACE, name: names.deadLetters, topic: runtime },
      };
      const m = new TopicMaterializer(runtime, table, { ...configured, valueFormat }, this.pool, typed, deadLetters);
      await m.start();
      this.running.set(runtime.topic.name, m);
      this.failures.delete(runtime.topic.name);
      logger.info({ topic: runtime.topic.name, table: table.name, format: table.format, valueFormat }, 'materializing topic');
    } catch (err) {
      this.failed(runtime, err instanceof Error ? err.message : String(err));
      logger.error({ topic: runtime.topic.name, err }, 'cannot start materializing topic; retrying in 5 s');
    }
  }
}
