/**
 * The catalog interface the Iceberg REST plugin serves and the committer writes through.
 * A table's current metadata pointer only moves by compare-and-swap, which is what makes a
 * commit atomic and arbitrates between writers.
 */
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
  constructor(message: string) {
    super(message);
    this.name = 'CommitConflictError';
  }
}
