/** A real table writer seen through a wrapper whose commit a test can slow down or fail. */
import type { IcebergTableWriter } from '../../../src/tables/iceberg/committer.js';
import type { TableCommit, TableFormatWriter } from '../../../src/tables/table-writer.js';

export class DelegatingTableWriter implements TableFormatWriter {
  readonly format = 'iceberg' as const;

  constructor(readonly inner: IcebergTableWriter) {}

  get name(): string {
    return this.inner.name;
  }

  get dataDir(): string {
    return this.inner.dataDir;
  }

  committedOffsets(): Promise<Map<number, bigint>> {
    return this.inner.committedOffsets();
  }

  committedRowCount(): Promise<bigint> {
    return this.inner.committedRowCount();
  }

  referencedDataFiles(): Promise<Set<string>> {
    return this.inner.referencedDataFiles();
  }

  commit(commit: TableCommit): Promise<void> {
    return this.inner.commit(commit);
  }
}
