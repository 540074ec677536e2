/** An in-memory IcebergCatalog for the HTTP tests: namespaces, their properties and tables. */
import type { IcebergCatalog, LoadedTable, Namespace } from '../../../src/tables/iceberg/catalog.js';

const key = (ns: Namespace): string => ns.join('\u001f');

export class FakeCatalog implements IcebergCatalog {
  private readonly namespaces = new Map<string, { ns: Namespace; properties: Record<string, string> }>();
  private readonly tables = new Map<string, Map<string, LoadedTable>>();
  /** When set, every call throws it (to exercise the 500 path). */
  failWith: Error | null = null;
  config: Record<string, string> = {};

  addNamespace(ns: Namespace, properties: Record<string, string> = {}): this {
    this.namespaces.set(key(ns), { ns, properties });
    return this;
  }

  addTable(ns: Namespace, name: string, table: LoadedTable): this {
    if (!this.namespaces.has(key(ns))) this.addNamespace(ns);
    let t = this.tables.get(key(ns));
    if (!t) this.tables.set(key(ns), (t = new Map()));
    t.set(name, table);
    return this;
  }

  private check(): void {
    if (this.failWith) throw this.failWith;
  }

  async listNamespaces(parent?: Namespace): Promise<Namespace[]> {
    this.check();
    const depth = parent ? parent.length + 1 : 1;
    return [...this.namespaces.values()]
      .map((n) => n.ns)
      .filter((ns) => ns.length === depth && (!parent || parent.every((p, i) => ns[i] === p)));
  }

  async namespaceExists(ns: Namespace): Promise<boolean> {
    this.check();
    return this.namespaces.has(key(ns));
  }

  async namespaceProperties(ns: Namespace): Promise<Record<string, string> | null> {
    this.check();
    return this.namespaces.get(key(ns))?.properties ?? null;
  }

  async listTables(ns: Namespace): Promise<string[]> {
    this.check();
    return [...(this.tables.get(key(ns))?.keys() ?? [])];
  }

  async loadTable(ns: Namespace, name: string): Promise<LoadedTable | null> {
    this.check();
    return this.tables.get(key(ns))?.get(name) ?? null;
  }

  fileIOConfig(): Record<string, string> {
    return this.config;
  }
}
