/**
 * Partition specs (spec: "Partitioning"). lakegate partitions by the hour or day of the Kafka
 * timestamp (source column _kafka_timestamp, id 3) or not at all; the spec is always spec-id 0
 * and its only field, when there is one, has partition field id 1000.
 */
import { SystemColumn } from '../../writer/schema.js';
import type { PartitionTransform } from '../../writer/task.js';
import type { PrimitiveColumnType } from '../../writer/schema.js';

export const PARTITION_SPEC_ID = 0;
/** Partition field ids start at 1000; an unpartitioned table's last-partition-id is 999. */
export const PARTITION_FIELD_ID_START = 1000;

export interface PartitionField {
  name: string;
  transform: 'hour' | 'day';
  'source-id': number;
  'field-id': number;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export function partitionSpec(by: PartitionTransform): PartitionSpec {
  if (by === 'none') return { 'spec-id': PARTITION_SPEC_ID, fields: [] };
  if (by !== 'hour' && by !== 'day') throw new Error(`unsupported partition transform ${String(by)}`);
  return {
    'spec-id': PARTITION_SPEC_ID,
    fields: [
      {
        name: `${SystemColumn.TIMESTAMP.name}_${by}`,
        transform: by,
        'source-id': SystemColumn.TIMESTAMP.id,
        'field-id': PARTITION_FIELD_ID_START,
      },
    ],
  };
}

/** The transform a spec written by partitionSpec() stands for. */
export function partitionTransformOf(spec: PartitionSpec): PartitionTransform {
  if (spec.fields.length === 0) return 'none';
  const f = spec.fields[0]!;
  if (spec.fields.length === 1 && f['source-id'] === SystemColumn.TIMESTAMP.id && (f.transform === 'hour' || f.transform === 'day')) {
    return f.transform;
  }
  throw new Error(`partition spec ${JSON.stringify(spec)} is not one lakegate writes`);
}

export function lastPartitionId(spec: PartitionSpec): number {
  return spec.fields.reduce((max, f) => Math.max(max, f['field-id']), PARTITION_FIELD_ID_START - 1);
}

/** The Iceberg result type of a partition field: hour -> int, day -> date. */
export function partitionFieldType(f: PartitionField): PrimitiveColumnType {
  return f.transform === 'hour' ? 'int' : 'date';
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
export function partitionRecord(spec: PartitionSpec, value: number | null): Record<string, number | null> {
  const record: Record<string, number | null> = {};
  if (spec.fields.length === 0) {
    if (value !== null) throw new Error('an unpartitioned table got a data file with a partition value');
    return record;
  }
  if (value !== null && !Number.isInteger(value)) throw new Error(`partition value ${value} is not an integer`);
  record[spec.fields[0]!.name] = value;
  return record;
}

/** A partition value as a readable path segment, e.g. for data directories (`_kafka_timestamp_hour=474312`). */
export function partitionPath(spec: PartitionSpec, value: number | null): string {
  if (spec.fields.length === 0) return '';
  return `${spec.fields[0]!.name}=${value === null ? 'null' : String(value)}`;
}
