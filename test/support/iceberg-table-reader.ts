/**
 * Reads a lakegate table back the way an engine would, for tests: the REST catalog's
 * LoadTable answer, the current snapshot's manifest list, its manifests, and every data
 * file's rows (Parquet decoded by parquet-wasm into Arrow). Independent engines (pyiceberg,
 * Spark) do the same in the interop suite.
 */
import { readFile } from 'node:fs/promises';
import { DataType, type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { readManifest } from '../../src/tables/iceberg/manifest.js';
import { readManifestList } from '../../src/tables/iceberg/manifest-list.js';
import { parseMetadata, type TableMetadata } from '../../src/tables/iceberg/metadata.js';
import { locationToPath } from '../../src/tables/iceberg/io.js';
import { setOwn } from '../../src/writer/own-property.js';
import type { PartitionValue } from '../../src/writer/task.js';

export interface TableRow {
  partition: number;
  offset: bigint;
  timestampMicros: bigint;
  key: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  value: Buffer | string | null;
  columns: Record<string, unknown>;
}

export interface ReadTable {
  metadata: TableMetadata;
  /** Sum of the manifests' record_count of live data files. */
  manifestRecordCount: bigint;
  dataFiles: string[];
  /** Each live data file's partition tuple from its manifest entry, keyed by file path. */
  partitions: Map<string, Record<string, PartitionValue>>;
  rows: TableRow[];
}

export async function loadTableMetadata(httpPort: number, table: string): Promise<{ location: string; metadata: TableMetadata } | null> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/namespaces/kafka/tables/${table}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`LoadTable ${table}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  // Splice out the metadata object as text: it must be parsed losslessly (ids > 2^53).
  const location = (JSON.parse(text) as { 'metadata-location': string })['metadata-location'];
  const metadataText = await readFile(locationToPath(location), 'utf8');
  return { location, metadata: parseMetadata(metadataText) };
}

export async function readIcebergTable(httpPort: number, table: string): Promise<ReadTable> {
  const loaded = await loadTableMetadata(httpPort, table);
  if (!loaded) throw new Error(`no table ${table}`);
  const { metadata } = loaded;
  const current = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
  const out: ReadTable = { metadata, manifestRecordCount: 0n, dataFiles: [], partitions: new Map(), rows: [] };
  if (!current) return out;
  const list = readManifestList(await readFile(locationToPath(current['manifest-list'])));
  for (const m of list.manifests) {
    const manifest = readManifest(await readFile(locationToPath(m.manifestPath)));
    for (const entry of manifest.entries) {
      if (entry.status === 2) continue;
      out.manifestRecordCount += entry.dataFile.recordCount;
      out.dataFiles.push(locationToPath(entry.dataFile.filePath));
      out.partitions.set(locationToPath(entry.dataFile.filePath), entry.dataFile.partition);
    }
  }
  for (const file of out.dataFiles) out.rows.push(...(await readParquetRows(file)));
  return out;
}

/** A data file as an Arrow table, exactly as parquet-wasm reads it (types and field metadata kept). */
export async function readDataFile(file: string): Promise<Table> {
  return tableFromIPC(readParquet(await readFile(file)).intoIPCStream());
}

/** Arrow values as plain JS: lists as arrays, structs and maps as objects, decimals as unscaled bigint, bytes as Buffer. */
export function plainValue(v: unknown, type?: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (type && DataType.isDecimal(type)) {
    const words = v as Uint32Array;
    let x = 0n;
    for (let i = words.length - 1; i >= 0; i--) x = (x << 32n) | BigInt(words[i]);
    return BigInt.asIntN(words.length * 32, x);
  }
  if (type && DataType.isList(type)) return [...(v as Iterable<unknown>)].map((e) => plainValue(e, type.children[0].type));
  if (type && DataType.isMap(type)) {
    const out: Record<string, unknown> = {};
    const valueType = type.children[0].type.children[1].type;
    // setOwn: a key "__proto__" must stay an entry (src/writer/own-property.ts).
    for (const [k, e] of v as Iterable<[string, unknown]>) setOwn(out, k, plainValue(e, valueType));
    return out;
  }
  if (type && DataType.isStruct(type)) {
    const out: Record<string, unknown> = {};
    for (const f of type.children) out[f.name] = plainValue((v as Record<string, unknown>)[f.name], f.type);
    return out;
  }
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

/** Every row of a data file as plain values by column name (see plainValue). */
export async function readPlainRows(file: string): Promise<Array<Record<string, unknown>>> {
  const table = await readDataFile(file);
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const field of table.schema.fields) row[field.name] = plainValue(table.getChild(field.name)!.get(i), field.type);
    rows.push(row);
  }
  return rows;
}

async function readParquetRows(file: string): Promise<TableRow[]> {
  const table = await readDataFile(file);
  const rows: TableRow[] = [];
  for (const row of table) {
    const r = row.toJSON() as Record<string, any>;
    const headers = r._kafka_headers ? [...r._kafka_headers].map((h: any) => ({ key: h.key as string, value: h.value ? Buffer.from(h.value) : null })) : [];
    const columns: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!k.startsWith('_kafka_') && k !== 'value') columns[k] = v;
    rows.push({
      partition: r._kafka_partition,
      offset: BigInt(r._kafka_offset),
      // apache-arrow hands timestamps out as fractional epoch milliseconds.
      timestampMicros: BigInt(Math.round(r._kafka_timestamp * 1000)),
      key: r._kafka_key ? Buffer.from(r._kafka_key) : null,
      headers,
      value: r.value === null || r.value === undefined ? null : typeof r.value === 'string' ? r.value : Buffer.from(r.value),
      columns,
    });
  }
  return rows;
}

/** Polls the admin API until every partition of the topic's table has no lag. */
export async function waitForTableCaughtUp(httpPort: number, topic: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/admin/tables/${topic}`);
    if (res.ok) {
      last = await res.text();
      const status = JSON.parse(last) as { state?: string; partitions: Array<{ lag: number }> };
      // A topic whose materializer is starting or failing is listed too; its lag means nothing yet.
      if ((status.state ?? 'running') === 'running' && status.partitions.length > 0 && status.partitions.every((p) => p.lag === 0)) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table of ${topic} did not catch up within ${timeoutMs} ms: ${last}`);
}
