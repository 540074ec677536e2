import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { CommitConflictError, type WritableIcebergCatalog } from '../../../src/tables/iceberg/catalog.js';
import { IcebergTableWriter, OffsetConflictError } from '../../../src/tables/iceberg/committer.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import { readManifest } from '../../../src/tables/iceberg/manifest.js';
import { readManifestList } from '../../../src/tables/iceberg/manifest-list.js';
import { parseMetadata } from '../../../src/tables/iceberg/metadata.js';
import { OFFSETS_PROPERTY } from '../../../src/tables/iceberg/snapshot.js';
import { testRows, testSchema, writeTestParquet, NAME_ID } from './fixture.js';

const BASE = 1_700_000_000_000_000n; // 2023-11-14T22:13:20Z
const HOUR = 472222;
const tmp = () => mkdtempSync(join(tmpdir(), 'lakegate-committer-'));

async function open(catalog: WritableIcebergCatalog, partitionBy: 'hour' | 'none' = 'hour') {
  return IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'orders', topic: 'orders', schema: testSchema(), partitionBy });
}

async function current(catalog: LocalIcebergCatalog) {
  const t = (await catalog.loadTable(['kafka'], 'orders'))!;
  return { ...t, meta: parseMetadata(t.metadataJson) };
}

test('the fixture writes Parquet with field ids', async () => {
  const dir = tmp();
  const f = writeTestParquet(join(dir, 'x.parquet'), testRows(0, 0n, 5, BASE), HOUR);
  const buf = readFileSync(f.path);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = await parquetMetadataAsync(ab);
  const ids = md.schema.filter((s) => s.field_id !== undefined).map((s) => s.field_id);
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const rows = await parquetReadObjects({ file: ab });
  assert.equal(rows.length, 5);
  assert.equal(f.sizeBytes, buf.length);
});

test('commits: manifests, fast append, summary, offsets carried forward, referenced files', async () => {
  const wh = tmp();
  const catalog = await LocalIcebergCatalog.open(wh);
  const w = await open(catalog);
  assert.equal(w.name, 'kafka.orders');
  assert.equal(w.dataDir, join(wh, 'kafka', 'orders', 'data'));
  assert.deepEqual(await w.committedOffsets(), new Map());
  assert.deepEqual(await w.referencedDataFiles(), new Set());

  const a = writeTestParquet(join(w.dataDir, 'a.parquet'), testRows(0, 0n, 10, BASE), HOUR);
  const b = writeTestParquet(join(w.dataDir, 'b.parquet'), testRows(1, 0n, 4, BASE), HOUR);
  await w.commit({ files: [a, b], offsets: new Map([[0, 9n], [1, 3n]]), rowCount: 14 });
  const c = writeTestParquet(join(w.dataDir, 'c.parquet'), testRows(0, 10n, 5, BASE + 3_600_000_000n), HOUR + 1);
  await w.commit({ files: [c], offsets: new Map([[0, 14n]]), rowCount: 5 });

  assert.deepEqual(await w.committedOffsets(), new Map([[0, 14n], [1, 3n]]));
  assert.deepEqual(await w.referencedDataFiles(), new Set([a.path, b.path, c.path]));

  const { meta, metadataLocation } = await current(catalog);
  assert.match(metadataLocation, /\/00002-[0-9a-f-]{36}\.metadata\.json$/);
  assert.equal(meta['last-sequence-number'], 2);
  assert.equal(meta.snapshots.length, 2);
  const [s1, s2] = meta.snapshots;
  assert.equal(s2!['parent-snapshot-id'], s1!['snapshot-id']);
  assert.equal(meta.refs['main']!['snapshot-id'], s2!['snapshot-id']);
  assert.equal(meta['metadata-log'].length, 2);
  assert.equal(s2!.summary['total-records'], '19');
  assert.equal(s2!.summary['total-data-files'], '3');
  assert.equal(s2!.summary['added-records'], '5');
  assert.equal(s2!.summary['total-files-size'], String(a.sizeBytes + b.sizeBytes + c.sizeBytes));
  assert.equal(s1!.summary['changed-partition-count'], '1');
  assert.equal(s2!.summary['lakegate.kafka.topic'], 'orders');
  assert.equal(s2!.summary[OFFSETS_PROPERTY], '{"0":"14","1":"3"}');

  // Manifest list: the new manifest first, then the parent's record unchanged.
  const list = readManifestList(readFileSync(new URL(s2!['manifest-list'])));
  const parentList = readManifestList(readFileSync(new URL(s1!['manifest-list'])));
  assert.equal(list.manifests.length, 2);
  assert.deepEqual(list.manifests[1], parentList.manifests[0]);
  assert.equal(list.manifests[0]!.sequenceNumber, 2n);
  assert.equal(list.manifests[0]!.addedSnapshotId, s2!['snapshot-id']);
  assert.equal(list.manifests[0]!.addedFilesCount, 1);
  assert.equal(list.manifests[0]!.addedRowsCount, 5n);
  assert.equal(list.manifests[0]!.partitions![0]!.lowerBound!.readInt32LE(0), HOUR + 1);
  assert.equal(list.metadata['parent-snapshot-id'], String(s1!['snapshot-id']));
  const manifest = readManifest(readFileSync(new URL(list.manifests[0]!.manifestPath)));
  assert.equal(manifest.entries.length, 1);
  const e = manifest.entries[0]!;
  assert.equal(e.status, 1);
  assert.equal(e.sequenceNumber, null);
  assert.equal(e.dataFile.filePath, `file://${c.path}`);
  assert.equal(e.dataFile.fileSizeInBytes, BigInt(c.sizeBytes));
  assert.equal(e.dataFile.recordCount, 5n);
  assert.deepEqual(e.dataFile.partition, { _kafka_timestamp_hour: HOUR + 1 });
  assert.equal(e.dataFile.metrics.lowerBounds.get(2)!.readBigInt64LE(0), 10n);
  assert.equal(e.dataFile.metrics.upperBounds.get(2)!.readBigInt64LE(0), 14n);
  assert.equal(e.dataFile.metrics.lowerBounds.get(NAME_ID)!.toString(), 'name-0-10-ü');
  assert.equal(e.dataFile.metrics.lowerBounds.has(7), false);
  assert.equal(e.dataFile.metrics.valueCounts.get(7), 3n);
});

test('a commit with no files still records advancing offsets; a no-op commit makes no snapshot', async () => {
  const catalog = await LocalIcebergCatalog.open(tmp());
  const w = await open(catalog, 'none');
  const a = writeTestParquet(join(w.dataDir, 'a.parquet'), testRows(0, 0n, 3, BASE), null);
  await w.commit({ files: [a], offsets: new Map([[0, 2n]]), rowCount: 3 });
  await w.commit({ files: [], offsets: new Map([[3, 41n]]), rowCount: 0 });
  let { meta } = await current(catalog);
  assert.equal(meta.snapshots.length, 2);
  assert.equal(meta.snapshots[1]!.summary['added-data-files'], '0');
  assert.equal(meta.snapshots[1]!.summary['total-data-files'], '1');
  assert.deepEqual(await w.committedOffsets(), new Map([[0, 2n], [3, 41n]]));
  assert.deepEqual(await w.referencedDataFiles(), new Set([a.path]));
  await w.commit({ files: [], offsets: new Map([[3, 41n]]), rowCount: 0 });
  ({ meta } = await current(catalog));
  assert.equal(meta.snapshots.length, 2);
  await assert.rejects(w.commit({ files: [], offsets: new Map([[0, 1n]]), rowCount: 0 }), /move back/);
  // A reopened writer resumes from the table.
  const again = await open(catalog, 'none');
  assert.deepEqual(await again.committedOffsets(), new Map([[0, 2n], [3, 41n]]));
  await assert.rejects(open(catalog, 'hour'), /partitioned by none/);
});

/** A catalog whose next commitTable first lets `before` run (another writer sneaking in). */
class RacingCatalog implements WritableIcebergCatalog {
  before: (() => Promise<void>) | null = null;
  commits = 0;
  constructor(private readonly inner: LocalIcebergCatalog) {}
  listNamespaces(p?: string[]) { return this.inner.listNamespaces(p); }
  namespaceExists(ns: string[]) { return this.inner.namespaceExists(ns); }
  namespaceProperties(ns: string[]) { return this.inner.namespaceProperties(ns); }
  listTables(ns: string[]) { return this.inner.listTables(ns); }
  loadTable(ns: string[], n: string) { return this.inner.loadTable(ns, n); }
  fileIOConfig() { return this.inner.fileIOConfig(); }
  createNamespace(ns: string[], p?: Record<string, string>) { return this.inner.createNamespace(ns, p); }
  createTable(...args: Parameters<LocalIcebergCatalog['createTable']>) { return this.inner.createTable(...args); }
  tableLocation(ns: string[], n: string) { return this.inner.tableLocation(ns, n); }
  async commitTable(ns: string[], n: string, expected: string | null, json: string) {
    this.commits++;
    const hook = this.before;
    this.before = null;
    if (hook) await hook();
    return this.inner.commitTable(ns, n, expected, json);
  }
}

test('CAS conflict: reload and retry when another writer committed other partitions', async () => {
  const local = await LocalIcebergCatalog.open(tmp());
  const racing = new RacingCatalog(local);
  const w = await open(racing);
  const other = await open(local);
  const a = writeTestParquet(join(w.dataDir, 'a.parquet'), testRows(0, 0n, 3, BASE), HOUR);
  const o = writeTestParquet(join(w.dataDir, 'o.parquet'), testRows(5, 0n, 2, BASE), HOUR);
  racing.before = () => other.commit({ files: [o], offsets: new Map([[5, 1n]]), rowCount: 2 });
  await w.commit({ files: [a], offsets: new Map([[0, 2n]]), rowCount: 3 });
  assert.equal(racing.commits, 2, 'one conflict, one retry');
  const { meta } = await current(local);
  assert.equal(meta.snapshots.length, 2);
  assert.equal(meta['last-sequence-number'], 2);
  assert.deepEqual(await w.committedOffsets(), new Map([[0, 2n], [5, 1n]]));
  assert.deepEqual(await w.referencedDataFiles(), new Set([a.path, o.path]));
  assert.equal(meta.snapshots[1]!.summary['total-records'], '5');
  // The failed attempt's manifest list was removed; the manifest was reused.
  const avro = readdirSync(join(local.warehouseDir, 'kafka', 'orders', 'metadata')).filter((f) => f.endsWith('.avro'));
  assert.equal(avro.length, 4); // 2 manifests + 2 manifest lists
});

test('CAS conflict on the same Kafka partition fails instead of duplicating rows', async () => {
  const local = await LocalIcebergCatalog.open(tmp());
  const racing = new RacingCatalog(local);
  const w = await open(racing);
  const other = await open(local);
  const a = writeTestParquet(join(w.dataDir, 'a.parquet'), testRows(0, 0n, 3, BASE), HOUR);
  const dup = writeTestParquet(join(w.dataDir, 'dup.parquet'), testRows(0, 0n, 3, BASE), HOUR);
  racing.before = () => other.commit({ files: [dup], offsets: new Map([[0, 2n]]), rowCount: 3 });
  await assert.rejects(w.commit({ files: [a], offsets: new Map([[0, 2n]]), rowCount: 3 }), OffsetConflictError);
  assert.deepEqual(await w.referencedDataFiles(), new Set([dup.path]));
  const avro = readdirSync(join(local.warehouseDir, 'kafka', 'orders', 'metadata')).filter((f) => f.endsWith('.avro'));
  assert.equal(avro.length, 2, 'the losing commit left no manifest behind');
});

test('a commit expecting offsets other than the table holds is refused and changes nothing', async () => {
  const catalog = await LocalIcebergCatalog.open(tmp());
  const w = await open(catalog);
  const a = writeTestParquet(join(w.dataDir, 'a.parquet'), testRows(0, 0n, 3, BASE), HOUR);
  await w.commit({ files: [a], offsets: new Map([[0, 2n]]), rowCount: 3, expectedOffsets: new Map([[0, null]]) });
  const before = await current(catalog);

  // The same range again, by a caller that did not learn the first commit was applied.
  const again = writeTestParquet(join(w.dataDir, 'again.parquet'), testRows(0, 0n, 3, BASE), HOUR);
  await assert.rejects(
    w.commit({ files: [again], offsets: new Map([[0, 2n]]), rowCount: 3, expectedOffsets: new Map([[0, null]]) }),
    (e: unknown) => e instanceof OffsetConflictError && /partition 0 holds offsets through 2, this commit expected none/.test(e.message),
  );
  // A gap: the caller believes the table holds more than it does.
  const later = writeTestParquet(join(w.dataDir, 'later.parquet'), testRows(0, 10n, 3, BASE), HOUR);
  await assert.rejects(w.commit({ files: [later], offsets: new Map([[0, 12n]]), rowCount: 3, expectedOffsets: new Map([[0, 9n]]) }), OffsetConflictError);
  assert.equal((await current(catalog)).metadataLocation, before.metadataLocation, 'no new metadata');

  const next = writeTestParquet(join(w.dataDir, 'next.parquet'), testRows(0, 3n, 3, BASE), HOUR);
  await w.commit({ files: [next], offsets: new Map([[0, 5n]]), rowCount: 3, expectedOffsets: new Map([[0, 2n]]) });
  assert.deepEqual(await w.committedOffsets(), new Map([[0, 5n]]));
  assert.deepEqual(await w.referencedDataFiles(), new Set([a.path, next.path]));
});

test('retries are bounded', async () => {
  const local = await LocalIcebergCatalog.open(tmp());
  await open(local);
  let attempts = 0;
  const always: WritableIcebergCatalog = Object.assign(Object.create(local), {
    commitTable: async () => {
      attempts++;
      throw new CommitConflictError('always');
    },
  });
  const w = await IcebergTableWriter.open({ catalog: always, namespace: ['kafka'], table: 'orders', topic: 'orders', schema: testSchema(), partitionBy: 'hour', maxCommitAttempts: 3 });
  await assert.rejects(w.commit({ files: [], offsets: new Map([[0, 1n]]), rowCount: 0 }), CommitConflictError);
  assert.equal(attempts, 3);
});

test('a newer writer schema becomes the table schema on commit', async () => {
  const catalog = await LocalIcebergCatalog.open(tmp());
  await open(catalog, 'none');
  const s1 = testSchema();
  s1.schemaId = 1;
  s1.columns.push({ id: 11, name: 'extra', required: false, type: { kind: 'primitive', type: 'long' } });
  const w = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'orders', topic: 'orders', schema: s1, partitionBy: 'none' });
  await w.commit({ files: [], offsets: new Map([[0, 0n]]), rowCount: 0 });
  const { meta } = await current(catalog);
  assert.equal(meta['current-schema-id'], 1);
  assert.equal(meta['last-column-id'], 11);
  assert.equal(meta.snapshots[0]!['schema-id'], 1);
});
