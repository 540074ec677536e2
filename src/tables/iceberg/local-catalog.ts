/**
 * A catalog on the local filesystem.
 *
 *   <warehouse>/<ns...>/                      a namespace (nested namespaces nest directories)
 *   <warehouse>/<ns...>/.lakegate-namespace.json   its properties, when any were set
 *   <warehouse>/<ns...>/<table>/              the table location
 *     data/                                   Parquet data files
 *     metadata/<NNNNN>-<uuid>.metadata.json   table metadata versions
 *     metadata/<uuid>-m0.avro, snap-*.avro    manifests and manifest lists
 *     metadata/lakegate-commits/<20 digits>.json   commit log: version N -> metadata location
 *     metadata/lakegate-current.json          hint: the newest version known (same content)
 *
 * The current metadata pointer moves by compare-and-swap. Version N of a table is claimed by
 * creating `lakegate-commits/N` with link(2), which fails if the name exists, so exactly one
 * writer wins each version even across processes, and a crash never leaves a torn pointer (the
 * marker is written and fsynced under a temporary name first). The current version is the
 * highest marker: readers start at the hint and probe forward. Within a process a per-table
 * mutex serializes commits so they conflict only with other processes.
 *
 * Markers are pruned so that a table committed every second does not gather a file per
 * commit forever: every PRUNE_EVERY versions, markers more than KEEP_MARKERS behind are removed,
 * except marker 0, which says the directory is a table. A writer whose link lands in a pruned
 * gap (only possible after stalling for KEEP_MARKERS commits of another process between reading
 * the current version and linking) sees a hint past its version and backs out as a conflict.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RowSchema } from '../../writer/schema.js';
import type { PartitionTransform } from '../../writer/task.js';
import { CommitConflictError, InvalidIdentifierError, type LoadedTable, type Namespace, type WritableIcebergCatalog } from './catalog.js';
import { fsyncDir, locationToPath, pathToLocation, writeFileDurably } from './io.js';
import { newTableMetadata, serializeMetadata } from './metadata.js';

const NAMESPACE_PROPERTIES_FILE = '.lakegate-namespace.json';
const COMMITS_DIR = 'lakegate-commits';
const CURRENT_HINT = 'lakegate-current.json';

interface Pointer {
  version: number;
  'metadata-location': string;
}

function checkName(part: string, what: 'namespace' | 'table'): void {
  if (
    typeof part !== 'string' ||
    part.length === 0 ||
    part === '.' ||
    part === '..' ||
    part.startsWith('.') ||
    /[/\\\0]/.test(part)
  ) {
    throw new InvalidIdentifierError(what, `invalid ${what} name ${JSON.stringify(part)}`);
  }
}

function checkNamespace(ns: Namespace): void {
  if (!Array.isArray(ns) || ns.length === 0) throw new Error('a namespace has at least one level');
  for (const p of ns) checkName(p, 'namespace');
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const markerName = (version: number) => `${String(version).padStart(20, '0')}.json`;
const MARKER_NAME = /^(\d{20})\.json$/;
const KEEP_MARKERS = 100;
const PRUNE_EVERY = 100;

/** Versions of the markers in a commits directory, ascending. */
async function markerVersions(commits: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(commits);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: number[] = [];
  for (const n of names) {
    const m = MARKER_NAME.exec(n);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export class LocalIcebergCatalog implements WritableIcebergCatalog {
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(readonly warehouseDir: string) {}

  /** Opens (creating if needed) a warehouse directory. */
  static async open(warehouseDir: string): Promise<LocalIcebergCatalog> {
    const dir = resolve(warehouseDir);
    await mkdir(dir, { recursive: true });
    return new LocalIcebergCatalog(dir);
  }

  fileIOConfig(): Record<string, string> {
    return {};
  }

  // ---- layout ------------------------------------------------------------------------------

  namespacePath(ns: Namespace): string {
    checkNamespace(ns);
    return join(this.warehouseDir, ...ns);
  }

  tablePath(ns: Namespace, name: string): string {
    checkName(name, 'table');
    return join(this.namespacePath(ns), name);
  }

  tableLocation(ns: Namespace, name: string): string {
    return pathToLocation(this.tablePath(ns, name));
  }

  private commitsDir(ns: Namespace, name: string): string {
    return join(this.tablePath(ns, name), 'metadata', COMMITS_DIR);
  }

  private async isTableDir(path: string): Promise<boolean> {
    return (await readIfExists(join(path, 'metadata', COMMITS_DIR, markerName(0)))) !== null;
  }

  // ---- namespaces --------------------------------------------------------------------------

  async listNamespaces(parent: Namespace = []): Promise<Namespace[]> {
    const dir = parent.length === 0 ? this.warehouseDir : this.namespacePath(parent);
    if (parent.length > 0 && !(await this.namespaceExists(parent))) return [];
    const out: Namespace[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (await this.isTableDir(join(dir, entry.name))) continue;
      out.push([...parent, entry.name]);
    }
    return out.sort((a, b) => (a.join('.') < b.join('.') ? -1 : 1));
  }

  async namespaceExists(ns: Namespace): Promise<boolean> {
    const dir = this.namespacePath(ns);
    if (!(await isDir(dir))) return false;
    // A table directory is not a namespace, nor is anything inside one.
    for (let i = 1; i <= ns.length; i++) {
      if (await this.isTableDir(join(this.warehouseDir, ...ns.slice(0, i)))) return false;
    }
    return true;
  }

  async namespaceProperties(ns: Namespace): Promise<Record<string, string> | null> {
    if (!(await this.namespaceExists(ns))) return null;
    const text = await readIfExists(join(this.namespacePath(ns), NAMESPACE_PROPERTIES_FILE));
    return text === null ? {} : (JSON.parse(text) as Record<string, string>);
  }

  async createNamespace(ns: Namespace, properties: Record<string, string> = {}): Promise<void> {
    const dir = this.namespacePath(ns);
    for (let i = 1; i < ns.length; i++) {
      if (await this.isTableDir(join(this.warehouseDir, ...ns.slice(0, i)))) {
        throw new Error(`${ns.slice(0, i).join('.')} is a table, not a namespace`);
      }
    }
    if (await this.isTableDir(dir)) throw new Error(`${ns.join('.')} is a table, not a namespace`);
    await mkdir(dir, { recursive: true });
    if (Object.keys(properties).length > 0) {
      const existing = (await this.namespaceProperties(ns)) ?? {};
      const tmp = join(dir, `${NAMESPACE_PROPERTIES_FILE}.${randomUUID()}.tmp`);
      await writeFileDurably(tmp, JSON.stringify({ ...properties, ...existing }));
      await rename(tmp, join(dir, NAMESPACE_PROPERTIES_FILE));
      await fsyncDir(dir);
    }
  }

  // ---- tables ------------------------------------------------------------------------------

  async listTables(ns: Namespace): Promise<string[]> {
    if (!(await this.namespaceExists(ns))) return [];
    const dir = this.namespacePath(ns);
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && (await this.isTableDir(join(dir, entry.name)))) {
        out.push(entry.name);
      }
    }
    return out.sort();
  }

  /** The newest committed version of a table, or null when it does not exist. */
  private async currentPointer(ns: Namespace, name: string): Promise<Pointer | null> {
    const commits = this.commitsDir(ns, name);
    const hintText = await readIfExists(join(this.tablePath(ns, name), 'metadata', CURRENT_HINT));
    let version = hintText === null ? -1 : (JSON.parse(hintText) as Pointer).version;
    let text: string | null = version >= 0 ? await readIfExists(join(commits, markerName(version))) : null;
    if (text === null) {
      // No hint, or one without its marker (files removed by hand): start from the highest
      // marker listed, as pruning leaves a gap after marker 0.
      const versions = await markerVersions(commits);
      version = versions.length > 0 ? versions[versions.length - 1]! : -1;
      text = version >= 0 ? await readIfExists(join(commits, markerName(version))) : null;
    }
    for (;;) {
      const next = await readIfExists(join(commits, markerName(version + 1)));
      if (next === null) break;
      version++;
      text = next;
    }
    if (version < 0 || text === null) return null;
    const p = JSON.parse(text) as Pointer;
    if (p.version !== version) throw new Error(`commit marker ${version} of ${name} says version ${p.version}`);
    return p;
  }

  async loadTable(ns: Namespace, name: string): Promise<LoadedTable | null> {
    const p = await this.currentPointer(ns, name);
    if (p === null) return null;
    const metadataJson = await readFile(locationToPath(p['metadata-location']), 'utf8');
    return { metadataLocation: p['metadata-location'], metadataJson };
  }

  async createTable(
    ns: Namespace,
    name: string,
    schema: RowSchema,
    partitionBy: PartitionTransform,
    properties: Record<string, string> = {},
  ): Promise<LoadedTable> {
    const existing = await this.loadTable(ns, name);
    if (existing) return existing;
    await this.createNamespace(ns);
    const meta = newTableMetadata({ location: this.tableLocation(ns, name), schema, partitionBy, properties });
    try {
      return await this.commitTable(ns, name, null, serializeMetadata(meta));
    } catch (e) {
      if (!(e instanceof CommitConflictError)) throw e;
      const created = await this.loadTable(ns, name);
      if (!created) throw e;
      return created;
    }
  }

  async commitTable(ns: Namespace, name: string, expectedMetadataLocation: string | null, newMetadataJson: string): Promise<LoadedTable> {
    const key = JSON.stringify([ns, name]);
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.commitLocked(ns, name, expectedMetadataLocation, newMetadataJson));
    this.locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === run) this.locks.delete(key);
    }
  }

  private async commitLocked(ns: Namespace, name: string, expected: string | null, json: string): Promise<LoadedTable> {
    const current = await this.currentPointer(ns, name);
    const currentLocation = current?.['metadata-location'] ?? null;
    if (currentLocation !== expected) {
      throw new CommitConflictError(
        `${[...ns, name].join('.')}: current metadata is ${currentLocation ?? '(no table)'}, expected ${expected ?? '(no table)'}`,
      );
    }
    const version = current === null ? 0 : current.version + 1;
    const metadataDir = join(this.tablePath(ns, name), 'metadata');
    const commits = join(metadataDir, COMMITS_DIR);
    await mkdir(commits, { recursive: true });
    const fileName = `${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    const metadataPath = join(metadataDir, fileName);
    await writeFileDurably(metadataPath, json);
    // The metadata file's directory entry (and the manifests' beside it) is durable before the
    // marker that points at it: a filesystem that does not order directory updates across
    // directories could otherwise keep the marker and lose the file.
    await fsyncDir(metadataDir);
    const pointer: Pointer = { version, 'metadata-location': pathToLocation(metadataPath) };
    const pointerText = JSON.stringify(pointer);
    const tmp = join(commits, `.${randomUUID()}.tmp`);
    await writeFileDurably(tmp, pointerText);
    try {
      await link(tmp, join(commits, markerName(version)));
    } catch (e) {
      await rm(tmp, { force: true });
      await rm(metadataPath, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CommitConflictError(`${[...ns, name].join('.')}: version ${version} was committed by another writer`);
      }
      throw e;
    }
    await rm(tmp, { force: true });
    if (await this.linkedIntoPrunedGap(metadataDir, version)) {
      await rm(join(commits, markerName(version)), { force: true });
      await rm(metadataPath, { force: true });
      throw new CommitConflictError(`${[...ns, name].join('.')}: version ${version} is long past; another writer is ahead`);
    }
    // Committed: version `version` is ours and visible. What follows cannot undo it.
    await fsyncDir(commits);
    await fsyncDir(metadataDir);
    await this.writeHint(metadataDir, pointerText).catch(() => undefined);
    if (version % PRUNE_EVERY === 0) await this.pruneMarkers(commits, version).catch(() => undefined);
    return { metadataLocation: pointer['metadata-location'], metadataJson: json };
  }

  /**
   * Whether the hint is far past `version`: then the link succeeded only because pruning had
   * removed that marker. Markers within KEEP_MARKERS of the newest are never pruned, so a
   * pruned gap is at least that far behind; a hint only a version or two ahead is another
   * writer that built on this very commit in the moment since the link, which must stand.
   */
  private async linkedIntoPrunedGap(metadataDir: string, version: number): Promise<boolean> {
    const hintText = await readIfExists(join(metadataDir, CURRENT_HINT));
    return hintText !== null && (JSON.parse(hintText) as Pointer).version >= version + KEEP_MARKERS / 2;
  }

  /** Removes markers more than KEEP_MARKERS behind `version`, keeping marker 0 (the table's existence). */
  private async pruneMarkers(commits: string, version: number): Promise<void> {
    for (const v of await markerVersions(commits)) {
      if (v > 0 && v < version - KEEP_MARKERS) await rm(join(commits, markerName(v)), { force: true });
    }
  }

  /** The hint only speeds up finding the newest marker; a stale or missing one is harmless. */
  private async writeHint(metadataDir: string, pointerText: string): Promise<void> {
    const hintTmp = join(metadataDir, `.${CURRENT_HINT}.${randomUUID()}.tmp`);
    try {
      await writeFileDurably(hintTmp, pointerText);
      await rename(hintTmp, join(metadataDir, CURRENT_HINT));
    } finally {
      await rm(hintTmp, { force: true });
    }
  }
}
