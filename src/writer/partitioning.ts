/**
 * Which partition a row belongs to, and how a partition is named on disk. hour and day are
 * Iceberg's transforms of the Kafka timestamp: floor(micros / 3.6e9) and floor(micros /
 * 8.64e10); micros are ms * 1000, so the same floor works on ms with no bigint arithmetic per
 * row. identity is the Kafka partition itself; identity:<column> a typed JSON column's value.
 */
import type { ColumnPlan } from './column-plan.js';
import { TaskInputError } from './errors.js';
import type { JsonScalar } from './json-fields.js';
import { SystemColumn } from './schema.js';
import type { JsonColumnSpec, MaterializeTask, PartitionTransform, PartitionValue } from './task.js';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const IDENTITY_PREFIX = 'identity:';
/** Column types an identity partition can read: exact values with a stable path form. */
const IDENTITY_TYPES: ReadonlySet<JsonColumnSpec['type']> = new Set(['int', 'long', 'string', 'date']);

/** The partition of a row from its Kafka timestamp (ms) and its typed JSON values. */
export type RowPartitioner = (timestampMs: number, json: readonly JsonScalar[]) => PartitionValue;

/** The JSON column an `identity:<column>` transform reads, or undefined for other transforms. */
export function identityColumnName(transform: PartitionTransform): string | undefined {
  return transform.startsWith(IDENTITY_PREFIX) ? transform.slice(IDENTITY_PREFIX.length) : undefined;
}

/** The partition field's name, as in the table's partition spec and the data directories. */
export function partitionFieldName(transform: PartitionTransform): string | undefined {
  if (transform === 'none') return undefined;
  if (transform === 'hour' || transform === 'day') return `${SystemColumn.TIMESTAMP.name}_${transform}`;
  if (transform === 'identity') return SystemColumn.PARTITION.name;
  return identityColumnName(transform);
}

export function rowPartitioner(task: MaterializeTask, plan: ColumnPlan): RowPartitioner {
  const transform = task.partitionBy;
  switch (transform) {
    case 'none':
      return () => null;
    case 'hour':
      return (ms) => Math.floor(ms / MS_PER_HOUR);
    case 'day':
      return (ms) => Math.floor(ms / MS_PER_DAY);
    case 'identity': {
      const partition = task.partition;
      return () => partition;
    }
  }
  const column = identityColumnName(transform);
  const index = plan.jsonColumns.findIndex((c) => c.name === column);
  if (column === undefined || index < 0) throw new TaskInputError(`partition transform ${transform} names no typed JSON column`);
  const type = plan.jsonColumns[index].type;
  if (!IDENTITY_TYPES.has(type)) throw new TaskInputError(`identity partitioning needs an int, long, string or date column; ${column} is ${type}`);
  return (_ms, json) => json[index] as PartitionValue;
}

/** Orders partition values of one transform: null first, then ascending. */
export function comparePartitionValues(a: PartitionValue, b: PartitionValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isoDate(days: number): string {
  const d = new Date(days * MS_PER_DAY);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/**
 * The directory of a partition's data files, `name=value` as Iceberg's own writers name it
 * (hours as yyyy-MM-dd-HH, days and dates as yyyy-MM-dd, other values URL-escaped), or ''
 * for an unpartitioned table.
 */
export function partitionDirectory(transform: PartitionTransform, columnType: JsonColumnSpec['type'] | undefined, value: PartitionValue): string {
  const name = partitionFieldName(transform);
  if (name === undefined) return '';
  let text: string;
  if (value === null) text = 'null';
  else if (transform === 'hour') text = `${isoDate(Math.floor(Number(value) / 24))}-${pad(((Number(value) % 24) + 24) % 24, 2)}`;
  else if (transform === 'day' || columnType === 'date') text = isoDate(Number(value));
  else text = encodeURIComponent(String(value));
  return `${name}=${text}`;
}
