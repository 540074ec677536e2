/**
 * Partition specs (spec: "Partitioning"). lakegate partitions by the hour or day of the Kafka
 * timestamp (source column _kafka_timestamp, id 3), by identity of the Kafka partition
 * (_kafka_partition, id 1) or of a typed value column, or not at all; the spec is always
 * spec-id 0 and its only field, when there is one, has partition field id 1000 and the name
 * the writer gives its data directories (see writer/partitioning.ts).
 */
import { identityColumnName, partitionFieldName } from '../../writer/partitioning.js';
import { SystemColumn, type RowSchema } from '../../writer/schema.js';
import type { PartitionTransform, PartitionValue } from '../../writer/task.js';
import type { PrimitiveColumnType } from '../../writer/schema.js';

export const PARTITION_SPEC_ID = 0;
/** Partition field ids start at 1000; an unpartitioned table's last-partition-id is 999. */
export const PARTITION_FIELD_ID_START = 1000;

export interface PartitionField {
  name: string;
  transform: 'hour' | 'day' | 'identity';
  'source-id': number;
  'field-id': number;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

/** The spec of a transform; identity:<column> needs the schema to find the column's id. */
export function partitionSpec(by: PartitionTransform, schema?: RowSchema): PartitionSpec {
  const name = partitionFieldName(by);
  if (by === 'none' || name === undefined) return { 'spec-id': PARTITION_SPEC_ID, fields: [] };
  let sourceId: number;
  if (by === 'hour' || by === 'day') sourceId = SystemColumn.TIMESTAMP.id;
  else if (by === 'identity') sourceId = SystemColumn.PARTITION.id;
  else {
    const column = schema?.columns.find((c) => c.name === identityColumnName(by));
    if (!column) throw new Error(`partition transform ${by} names no column of the table schema`);
    sourceId = column.id;
  }
  const transform = by === 'hour' || by === 'day' ? by : 'identity';
  return { 'spec-id': PARTITION_SPEC_ID, fields: [{ name, transform, 'source-id': sourceId, 'field-id': PARTITION_FIELD_ID_START }] };
}

/** The transform a spec written by partitionSpec() stands for. */
export function partitionTransformOf(spec: PartitionSpec): PartitionTransform {
  if (spec.fields.length === 0) return 'none';
  const f = spec.fields[0]!;
  if (spec.fields.length === 1) {
    if (f['source-id'] === SystemColumn.TIMESTAMP.id && (f.transform === 'hour' || f.transform === 'day')) return f.transform;
    if (f.transform === 'identity') return f['source-id'] === SystemColumn.PARTITION.id ? 'identity' : `identity:${f.name}`;
  }
  throw new Error(`partition spec ${JSON.stringify(spec)} is not one lakegate writes`);
}

export function lastPartitionId(spec: PartitionSpec): number {
  return spec.fields.reduce((max, f) => Math.max(max, f['field-id']), PARTITION_FIELD_ID_START - 1);
}

/** The schema's primitive type of a column, for identity partition fields. */
export type SourceTypeOf = (sourceId: number) => PrimitiveColumnType | undefined;

/**
 * The Iceberg result type of a partition field: hour -> int, day -> date, identity -> the
 * source column's type (which sourceType looks up in the table schema).
 */
export function partitionFieldType(f: PartitionField, sourceType?: SourceTypeOf): PrimitiveColumnType {
  if (f.transform === 'hour') return 'int';
  if (f.transform === 'day') return 'date';
  if (f['source-id'] === SystemColumn.PARTITION.id) return 'int';
  const type = sourceType?.(f['source-id']);
  if (!type) throw new Error(`partition field ${f.name}: source column ${f['source-id']} is not a primitive column of the schema`);
  return type;
}

/** A SourceTypeOf over an Iceberg schema's top-level fields. */
export function sourceTypesOf(schema: { fields: ReadonlyArray<{ id: number; type: unknown }> }): SourceTypeOf {
  return (id) => {
    const type = schema.fields.find((f) => f.id === id)?.type;
    return typeof type === 'string' ? (type as PrimitiveColumnType) : undefined;
  };
}

const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** hour transform: hours since the epoch (floor), from microseconds. */
export function hourTransform(micros: bigint): number {
  return Number(floorDiv(micros, MICROS_PER_HOUR));
}

/** day transform: days since the epoch (floor), from microseconds. */
export function dayTransform(micros: bigint): number {
  return Number(floorDiv(micros, MICROS_PER_DAY));
}

/**
 * The partition tuple of a data file as a record keyed by partition field name, which is the
 * shape of the manifest's r102 record.
 */
export function partitionRecord(spec: PartitionSpec, value: PartitionValue): Record<string, PartitionValue> {
  const record: Record<string, PartitionValue> = {};
  if (spec.fields.length === 0) {
    if (value !== null) throw new Error('an unpartitioned table got a data file with a partition value');
    return record;
  }
  const f = spec.fields[0]!;
  if (value !== null && f.transform !== 'identity' && !Number.isInteger(value)) throw new Error(`partition value ${value} is not an integer`);
  record[f.name] = value;
  return record;
}
