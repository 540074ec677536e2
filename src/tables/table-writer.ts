/**
 * What the materializer needs from a table format, and nothing more: the offsets the table
 * already holds, and an atomic commit of new data files together with the offsets they
 * cover. Iceberg implements it now; Delta plugs in beside it from the same data files.
 */
import type { RowSchema } from '../writer/schema.js';
import type { DataFileResult } from '../writer/task.js';

export interface TableCommit {
  files: DataFileResult[];
  /** Per Kafka partition, the last offset this commit covers (data files may be empty for
   * a partition whose records were all bad: its offset still advances). */
  offsets: Map<number, bigint>;
  /** Rows across files, for the commit summary. */
  rowCount: number;
  /**
   * The schema the files were written with, when it may be newer than the table's (an
   * evolved Avro schema): it becomes the current schema in the same commit as the files.
   */
  schema?: RowSchema;
  /**
   * Per Kafka partition of `offsets`, the last offset the table must hold before this commit
   * (null: none yet). A table holding anything else refuses the commit (commitNotApplied), as
   * the range would go in twice or leave a gap: an earlier commit whose error hid that it was
   * applied, or another writer, moved the table on.
   */
  expectedOffsets?: Map<number, bigint | null>;
}

/** A table's current schema, what field ids it has used, and its properties. */
/**
 * Whether a failed commit certainly left the table unchanged (a refused compare-and-swap):
 * only then may its data files be deleted at once. After any other failure, an I/O error
 * around the swap for instance, the files may already be referenced; the start-up orphan
 * scan removes them if they are not. Formats mark such errors with `commitNotApplied`.
 */
export function commitNotApplied(err: unknown): boolean {
  return (err as { commitNotApplied?: unknown } | null)?.commitNotApplied === true;
}

export interface TableSchemaState {
  schema: RowSchema;
  /** Ids up to this one were handed out once and are never reused (Iceberg last-column-id). */
  lastColumnId: number;
  properties: Record<string, string>;
}

export interface TableFormatWriter {
  readonly format: 'iceberg' | 'delta';
  /** The table's identity for logs and the admin API, e.g. `kafka.orders`. */
  readonly name: string;
  /** The table's current schema (formats that keep one; needed by typed Avro columns). */
  currentSchema?(): Promise<TableSchemaState>;
  /** Rows the table holds (formats that keep the count; the dead-letter count on the admin API). */
  committedRowCount?(): Promise<bigint>;
  /** Per Kafka partition, the last offset committed to the table (absent: none yet). */
  committedOffsets(): Promise<Map<number, bigint>>;
  /** Atomically makes the files visible and records the offsets; all or nothing. */
  commit(commit: TableCommit): Promise<void>;
  /** Absolute paths of every data file any live snapshot references (orphan cleanup). */
  referencedDataFiles(): Promise<Set<string>>;
  /** Directory data files of this table are written into. */
  readonly dataDir: string;
}
