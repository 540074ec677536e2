/**
 * The catalog interface the Iceberg REST plugin serves and the committer writes through.
 * A table's current metadata pointer only moves by compare-and-swap, which is what makes a
 * commit atomic and arbitrates between writers.
 */
import type { RowSchema } from '../../writer/schema.js';
import type { PartitionTransform } from '../../writer/task.js';

export type Namespace = string[];

export interface LoadedTable {
  /** URI of the current metadata file, e.g. file:///.../metadata/00003-<uuid>.metadata.json */
  metadataLocation: string;
  /** The metadata file's exact text: snapshot ids exceed 2^53, so it is never re-serialized. */
  metadataJson: string;
}

export interface IcebergCatalog {
  listNamespaces(parent?: Namespace): Promise<Namespace[]>;
  namespaceExists(ns: Namespace): Promise<boolean>;
  namespaceProperties(ns: Namespace): Promise<Record<string, string> | null>;
  listTables(ns: Namespace): Promise<string[]>;
  loadTable(ns: Namespace, name: string): Promise<LoadedTable | null>;
  /** Properties engines need to read data files (FileIO config), e.g. {} for local files. */
  fileIOConfig(): Record<string, string>;
}

export class CommitConflictError extends Error {
  /** The swap was refused: the table is unchanged (see tables/table-writer.ts). */
  readonly commitNotApplied = true;
  constructor(message: string) {
    super(message);
    this.name = 'CommitConflictError';
  }
}

/**
 * A catalog lakegate can create tables in and commit to (the local-filesystem catalog now;
 * a REST or database-backed catalog later).
 */
export interface WritableIcebergCatalog extends IcebergCatalog {
  /** Creates the namespace (and its parents) if missing; existing properties are kept. */
  createNamespace(ns: Namespace, properties?: Record<string, string>): Promise<void>;
  /**
   * Creates the table with an empty first metadata version, or returns the existing table
   * unchanged when it already exists (creating the namespace if needed).
   */
  createTable(
    ns: Namespace,
    name: string,
    schema: RowSchema,
    partitionBy: PartitionTransform,
    properties?: Record<string, string>,
  ): Promise<LoadedTable>;
  /**
   * Writes `newMetadataJson` as the table's next metadata file and makes it current, only if
   * the current metadata is still `expectedMetadataLocation` (null: the table must not exist
   * yet); throws CommitConflictError otherwise, leaving the table unchanged.
   */
  commitTable(ns: Namespace, name: string, expectedMetadataLocation: string | null, newMetadataJson: string): Promise<LoadedTable>;
  /** The table's location URI (where metadata/ and data/ live), whether or not it exists. */
  tableLocation(ns: Namespace, name: string): string;
}

/**
 * A namespace level or table name a catalog cannot hold (empty, '.', '..', a leading dot, a
 * path separator or NUL): it names nothing, so the REST catalog answers it as not found.
 */
export class InvalidIdentifierError extends Error {
  constructor(
    readonly what: 'namespace' | 'table',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidIdentifierError';
  }
}
