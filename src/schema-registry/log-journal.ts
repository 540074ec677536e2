/**
 * The registry journal kept in lakegate's own log, as Confluent keeps its registry in the
 * `_schemas` topic: one partition, one record per event (key: what it is about, value: the
 * event as JSON), table.format=none so the materializer never turns it into a table. An
 * append resolves after the batch is fdatasync'ed, under every log.fsync policy, so an
 * HTTP answer is only sent for a change that survives kill -9 or a power cut.
 */
import type { Broker } from '../broker-api/broker.js';
import type { PartitionLog } from '../log/index.js';
import { logger } from '../logger.js';
import { readRecordBatchHeader } from '../protocol/records/batch-header.js';
import { decodeRecordBatch, encodeRecordBatch } from '../protocol/records/records.js';
import { eventKey, isRegistryEvent, type RegistryEvent, type RegistryJournal } from './events.js';

export const SCHEMAS_TOPIC = '_schemas';

export class LogJournal implements RegistryJournal {
  private warned = false;

  constructor(
    private readonly broker: Broker,
    private readonly topic = SCHEMAS_TOPIC,
  ) {}

  /**
   * The topic's log, looked up on every append (appends are serialised by the registry) so a
   * topic deleted and re-created through Kafka is followed rather than written to after close.
   * Created on the first change: a gateway that never registers a schema has no _schemas topic.
   */
  private async partition(): Promise<PartitionLog> {
    const runtime = this.broker.topic(this.topic) ?? (await this.broker.createTopic(this.topic, 1, { 'table.format': 'none' }));
    if (!this.warned && this.broker.configValue(runtime.topic, 'table.format') !== 'none') {
      this.warned = true;
      logger.warn({ topic: this.topic }, 'the schema registry topic has a table.format other than none; it will be materialized as a table');
    }
    return runtime.logs[0];
  }

  async append(events: RegistryEvent[]): Promise<void> {
    // One batch per change: a crash keeps all of its events or none (recovery cuts torn batches).
    const batch = encodeRecordBatch({
      records: events.map((event) => ({ key: Buffer.from(eventKey(event)), value: Buffer.from(JSON.stringify(event)) })),
    });
    const log = await this.partition();
    await log.append(batch, readRecordBatchHeader(batch));
    await log.flush();
  }

  async *replay(): AsyncIterable<RegistryEvent> {
    if (!this.broker.topic(this.topic)) return;
    for await (const { header, bytes } of (await this.partition()).batches()) {
      let records;
      try {
        records = decodeRecordBatch(bytes).records;
      } catch (err) {
        logger.warn({ err, topic: this.topic, offset: String(header.baseOffset) }, 'skipping a _schemas batch that cannot be decoded');
        continue;
      }
      for (const record of records) {
        const event = parseEvent(record.value);
        // Kafka clients can write to the topic too; what is not an event is skipped, not fatal.
        if (event) yield event;
        else logger.warn({ topic: this.topic, offset: String(record.offset) }, 'skipping a record that is not a schema registry event');
      }
    }
  }
}

function parseEvent(value: Buffer | null): RegistryEvent | null {
  if (!value) return null;
  try {
    const event: unknown = JSON.parse(value.toString('utf8'));
    return isRegistryEvent(event) ? event : null;
  } catch {
    return null;
  }
}
