/**
 * What keeps a table committed every second readable for days: manifests merged into one
 * once enough small ones pile up (entries become EXISTING with their snapshot ids and
 * sequence numbers written out), snapshots expired by age (never the one holding the Kafka
 * offsets a restart resumes from), and the files no snapshot or metadata log refers to any
 * more removed. Read back with lakegate's own Avro readers, entry by entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcebergTableWriter } from '../../../src/tables/iceberg/committer.js';
import { locationToPath } from '../../../src/tables/iceberg/io.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import { ManifestEntryStatus, readManifest } from '../../../src/tables/iceberg/manifest.js';
import { readManifestList } from '../../../src/tables/iceberg/manifest-list.js';
import { currentSnapshot, parseMetadata } from '../../../src/tables/iceberg/metadata.js';
import { testRows, testSchema, writeTestParquet } from './fixture.js';

const BASE = 1_700_000_000_000_000n;
const HOUR = 472222;

async function table(properties: Record<string, string>) {
  const catalog = await LocalIcebergCatalog.open(mkdtempSync(join(tmpdir(), 'lakegate-maintenance-')));
  const w = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'orders', topic: 'orders', schema: testSchema(), partitionBy: 'hour', properties });
  const meta = async () => parseMetadata((await catalog.loadTable(['kafka'], 'orders'))!.metadataJson);
  let n = 0;
  const commitOne = async () => {
    const f = writeTestParquet(join(w.dataDir, `f${n}.parquet`), testRows(0, BigInt(n * 3), 3, BASE + BigInt(n) * 3_600_000_000n), HOUR + n);
    n++;
    await w.commit({ files: [f], offsets: new Map([[0, BigInt(n * 3 - 1)]]), rowCount: 3 });
    return f.path;
  };
  return { w, meta, commitOne };
}

async function liveEntries(metaJson: ReturnType<typeof parseMetadata>) {
  const list = readManifestList(readFileBuffer(currentSnapshot(metaJson)!['manifest-list'])).manifests;
  return { list, entries: list.flatMap((m) => readManifest(readFileBuffer(m.manifestPath)).entries.map((e) => ({ manifest: m, e }))) };
}

const readFileBuffer = (location: string) => readFileSync(locationToPath(location));

test('manifests: the small ones carried over are merged once there are min-count-to-merge of them', async () => {
  const { meta, commitOne } = await table({ 'commit.manifest.min-count-to-merge': '3' });
  const paths: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < 7; i++) {
    paths.push(await commitOne());
    counts.push((await liveEntries(await meta())).list.length);
  }
  // Commits 4 and 6 carry 3 manifests over and merge them: 1 merged + their own. Commit 6
  // merges commit 4's merged manifest again with the two after it.
  assert.deepEqual(counts, [1, 2, 3, 2, 3, 2, 3]);
  const m = await meta();
  const { list, entries } = await liveEntries(m);
  assert.deepEqual(entries.map(({ e }) => locationToPath(e.dataFile.filePath)).sort(), paths.map((p) => p).sort(), 'every file once');
  const merged = list.find((f) => f.existingFilesCount > 0)!;
  const bySequence = new Map(m.snapshots.map((s) => [BigInt(s['sequence-number']), s['snapshot-id']]));
  assert.equal(merged.addedSnapshotId, bySequence.get(6n), 'the merged manifest belongs to the snapshot that wrote it (commit 6)');
  assert.equal(merged.sequenceNumber, 6n);
  assert.equal(merged.existingFilesCount, 5);
  assert.equal(merged.existingRowsCount, 15n);
  assert.equal(merged.minSequenceNumber, 1n);
  for (const { manifest, e } of entries) {
    if (manifest !== merged) continue;
    assert.equal(e.status, ManifestEntryStatus.EXISTING);
    const n = Number(/f(\d+)\.parquet$/.exec(e.dataFile.filePath)![1]);
    assert.equal(e.sequenceNumber, BigInt(n + 1), `${e.dataFile.filePath}: the data sequence number of the commit that added it`);
    assert.equal(e.fileSequenceNumber, BigInt(n + 1));
    if (bySequence.has(BigInt(n + 1))) assert.equal(e.snapshotId, bySequence.get(BigInt(n + 1)));
  }
  assert.equal(currentSnapshot(m)!.summary['total-data-files'], '7');
});

test('snapshots: expired by age after each commit, the one holding the offsets kept; their manifest lists removed', async () => {
  const { meta, commitOne } = await table({ 'history.expire.max-snapshot-age-ms': '0', 'write.metadata.previous-versions-max': '2' });
  const lists: string[] = [];
  for (let i = 0; i < 5; i++) {
    await commitOne();
    lists.push(currentSnapshot(await meta())!['manifest-list']);
  }
  const m = await meta();
  assert.equal(m.snapshots.length, 1, 'only the current snapshot is young enough');
  assert.deepEqual(m['snapshot-log'].map((e) => e['snapshot-id']), [m['current-snapshot-id']]);
  assert.equal(currentSnapshot(m)!.summary['lakegate.kafka.offsets'], '{"0":"14"}');
  assert.deepEqual(lists.map((l) => existsSync(locationToPath(l))), [false, false, false, false, true]);
  // Every file is still read: the current manifests carry all of them.
  assert.equal((await liveEntries(m)).entries.length, 5);
  // The metadata log keeps 2 previous files; older metadata files are gone.
  assert.equal(m['metadata-log'].length, 2);
  const metadataDir = locationToPath(`${m.location}/metadata`);
  const jsonFiles = readdirSync(metadataDir).filter((f) => f.endsWith('.metadata.json'));
  assert.equal(jsonFiles.length, 3, `the current one and the 2 the log lists: ${jsonFiles.join(', ')}`);
});

test('merged and expired together: the metadata directory holds only what the kept snapshot lists', async () => {
  const { meta, commitOne } = await table({ 'commit.manifest.min-count-to-merge': '3', 'history.expire.max-snapshot-age-ms': '0' });
  const paths: string[] = [];
  for (let i = 0; i < 12; i++) paths.push(await commitOne());
  const m = await meta();
  const { list, entries } = await liveEntries(m);
  assert.deepEqual(entries.map(({ e }) => locationToPath(e.dataFile.filePath)).sort(), paths.sort(), 'every file once');
  const metadataDir = locationToPath(`${m.location}/metadata`);
  const avro = readdirSync(metadataDir).filter((f) => f.endsWith('.avro')).map((f) => join(metadataDir, f)).sort();
  const listed = [locationToPath(currentSnapshot(m)!['manifest-list']), ...list.map((f) => locationToPath(f.manifestPath))].sort();
  assert.deepEqual(avro, listed, 'no manifest or manifest list that no kept snapshot lists');
});
