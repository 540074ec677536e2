import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommitConflictError } from '../../../src/tables/iceberg/catalog.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import { appendSnapshot, parseMetadata, serializeMetadata } from '../../../src/tables/iceberg/metadata.js';
import { testSchema } from './fixture.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'lakegate-catalog-'));

test('namespaces and tables are directories; createTable is idempotent', async () => {
  const wh = tmp();
  const catalog = await LocalIcebergCatalog.open(wh);
  assert.deepEqual(await catalog.listNamespaces(), []);
  assert.equal(await catalog.namespaceExists(['kafka']), false);
  assert.equal(await catalog.namespaceProperties(['kafka']), null);
  await catalog.createNamespace(['kafka'], { owner: 'lakegate' });
  await catalog.createNamespace(['other', 'nested']);
  assert.deepEqual(await catalog.listNamespaces(), [['kafka'], ['other']]);
  assert.deepEqual(await catalog.listNamespaces(['other']), [['other', 'nested']]);
  assert.deepEqual(await catalog.namespaceProperties(['kafka']), { owner: 'lakegate' });
  assert.deepEqual(await catalog.namespaceProperties(['other']), {});

  const t1 = await catalog.createTable(['kafka'], 'orders', testSchema(), 'hour', { 'write.owner': 'x' });
  assert.equal(t1.metadataLocation, `file://${wh}/kafka/orders/metadata/` + t1.metadataLocation.split('/').pop());
  assert.match(t1.metadataLocation, /\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
  const t2 = await catalog.createTable(['kafka'], 'orders', testSchema(), 'hour');
  assert.deepEqual(t2, t1);
  assert.deepEqual(await catalog.loadTable(['kafka'], 'orders'), t1);
  assert.equal(await catalog.loadTable(['kafka'], 'missing'), null);
  assert.deepEqual(await catalog.listTables(['kafka']), ['orders']);
  // A table is not a namespace.
  assert.deepEqual(await catalog.listNamespaces(), [['kafka'], ['other']]);
  assert.equal(await catalog.namespaceExists(['kafka', 'orders']), false);
  const meta = parseMetadata(t1.metadataJson);
  assert.equal(meta.location, `file://${wh}/kafka/orders`);
  assert.equal(meta.properties['write.owner'], 'x');
  assert.equal(catalog.tableLocation(['kafka'], 'orders'), `file://${wh}/kafka/orders`);
  assert.deepEqual(catalog.fileIOConfig(), {});
  // createTable creates a missing namespace.
  await catalog.createTable(['fresh'], 't', testSchema(), 'none');
  assert.equal(await catalog.namespaceExists(['fresh']), true);
  await assert.rejects(catalog.createTable(['kafka'], '../x', testSchema(), 'none'));
  await assert.rejects(catalog.createTable(['kafka'], '.hidden', testSchema(), 'none'));
});

function nextVersion(json: string, id: bigint, location: string): string {
  const meta = parseMetadata(json);
  return serializeMetadata(
    appendSnapshot(meta, { snapshotId: id, manifestList: 'file:///x.avro', summary: { operation: 'append' }, previousMetadataLocation: location }),
  );
}

test('commitTable is a compare-and-swap on the current metadata location', async () => {
  const wh = tmp();
  const catalog = await LocalIcebergCatalog.open(wh);
  const t0 = await catalog.createTable(['ns'], 't', testSchema(), 'none');
  const t1 = await catalog.commitTable(['ns'], 't', t0.metadataLocation, nextVersion(t0.metadataJson, 1n, t0.metadataLocation));
  assert.match(t1.metadataLocation, /\/00001-[0-9a-f-]{36}\.metadata\.json$/);
  assert.equal(readFileSync(new URL(t1.metadataLocation), 'utf8'), t1.metadataJson);
  // Stale expectation: conflict, nothing written.
  const before = readdirSync(join(wh, 'ns', 't', 'metadata')).length;
  await assert.rejects(
    catalog.commitTable(['ns'], 't', t0.metadataLocation, nextVersion(t0.metadataJson, 2n, t0.metadataLocation)),
    CommitConflictError,
  );
  await assert.rejects(catalog.commitTable(['ns'], 't', null, t0.metadataJson), CommitConflictError);
  assert.equal(readdirSync(join(wh, 'ns', 't', 'metadata')).length, before);
  assert.deepEqual(await catalog.loadTable(['ns'], 't'), t1);

  // Concurrent commits on the same base within one process: exactly one wins.
  const results = await Promise.allSettled(
    [3n, 4n, 5n].map((id) => catalog.commitTable(['ns'], 't', t1.metadataLocation, nextVersion(t1.metadataJson, id, t1.metadataLocation))),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof CommitConflictError));
});

test('two catalog instances (as two processes) on one warehouse: the commit log arbitrates', async () => {
  const wh = tmp();
  const a = await LocalIcebergCatalog.open(wh);
  const b = await LocalIcebergCatalog.open(wh);
  const t0 = await a.createTable(['ns'], 't', testSchema(), 'none');
  const [ra, rb] = await Promise.allSettled([
    a.commitTable(['ns'], 't', t0.metadataLocation, nextVersion(t0.metadataJson, 10n, t0.metadataLocation)),
    b.commitTable(['ns'], 't', t0.metadataLocation, nextVersion(t0.metadataJson, 11n, t0.metadataLocation)),
  ]);
  assert.equal([ra, rb].filter((r) => r.status === 'fulfilled').length, 1, 'exactly one commit wins');
  const winner = (ra.status === 'fulfilled' ? ra : (rb as PromiseFulfilledResult<{ metadataLocation: string }>)).value;
  assert.equal((await b.loadTable(['ns'], 't'))!.metadataLocation, winner.metadataLocation);
  assert.equal((await a.loadTable(['ns'], 't'))!.metadataLocation, winner.metadataLocation);
  // The loser's metadata file was removed.
  const files = readdirSync(join(wh, 'ns', 't', 'metadata')).filter((f) => f.endsWith('.metadata.json'));
  assert.equal(files.length, 2);
  // A missing hint is harmless: readers probe the commit log.
  const hint = join(wh, 'ns', 't', 'metadata', 'lakegate-current.json');
  assert.ok(existsSync(hint));
  const { rmSync } = await import('node:fs');
  rmSync(hint);
  assert.equal((await a.loadTable(['ns'], 't'))!.metadataLocation, winner.metadataLocation);
});

test('commit markers are pruned to the newest ones and marker 0; the table and its current version stay found', async () => {
  const wh = tmp();
  const catalog = await LocalIcebergCatalog.open(wh);
  let t = await catalog.createTable(['ns'], 't', testSchema(), 'none');
  for (let i = 1n; i <= 250n; i++) t = await catalog.commitTable(['ns'], 't', t.metadataLocation, nextVersion(t.metadataJson, i, t.metadataLocation));
  const commits = join(wh, 'ns', 't', 'metadata', 'lakegate-commits');
  const markers = () => readdirSync(commits).filter((f) => f.endsWith('.json')).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);
  // Pruned at version 200: markers 1-99 went, 100-250 and 0 stay.
  assert.deepEqual(markers(), [0, ...Array.from({ length: 151 }, (_, i) => 100 + i)]);
  assert.deepEqual(await catalog.listTables(['ns']), ['t']);
  assert.equal(await catalog.namespaceExists(['ns', 't']), false);
  assert.deepEqual(await catalog.loadTable(['ns'], 't'), t);
  // Without the hint, readers start from the highest marker, not from 0 across the gap.
  const hint = join(wh, 'ns', 't', 'metadata', 'lakegate-current.json');
  const { rmSync, writeFileSync } = await import('node:fs');
  rmSync(hint);
  assert.deepEqual(await catalog.loadTable(['ns'], 't'), t);
  t = await catalog.commitTable(['ns'], 't', t.metadataLocation, nextVersion(t.metadataJson, 251n, t.metadataLocation));
  assert.match(t.metadataLocation, /\/00251-[0-9a-f-]{36}\.metadata\.json$/);
  // A link that lands in a pruned gap (here: a hint far ahead of the markers this writer saw)
  // backs out as a conflict and leaves neither its marker nor its metadata file.
  writeFileSync(hint, JSON.stringify({ version: 400, 'metadata-location': 'file:///elsewhere.json' }));
  const files = readdirSync(join(wh, 'ns', 't', 'metadata')).length;
  await assert.rejects(
    catalog.commitTable(['ns'], 't', t.metadataLocation, nextVersion(t.metadataJson, 252n, t.metadataLocation)),
    CommitConflictError,
  );
  assert.equal(markers().at(-1), 251);
  assert.equal(readdirSync(join(wh, 'ns', 't', 'metadata')).length, files);
});
