import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp, startHttp } from '../../../src/http/app.js';
import { ICEBERG_ENDPOINTS } from '../../../src/http/iceberg-rest-catalog.js';
import { FakeCatalog } from './fake-catalog.js';

const silent = pino({ level: 'silent' });
const BIG_ID = '9007199254740993'; // 2^53 + 1: JSON.parse would turn it into ...992

/** Metadata text as a writer would put it on disk (pretty-printed, ids beyond 2^53). */
const METADATA_JSON = `{
  "format-version" : 2,
  "table-uuid" : "6f1b3c2e-8d1a-4c55-9a63-1f2e3d4c5b6a",
  "location" : "file:///warehouse/kafka/orders",
  "last-sequence-number" : 1,
  "last-updated-ms" : 1735689600000,
  "last-column-id" : 1,
  "current-schema-id" : 0,
  "schemas" : [ { "type" : "struct", "schema-id" : 0, "fields" : [ { "id" : 1, "name" : "id", "required" : false, "type" : "long" } ] } ],
  "default-spec-id" : 0,
  "partition-specs" : [ { "spec-id" : 0, "fields" : [ ] } ],
  "last-partition-id" : 999,
  "default-sort-order-id" : 0,
  "sort-orders" : [ { "order-id" : 0, "fields" : [ ] } ],
  "properties" : { },
  "current-snapshot-id" : ${BIG_ID},
  "refs" : { "main" : { "snapshot-id" : ${BIG_ID}, "type" : "branch" } },
  "snapshots" : [ { "sequence-number" : 1, "snapshot-id" : ${BIG_ID}, "timestamp-ms" : 1735689600000,
    "summary" : { "operation" : "append", "lakegate.offsets" : "0:41" },
    "manifest-list" : "file:///warehouse/kafka/orders/metadata/snap-${BIG_ID}-1-a.avro", "schema-id" : 0 } ],
  "statistics" : [ ],
  "snapshot-log" : [ { "timestamp-ms" : 1735689600000, "snapshot-id" : ${BIG_ID} } ],
  "metadata-log" : [ ]
}
`;
const LOCATION = 'file:///warehouse/kafka/orders/metadata/00001-0b7e.metadata.json';

function setup() {
  const catalog = new FakeCatalog()
    .addNamespace(['kafka'], { owner: 'lakegate', location: 'file:///warehouse/kafka' })
    .addNamespace(['a'])
    .addNamespace(['a', 'b'], { level: 'two' })
    .addTable(['kafka'], 'orders', { metadataLocation: LOCATION, metadataJson: METADATA_JSON })
    .addTable(['kafka'], 'payments', { metadataLocation: LOCATION.replace('orders', 'payments'), metadataJson: METADATA_JSON })
    .addTable(['a', 'b'], 'deep', { metadataLocation: 'file:///w/a/b/deep/metadata/v1.metadata.json', metadataJson: METADATA_JSON });
  catalog.config = { 's3.endpoint': 'http://127.0.0.1:9000', 's3.path-style-access': 'true' };
  const app = buildHttpApp({ catalog, admin: { tables: () => [] }, logger: silent });
  return { app, catalog };
}

function assertIcebergError(res: { statusCode: number; body: string; headers: Record<string, unknown> }, code: number, type: string): string {
  assert.equal(res.statusCode, code, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(body.error.type, type);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  return body.error.message;
}

test('GET /v1/config: defaults, overrides and the served endpoints; warehouse is accepted', async () => {
  const { app } = setup();
  for (const url of ['/v1/config', '/v1/config?warehouse=s3%3A%2F%2Fbucket%2Fwh']) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.defaults, {});
    assert.deepEqual(body.overrides, {});
    assert.deepEqual(body.endpoints, [...ICEBERG_ENDPOINTS]);
    for (const e of body.endpoints) assert.match(e, /^(GET|HEAD) \/v1\/\{prefix\}\/namespaces/);
  }
  await app.close();
});

test('GET /v1/namespaces lists top-level namespaces, or the children of parent', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { namespaces: [['kafka'], ['a']] });

  res = await app.inject({ method: 'GET', url: '/v1/namespaces?parent=a' });
  assert.deepEqual(res.json(), { namespaces: [['a', 'b']] });
  res = await app.inject({ method: 'GET', url: '/v1/namespaces?parent=a%1Fb' });
  assert.deepEqual(res.json(), { namespaces: [] });
  // Empty parent is "absent" (spec, backward compatibility); page parameters are accepted.
  res = await app.inject({ method: 'GET', url: '/v1/namespaces?parent=&pageSize=10&pageToken=x' });
  assert.deepEqual(res.json(), { namespaces: [['kafka'], ['a']] });

  res = await app.inject({ method: 'GET', url: '/v1/namespaces?parent=nope' });
  assertIcebergError(res, 404, 'NoSuchNamespaceException');
  res = await app.inject({ method: 'GET', url: '/v1/namespaces?pageSize=zero' });
  assertIcebergError(res, 400, 'BadRequestException');
  await app.close();
});

test('GET and HEAD /v1/namespaces/{namespace}', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { namespace: ['kafka'], properties: { owner: 'lakegate', location: 'file:///warehouse/kafka' } });

  res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/kafka' });
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.body, '');

  res = await app.inject({ method: 'GET', url: '/v1/namespaces/nope' });
  const msg = assertIcebergError(res, 404, 'NoSuchNamespaceException');
  assert.match(msg, /nope/);
  await app.close();
});

test('multi-level namespaces are joined by %1F in paths', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces/a%1Fb' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { namespace: ['a', 'b'], properties: { level: 'two' } });
  res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/a%1fb' });
  assert.equal(res.statusCode, 204);
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/a%1Fb/tables' });
  assert.deepEqual(res.json(), { identifiers: [{ namespace: ['a', 'b'], name: 'deep' }] });
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/a%1Fb/tables/deep' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json()['metadata-location'], 'file:///w/a/b/deep/metadata/v1.metadata.json');
  // An empty level is malformed.
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/a%1F%1Fb' });
  assertIcebergError(res, 400, 'BadRequestException');
  await app.close();
});

test('GET /v1/namespaces/{ns}/tables lists identifiers; unknown namespace is 404', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), {
    identifiers: [
      { namespace: ['kafka'], name: 'orders' },
      { namespace: ['kafka'], name: 'payments' },
    ],
  });
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/a/tables' });
  assert.deepEqual(res.json(), { identifiers: [] });
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/nope/tables' });
  assertIcebergError(res, 404, 'NoSuchNamespaceException');
  await app.close();
});

test('GET /v1/namespaces/{ns}/tables/{table} embeds the metadata text verbatim', async () => {
  const { app } = setup();
  const res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/orders?snapshots=all' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  // The exact bytes of the metadata file are in the body: nothing re-serialized.
  assert.ok(res.body.includes(METADATA_JSON.trim()));
  assert.ok(res.body.includes(`"current-snapshot-id" : ${BIG_ID}`));
  assert.ok(!res.body.includes('9007199254740992'));
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ['metadata-location', 'metadata', 'config']);
  assert.equal(body['metadata-location'], LOCATION);
  assert.equal(body.metadata['format-version'], 2);
  assert.deepEqual(body.config, { 's3.endpoint': 'http://127.0.0.1:9000', 's3.path-style-access': 'true' });

  // ETag: a repeated load with If-None-Match is answered 304.
  const etag = res.headers.etag;
  assert.equal(typeof etag, 'string');
  const again = await app.inject({
    method: 'GET',
    url: '/v1/namespaces/kafka/tables/orders',
    headers: { 'if-none-match': String(etag) },
  });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');
  const other = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/payments' });
  assert.notEqual(other.headers.etag, etag);
  await app.close();
});

test('HEAD /v1/namespaces/{ns}/tables/{table}: 204 or 404, no body', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/kafka/tables/orders' });
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/kafka/tables/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.body, '');
  await app.close();
});

test('unknown table: 404 NoSuchTableException, also in an unknown namespace (Java falls back to metadata tables on it)', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/nope' });
  const msg = assertIcebergError(res, 404, 'NoSuchTableException');
  assert.match(msg, /kafka\.nope/);
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/ghost/tables/nope' });
  assertIcebergError(res, 404, 'NoSuchTableException');
  // What Spark asks first for `lakegate.kafka.orders.snapshots`.
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka%1Forders/tables/snapshots' });
  assertIcebergError(res, 404, 'NoSuchTableException');
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/orders?snapshots=some' });
  assertIcebergError(res, 400, 'BadRequestException');
  await app.close();
});

test('views are not served: 404 NoSuchViewException for every views route', async () => {
  const { app } = setup();
  for (const [method, url] of [
    ['GET', '/v1/namespaces/kafka/views'],
    ['GET', '/v1/namespaces/kafka/views/orders'],
    ['POST', '/v1/namespaces/kafka/views'],
    ['GET', '/v1/lakegate/namespaces/kafka/views/orders'],
  ] as const) {
    const res = await app.inject({ method, url });
    assertIcebergError(res, 404, 'NoSuchViewException');
  }
  const res = await app.inject({ method: 'HEAD', url: '/v1/namespaces/kafka/views/orders' });
  assert.equal(res.statusCode, 404);
  await app.close();
});

test('the /v1/{prefix}/... forms answer like the plain ones', async () => {
  const { app } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/lakegate/namespaces' });
  assert.deepEqual(res.json(), { namespaces: [['kafka'], ['a']] });
  res = await app.inject({ method: 'GET', url: '/v1/lakegate/namespaces/a%1Fb' });
  assert.deepEqual(res.json().namespace, ['a', 'b']);
  res = await app.inject({ method: 'HEAD', url: '/v1/lakegate/namespaces/kafka' });
  assert.equal(res.statusCode, 204);
  res = await app.inject({ method: 'GET', url: '/v1/lakegate/namespaces/kafka/tables' });
  assert.equal(res.json().identifiers.length, 2);
  res = await app.inject({ method: 'GET', url: '/v1/lakegate/namespaces/kafka/tables/orders' });
  assert.ok(res.body.includes(BIG_ID));
  res = await app.inject({ method: 'HEAD', url: '/v1/lakegate/namespaces/kafka/tables/orders' });
  assert.equal(res.statusCode, 204);
  await app.close();
});

test('writes are refused: 406 UnsupportedOperationException, the catalog is read-only', async () => {
  const { app } = setup();
  for (const [method, url, payload] of [
    ['POST', '/v1/namespaces', { namespace: ['x'] }],
    ['DELETE', '/v1/namespaces/kafka', undefined],
    ['POST', '/v1/namespaces/kafka/properties', { updates: {} }],
    ['POST', '/v1/namespaces/kafka/tables', { name: 't', schema: {} }],
    ['POST', '/v1/namespaces/kafka/tables/orders', { requirements: [], updates: [] }],
    ['DELETE', '/v1/namespaces/kafka/tables/orders', undefined],
    ['POST', '/v1/namespaces/kafka/register', { name: 't', 'metadata-location': 'x' }],
    ['POST', '/v1/tables/rename', { source: {}, destination: {} }],
    ['POST', '/v1/transactions/commit', { 'table-changes': [] }],
    ['POST', '/v1/lakegate/namespaces', { namespace: ['x'] }],
  ] as const) {
    const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
    const msg = assertIcebergError(res, 406, 'UnsupportedOperationException');
    assert.match(msg, /read-only/);
  }
  // Metrics reports are accepted and dropped.
  const res = await app.inject({ method: 'POST', url: '/v1/namespaces/kafka/tables/orders/metrics', payload: { 'report-type': 'scan-report' } });
  assert.equal(res.statusCode, 204);
  await app.close();
});

test('unknown /v1 routes and catalog failures answer in the Iceberg error shape', async () => {
  const { app, catalog } = setup();
  let res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/orders/credentials/extra' });
  assertIcebergError(res, 404, 'NotFoundException');
  res = await app.inject({ method: 'GET', url: '/v1/nothing' });
  assertIcebergError(res, 404, 'NotFoundException');

  catalog.failWith = new Error('disk on fire at /secret/path');
  res = await app.inject({ method: 'GET', url: '/v1/namespaces/kafka/tables/orders' });
  const msg = assertIcebergError(res, 500, 'InternalServerError');
  assert.doesNotMatch(msg, /secret/);
  await app.close();
});

test('long namespace and table names (over fastify default param length) and encoded characters', async () => {
  const { app, catalog } = setup();
  const longNs = ['n'.repeat(150), 'level two'];
  const longName = 't'.repeat(200) + '/x';
  catalog.addTable(longNs, longName, { metadataLocation: 'file:///long', metadataJson: METADATA_JSON });
  const nsPath = encodeURIComponent(longNs.join('\u001f'));
  let res = await app.inject({ method: 'GET', url: `/v1/namespaces/${nsPath}/tables` });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { identifiers: [{ namespace: longNs, name: longName }] });
  res = await app.inject({ method: 'GET', url: `/v1/namespaces/${nsPath}/tables/${encodeURIComponent(longName)}` });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json()['metadata-location'], 'file:///long');
  await app.close();
});

test('startHttp binds a free port and serves over real HTTP', async () => {
  const { app } = setup();
  const port = await startHttp(app, '127.0.0.1', 0);
  try {
    assert.ok(port > 0);
    const res = await fetch(`http://127.0.0.1:${port}/v1/namespaces/kafka/tables/orders`);
    assert.equal(res.status, 200);
    assert.ok((await res.text()).includes(`"snapshot-id" : ${BIG_ID}`));
    const head = await fetch(`http://127.0.0.1:${port}/v1/namespaces/nope`, { method: 'HEAD' });
    assert.equal(head.status, 404);
  } finally {
    await app.close();
  }
});

test('names no table or namespace can have are answered as not found by the local catalog, not as server errors', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { LocalIcebergCatalog } = await import('../../../src/tables/iceberg/local-catalog.js');
  const catalog = await LocalIcebergCatalog.open(mkdtempSync(join(tmpdir(), 'lakegate-rest-names-')));
  await catalog.createNamespace(['kafka']);
  const app = buildHttpApp({ catalog, admin: { tables: () => [] }, logger: silent });
  try {
    // ('..' itself is resolved away by the URL parser before routing; '.hidden' takes the same check.)
    for (const url of ['/v1/namespaces/kafka/tables/.hidden', '/v1/namespaces/kafka/tables/a%5Cb']) {
      assertIcebergError(await app.inject({ method: 'GET', url }), 404, 'NoSuchTableException');
      assert.equal((await app.inject({ method: 'HEAD', url })).statusCode, 404, `HEAD ${url}`);
    }
    for (const url of ['/v1/namespaces/.x', '/v1/namespaces/a%2Fb/tables', '/v1/namespaces?parent=.x']) {
      assertIcebergError(await app.inject({ method: 'GET', url }), 404, 'NoSuchNamespaceException');
    }
  } finally {
    await app.close();
  }
});
