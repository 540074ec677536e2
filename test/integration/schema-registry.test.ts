/**
 * Acceptance for the built-in schema registry: a real lakegate process, driven by the
 * unmodified @kafkajs/confluent-schema-registry client (register, encode, decode Avro) and by
 * plain HTTP for JSON Schema, Protobuf, errors, deletes and configs; then kill -9 and a
 * restart on the same data dir must keep every id, version, soft delete and config.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { freshDataDir, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const dataDir = freshDataDir('lakegate-registry-');
let server: LakegateProcess;
let base = '';

before(async () => {
  server = await startLakegate({ dataDir });
  base = `http://127.0.0.1:${server.httpPort}`;
});

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; contentType: string | null }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': CONTENT_TYPE },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // raw schema text (e.g. a .proto) stays a string
  }
  return { status: res.status, body: parsed, contentType: res.headers.get('content-type') };
}

const order = (fields: unknown[]) => ({ type: 'record', name: 'Order', namespace: 'acme', fields });
const orderV1 = order([{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }]);
const orderV2 = order([{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }, { name: 'qty', type: 'int', default: 1 }]);
const orderBreaking = order([{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }, { name: 'price', type: 'double' }]);

const ids: Record<string, number> = {};

test('the Confluent client registers an Avro schema, encodes with it, and a fresh client decodes by id', async () => {
  const client = new SchemaRegistry({ host: base });
  const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'orders-value' });
  ids.v1 = id;
  const payload = { id: 7, item: 'book' };
  const encoded = await client.encode(id, payload);
  // Confluent wire format: magic byte 0, then the schema id (big-endian int32), then Avro.
  assert.equal(encoded[0], 0);
  assert.equal(encoded.readInt32BE(1), id);
  const fresh = new SchemaRegistry({ host: base });
  assert.deepEqual({ ...(await fresh.decode(encoded)) }, payload);
  assert.equal(await fresh.getLatestSchemaId('orders-value'), id);
  // The client set the subject's level after the first registration (PUT /config/{subject}).
  assert.deepEqual((await call('GET', '/config/orders-value')).body, { compatibilityLevel: 'BACKWARD' });
});

test('under BACKWARD a breaking version is refused with 409, a compatible one gets version 2', async () => {
  const client = new SchemaRegistry({ host: base });
  await assert.rejects(client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderBreaking) }, { subject: 'orders-value' }), /incompatible/);
  const refused = await call('POST', '/subjects/orders-value/versions', { schema: JSON.stringify(orderBreaking) });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error_code, 409);
  assert.match(refused.body.message, /price/);
  const verbose = await call('POST', '/compatibility/subjects/orders-value/versions/latest?verbose=true', { schema: JSON.stringify(orderBreaking) });
  assert.equal(verbose.status, 200);
  assert.equal(verbose.body.is_compatible, false);
  assert.ok(verbose.body.messages.length > 0);
  const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2) }, { subject: 'orders-value' });
  ids.v2 = id;
  assert.ok(id > ids.v1);
  const latest = await call('GET', '/subjects/orders-value/versions/latest');
  assert.equal(latest.contentType, CONTENT_TYPE);
  assert.deepEqual(latest.body, { subject: 'orders-value', version: 2, id, schema: JSON.stringify(orderV2) });
});

test('identical schemas keep their id; the same schema in another subject shares it', async () => {
  const again = await call('POST', '/subjects/orders-value/versions', { schema: JSON.stringify(orderV1, null, 2) });
  assert.deepEqual(again.body, { id: ids.v1 });
  const other = await call('POST', '/subjects/orders-copy-value/versions', { schema: JSON.stringify(orderV1) });
  assert.deepEqual(other.body, { id: ids.v1 });
  assert.deepEqual((await call('GET', `/schemas/ids/${ids.v1}/subjects`)).body, ['orders-copy-value', 'orders-value']);
  assert.deepEqual((await call('GET', `/schemas/ids/${ids.v1}/versions`)).body, [
    { subject: 'orders-copy-value', version: 1 },
    { subject: 'orders-value', version: 1 },
  ]);
  const found = await call('POST', '/subjects/orders-value', { schema: JSON.stringify(orderV1) });
  assert.equal(found.body.version, 1);
});

test('JSON Schema and Protobuf register over plain HTTP, with compatibility enforced and references resolved', async () => {
  const person = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, additionalProperties: false };
  const json1 = await call('POST', '/subjects/people-value/versions', { schemaType: 'JSON', schema: JSON.stringify(person) });
  assert.equal(json1.status, 200);
  ids.json = json1.body.id;
  const narrowed = { ...person, properties: { ...person.properties, age: { type: 'string' } } };
  const refused = await call('POST', '/subjects/people-value/versions', { schemaType: 'JSON', schema: JSON.stringify(narrowed) });
  assert.equal(refused.status, 409);
  assert.match(refused.body.message, /age: type narrowed/);
  assert.deepEqual((await call('GET', `/schemas/ids/${ids.json}`)).body, { schemaType: 'JSON', schema: JSON.stringify(person) });

  const money = 'syntax = "proto3";\npackage acme.common;\nmessage Money { int64 cents = 1; }\n';
  const moneyReg = await call('POST', '/subjects/money/versions', { schemaType: 'PROTOBUF', schema: money });
  assert.equal(moneyReg.status, 200);
  const payment = 'syntax = "proto3";\npackage acme;\nimport "money.proto";\nmessage Payment { string id = 1; acme.common.Money amount = 2; }\n';
  const references = [{ name: 'money.proto', subject: 'money', version: 1 }];
  const p1 = await call('POST', '/subjects/payments-value/versions', { schemaType: 'PROTOBUF', schema: payment, references });
  assert.equal(p1.status, 200);
  ids.proto = p1.body.id;
  const noRef = await call('POST', '/subjects/payments-value/versions', { schemaType: 'PROTOBUF', schema: payment });
  assert.equal(noRef.status, 422);
  assert.equal(noRef.body.error_code, 42201);
  const retyped = payment.replace('string id = 1', 'int64 id = 1');
  const p2 = await call('POST', '/subjects/payments-value/versions', { schemaType: 'PROTOBUF', schema: retyped, references });
  assert.equal(p2.status, 409);
  const byId = await call('GET', `/schemas/ids/${ids.proto}`);
  assert.deepEqual(byId.body, { schemaType: 'PROTOBUF', references, schema: payment });
  assert.deepEqual((await call('GET', '/subjects/money/versions/1/referencedby')).body, [ids.proto]);
  assert.deepEqual((await call('GET', '/schemas/types')).body.sort(), ['AVRO', 'JSON', 'PROTOBUF']);
});

test('the Confluent client also round-trips Protobuf and JSON Schema payloads through the registry', async () => {
  const client = new SchemaRegistry({ host: base });
  const proto = 'syntax = "proto3";\npackage acme;\nmessage Click { string page = 1; int64 at = 2; }\n';
  const { id: protoId } = await client.register({ type: SchemaType.PROTOBUF, schema: proto }, { subject: 'clicks-value' });
  const click = { page: '/home', at: 1700000000000 };
  const protoBytes = await client.encode(protoId, click);
  const decodedClick = (await new SchemaRegistry({ host: base }).decode(protoBytes)) as { page: string; at: unknown };
  assert.equal(decodedClick.page, '/home');
  assert.equal(Number(decodedClick.at), click.at);

  const schema = JSON.stringify({ type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] });
  const { id: jsonId } = await client.register({ type: SchemaType.JSON, schema }, { subject: 'skus-value' });
  const jsonBytes = await client.encode(jsonId, { sku: 'A-1' });
  assert.deepEqual(await new SchemaRegistry({ host: base }).decode(jsonBytes), { sku: 'A-1' });
  assert.notEqual(protoId, jsonId);
});

test('errors come back in Confluent shape with Confluent codes', async () => {
  const cases: Array<[string, string, unknown, number, number]> = [
    ['GET', '/subjects/nope/versions', undefined, 404, 40401],
    ['GET', '/subjects/orders-value/versions/99', undefined, 404, 40402],
    ['GET', '/schemas/ids/9999', undefined, 404, 40403],
    ['GET', '/subjects/orders-value/versions/abc', undefined, 422, 42202],
    ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
    ['POST', '/subjects/x/versions', { schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nope"}]}' }, 422, 42201],
    ['POST', '/subjects/x/versions', {}, 422, 42201],
    ['GET', '/config/orders-copy-value', undefined, 404, 40408],
    ['GET', '/subjects/orders-value/versions/1/nonsense', undefined, 404, 404],
  ];
  for (const [method, path, body, status, code] of cases) {
    const res = await call(method, path, body);
    assert.equal(res.status, status, `${method} ${path}`);
    assert.equal(res.body.error_code, code, `${method} ${path}: ${JSON.stringify(res.body)}`);
    assert.equal(typeof res.body.message, 'string');
    assert.equal(res.contentType, CONTENT_TYPE, `${method} ${path}: errors are Confluent's media type`);
  }
  const garbage = await fetch(`${base}/subjects/x/versions`, { method: 'POST', headers: { 'content-type': CONTENT_TYPE }, body: '{nope' });
  assert.equal(garbage.status, 400);
  assert.equal(((await garbage.json()) as { error_code: number }).error_code, 400);
});

test('deletes follow the soft-then-hard rules', async () => {
  assert.deepEqual((await call('DELETE', '/subjects/orders-value/versions/1')).body, 1);
  assert.equal((await call('DELETE', '/subjects/orders-value/versions/1')).body.error_code, 40406);
  assert.equal((await call('DELETE', '/subjects/orders-value/versions/2?permanent=true')).body.error_code, 40407);
  assert.deepEqual((await call('GET', '/subjects/orders-value/versions')).body, [2]);
  assert.deepEqual((await call('GET', '/subjects/orders-value/versions?deleted=true')).body, [1, 2]);

  assert.equal((await call('DELETE', '/subjects/orders-copy-value?permanent=true')).body.error_code, 40405);
  assert.deepEqual((await call('DELETE', '/subjects/orders-copy-value')).body, [1]);
  assert.equal((await call('DELETE', '/subjects/orders-copy-value')).body.error_code, 40404);
  assert.deepEqual((await call('DELETE', '/subjects/orders-copy-value?permanent=true')).body, [1]);
  assert.equal((await call('GET', '/subjects/orders-copy-value/versions?deleted=true')).body.error_code, 40401);
  // A referenced version cannot go.
  assert.equal((await call('DELETE', '/subjects/money/versions/1')).body.error_code, 42206);

  assert.deepEqual((await call('PUT', '/config/people-value', { compatibility: 'full_transitive' })).body, { compatibility: 'FULL_TRANSITIVE' });
  assert.deepEqual((await call('PUT', '/config', { compatibility: 'FORWARD' })).body, { compatibility: 'FORWARD' });
  assert.deepEqual((await call('PUT', '/mode/money', { mode: 'READONLY' })).body, { mode: 'READONLY' });
  assert.equal((await call('POST', '/subjects/money/versions', { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; message Z { int32 z = 1; }' })).body.error_code, 42205);
});

/** Everything observable that a restart must not change. */
async function snapshot(): Promise<Record<string, unknown>> {
  const subjects = (await call('GET', '/subjects?deleted=true')).body as string[];
  const out: Record<string, unknown> = { subjects, live: (await call('GET', '/subjects')).body };
  for (const s of subjects) {
    const versions = (await call('GET', `/subjects/${s}/versions?deleted=true`)).body as number[];
    out[s] = {
      live: (await call('GET', `/subjects/${s}/versions`)).body,
      versions: await Promise.all(versions.map(async (v) => (await call('GET', `/subjects/${s}/versions/${v}?deleted=true`)).body)),
      config: (await call('GET', `/config/${s}`)).body,
      mode: (await call('GET', `/mode/${s}`)).body,
    };
  }
  out.global = [(await call('GET', '/config')).body, (await call('GET', '/mode')).body];
  out.ids = await Promise.all([ids.v1, ids.v2, ids.json, ids.proto].map(async (id) => (await call('GET', `/schemas/ids/${id}`)).body));
  return out;
}

test('kill -9 and a restart keep ids, versions, soft deletes, configs and modes; ids are not reused', async () => {
  const before = await snapshot();
  // Kafka clients can write to the journal topic; what is not a valid event must not stop the restart.
  const producer = new Kafka({ clientId: 'registry-test', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: '_schemas',
    messages: [
      { key: 'junk', value: 'not json' },
      { key: 'SCHEMA:x:1', value: JSON.stringify({ type: 'version', subject: 'x', version: 1 }) },
      { key: 'SCHEMA:y:1', value: JSON.stringify({ type: 'version', subject: 'y', version: 1, id: 500, schemaType: 'AVRO', schema: '{bad', references: [], deleted: false }) },
    ],
  });
  await producer.disconnect();
  await server.kill9();
  server = await startLakegate({ dataDir });
  base = `http://127.0.0.1:${server.httpPort}`;
  assert.deepEqual(await snapshot(), before);
  assert.match(server.output(), /not a schema registry event/);
  assert.match(server.output(), /schema registry event that cannot be applied/);

  const client = new SchemaRegistry({ host: base });
  const encoded = await client.encode(ids.v2, { id: 1, item: 'pen', qty: 3 });
  assert.deepEqual({ ...(await new SchemaRegistry({ host: base }).decode(encoded)) }, { id: 1, item: 'pen', qty: 3 });

  // New content gets an id above every id handed out before the crash.
  const fresh = await call('POST', '/subjects/fresh-value/versions', { schema: JSON.stringify({ type: 'enum', name: 'E', symbols: ['A'] }) });
  assert.ok(fresh.body.id > Math.max(...Object.values(ids)), JSON.stringify(fresh.body));
});
