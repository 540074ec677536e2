/**
 * Where a topic's dead-letter table lives and how it is opened: records that cannot become
 * rows of the topic's table land there (writer/dead-letters.ts has its fixed schema). The
 * table is created lazily, by the first commit that has dead letters; its data directory is
 * known before that, because workers write dead-letter files before the table exists.
 */
import type { TopicRuntime } from '../broker-api/broker.js';
import type { TableFormatWriter } from './table-writer.js';

/** The dead-letter table's name: the main table's name with this suffix, same namespace. */
export const DEAD_LETTER_SUFFIX = '_dlq';

export interface DeadLetterTableRef {
  namespace: string[];
  name: string;
  topic: TopicRuntime;
}

export interface DeadLetterTables {
  /** Directory the table's data files are written into, whether or not it exists yet. */
  dataDir(ref: DeadLetterTableRef): string;
  /** The table when it exists; never creates it. */
  existing(ref: DeadLetterTableRef): Promise<TableFormatWriter | null>;
  /** Opens the table, creating it when missing. */
  create(ref: DeadLetterTableRef): Promise<TableFormatWriter>;
}
