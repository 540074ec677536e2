/**
 * What the materializer needs from a table format, and nothing more: the offsets the table
 * already holds, and an atomic commit of new data files together with the offsets they
 * cover. Iceberg implements it now; Delta plugs in beside it from the same data files.
 */
import type { DataFileResult } from '../writer/task.js';

export interface TableCommit {
  files: DataFileResult[];
  /** Per Kafka partition, the last offset this commit covers (data files may be empty for
   * a partition whose records were all bad: its offset still advances). */
  offsets: Map<number, bigint>;
  /** Rows across files, for the commit summary. */
  rowCount: number;
}

export interface TableFormatWriter {
  readonly format: 'iceberg' | 'delta';
  /** The table's identity for logs and the admin API, e.g. `kafka.orders`. */
  readonly name: string;
  /** Per Kafka partition, the last offset committed to the table (absent: none yet). */
  committedOffsets(): Promise<Map<number, bigint>>;
  /** Atomically makes the files visible and records the offsets; all or nothing. */
  commit(commit: TableCommit): Promise<void>;
  /** Absolute paths of every data file any live snapshot references (orphan cleanup). */
  referencedDataFiles(): Promise<Set<string>>;
  /** Directory data files of this table are written into. */
  readonly dataDir: string;
}
