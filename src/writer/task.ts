/**
 * What the event loop hands a worker and what comes back. A task names a byte range of one
 * segment file (whole batches) so the worker reads it from disk itself instead of having the
 * bytes copied through the event loop; the worker writes the data files itself too and
 * returns only their descriptions and statistics.
 */
import type { RowSchema } from './schema.js';
import type { SchemaText } from './typed-format.js';

/** Schema-registry framed values decoded into typed columns (writer/typed-formats.ts). */
export type TypedValueFormat = 'avro' | 'protobuf' | 'jsonschema';
export type ValueFormat = 'raw' | 'json' | TypedValueFormat;

/**
 * The schemas of a typed task: the table's reader schema and every writer schema a record
 * may name (the subject's versions), as texts by schema id.
 */
export interface TypedTaskSchemas {
  readerSchemaId: number;
  schemas: Record<number, SchemaText>;
}

/** A typed column filled from a top-level field of each JSON value (topic config). */
export interface JsonColumnSpec {
  fieldId: number;
  name: string;
  /** The JSON property the column reads; defaults to name. */
  path: string;
  type: 'boolean' | 'int' | 'long' | 'double' | 'string' | 'timestamptz' | 'date';
}

/**
 * How rows split into data files: by hour or day of the Kafka timestamp, by the Kafka
 * partition (`identity`), by the value of a typed JSON column (`identity:<column>`, an int,
 * long, string or date column of jsonColumns), or not at all.
 */
export type PartitionTransform = 'none' | 'hour' | 'day' | 'identity' | `identity:${string}`;

/**
 * A data file's partition value: hours or days since the epoch for hour/day, the Kafka
 * partition for identity, the column's value (days for a date, bigint for a long) for
 * identity:<column>, null when unpartitioned or the column is null.
 */
export type PartitionValue = number | bigint | string | null;

export interface MaterializeTask {
  topic: string;
  partition: number;
  segmentPath: string;
  /** Byte range of whole record batches in the segment file. */
  position: number;
  length: number;
  /** Only records with fromOffset <= offset <= toOffset become rows (ranges may start mid-batch). */
  fromOffset: bigint;
  toOffset: bigint;
  schema: RowSchema;
  valueFormat: ValueFormat;
  jsonColumns: JsonColumnSpec[];
  /** Present exactly when valueFormat is a TypedValueFormat. */
  typed?: TypedTaskSchemas;
  partitionBy: PartitionTransform;
  /** Directory the worker writes its Parquet files into (created if missing). */
  outputDir: string;
  /** Unique per task: file names are `${filePrefix}-${n}.parquet`. */
  filePrefix: string;
  /** Rows per Parquet row group. */
  rowGroupSize?: number;
  /** Where records that cannot be rows go; absent: they are only reported (badRecords). */
  deadLetters?: DeadLetterTarget;
}

/**
 * The dead-letter table's side of a task: its files are `${filePrefix}-dlq-${n}.parquet` in
 * outputDir, one file per bounded block (the same byte bound as table files, so a task with
 * many large bad records writes several files instead of holding them all in memory).
 */
export interface DeadLetterTarget {
  /** The dead-letter table's schema (writer/dead-letters.ts deadLetterSchema()). */
  schema: RowSchema;
  outputDir: string;
  /**
   * Offsets at or below this one are already in the dead-letter table (a range the main
   * table re-processes after a crash between the two commits): reported, not written again.
   */
  committedThrough: bigint | null;
}

/** Per-column statistics of one data file, keyed by field id (leaf columns only). */
export interface ColumnStats {
  valueCount: number;
  nullCount: number;
  nanCount?: number;
  /**
   * Typed: bigint for long/timestamptz/timestamp/time (micros) and decimal (unscaled), number
   * for int/date(days)/float/double, string, Uint8Array (binary, uuid), boolean.
   */
  min?: bigint | number | string | Uint8Array | boolean;
  max?: bigint | number | string | Uint8Array | boolean;
  /** Bytes of the column in the file (compressed), when known. */
  sizeBytes?: number;
}

export interface DataFileResult {
  /** Absolute path of the Parquet file. */
  path: string;
  sizeBytes: number;
  recordCount: number;
  /** The partition value every row of the file shares (see PartitionValue). */
  partitionValue: PartitionValue;
  columnStats: Record<number, ColumnStats>;
  minOffset: bigint;
  maxOffset: bigint;
}

export interface BadRecord {
  partition: number;
  offset: bigint;
  reason: string;
}

export interface MaterializeResult {
  files: DataFileResult[];
  /** Rows written (good records in range). */
  rowCount: number;
  badRecords: BadRecord[];
  /** Dead-letter data files (empty without task.deadLetters or when every record made a row). */
  deadLetterFiles: DataFileResult[];
  /** The last offset the task covered (toOffset, or the last record in range). */
  lastOffset: bigint;
}
