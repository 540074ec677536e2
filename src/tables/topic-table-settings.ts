/**
 * How a topic becomes a table, read from its configs (see broker-api/topic-configs.ts), and
 * the table's name and row schema derived from them.
 *
 * Table names: namespace `kafka`, table = the topic name lower-cased with every character
 * outside [a-z0-9_] replaced by `_` (so `Orders.v1-eu` -> `kafka.orders_v1_eu`). A topic whose
 * name maps onto an existing table's gets `_` and the first 8 hex digits of its topic id
 * appended (see table-names.ts, which keeps the choice stable).
 */
import type { Broker, TopicRuntime } from '../broker-api/broker.js';
import { combinedConfigProblem, parseJsonColumns, parseTableProperties } from '../broker-api/topic-configs.js';
import { FIRST_VALUE_FIELD_ID, systemColumns, type Column, type RowSchema } from '../writer/schema.js';
import type { JsonColumnSpec, PartitionTransform, ValueFormat } from '../writer/task.js';

export const TABLE_NAMESPACE = ['kafka'];

/** Table property recording the value format a table was created with (what `auto` chose). */
export const VALUE_FORMAT_PROPERTY = 'lakegate.value.format';

export interface TopicTableSettings {
  format: 'iceberg' | 'none';
  /** As configured; the Materializer resolves `auto` when the table opens. */
  valueFormat: ValueFormat | 'auto';
  jsonColumns: JsonColumnSpec[];
  /** Iceberg table properties for a new table (table.iceberg.properties). */
  icebergProperties: Record<string, string>;
  partitionBy: PartitionTransform;
  commitIntervalMs: number;
  commitBytes: number;
}

/** Why the settings cannot make a table (a config combination no single config check sees). */
export function settingsProblem(broker: Broker, runtime: TopicRuntime): string | undefined {
  return combinedConfigProblem((name) => broker.configValue(runtime.topic, name)) ?? undefined;
}

export function tableSettings(broker: Broker, runtime: TopicRuntime): TopicTableSettings {
  const get = (name: string) => broker.configValue(runtime.topic, name);
  let nextId = FIRST_VALUE_FIELD_ID + 1;
  return {
    format: get('table.format') as TopicTableSettings['format'],
    valueFormat: get('value.format') as ValueFormat | 'auto',
    jsonColumns: parseJsonColumns(get('value.json.columns')).map(({ name, type }) => ({
      fieldId: nextId++,
      name,
      path: name,
      type: type as JsonColumnSpec['type'],
    })),
    partitionBy: get('table.partition.by') as PartitionTransform,
    icebergProperties: parseTableProperties(get('table.iceberg.properties')),
    commitIntervalMs: Number(get('table.commit.interval.ms')),
    commitBytes: Number(get('table.commit.bytes')),
  };
}

/** The schema of a raw or JSON table (an Avro table's columns come from its schema: avro-value-schemas.ts). */
export function rowSchema(settings: TopicTableSettings): RowSchema {
  const value: Column = {
    id: FIRST_VALUE_FIELD_ID,
    name: 'value',
    required: false,
    type: { kind: 'primitive', type: settings.valueFormat === 'json' ? 'string' : 'binary' },
    doc: settings.valueFormat === 'json' ? 'the record value, a JSON document' : 'the record value',
  };
  const typed: Column[] = settings.jsonColumns.map((c) => ({ id: c.fieldId, name: c.name, required: false, type: { kind: 'primitive', type: c.type }, doc: `JSON field ${c.path}` }));
  return { schemaId: 0, columns: [...systemColumns(), value, ...typed] };
}

export function baseTableName(topic: string): string {
  return topic.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}
