/**
 * RemoteSchemaStore against a real HTTP registry (the built-in one, served by its fastify
 * plugin on a loopback port): it must answer exactly what the registry's own SchemaStore
 * answers, cache only what cannot change, and fail clearly on registries that are down,
 * slow, or not registries at all. Also `?format=serialized` of the built-in registry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import protobuf from 'protobufjs';
import { schemaRegistryPlugin } from '../../../src/http/schema-registry.js';
import { ArrayJournal } from './helpers.js';
import { descriptorToProtoText } from '../../../src/schema-registry/protobuf-descriptor.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { RemoteSchemaStore } from '../../../src/schema-registry/remote-store.js';
import { parseSchemaRequest } from '../../../src/schema-registry/requests.js';

let registry: SchemaRegistry;
let app: FastifyInstance;
let base = '';
/** Paths the registry was asked for, in order. */
const asked: string[] = [];

before(async () => {
  registry = await SchemaRegistry.open(new ArrayJournal());
  app = Fastify();
  app.addHook('onRequest', async (req) => {
    asked.push(req.url);
  });
  await app.register(schemaRegistryPlugin, { registry });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(async () => {
  await app?.close();
});

const record = (name: string, fields: unknown[]) => JSON.stringify({ type: 'record', name, namespace: 'acme', fields });

test('remote store: answers what the registry itself answers (ids, versions, latest, soft-deleted versions, references)', async () => {
  const address = await registry.register('addr', parseSchemaRequest({ schema: record('Address', [{ name: 'city', type: 'string' }]) }), false);
  const v1 = await registry.register('orders-value', parseSchemaRequest({ schema: record('Order', [{ name: 'id', type: 'long' }]) }), false);
  const v2 = await registry.register(
    'orders-value',
    parseSchemaRequest({
      schema: record('Order', [
        { name: 'id', type: 'long' },
        { name: 'to', type: ['null', 'acme.Address'], default: null },
      ]),
      references: [{ name: 'acme.Address', subject: 'addr', version: 1 }],
    }),
    false,
  );
  await registry.deleteVersion('orders-value', 1, false); // soft: still a writer schema
  const remote = new RemoteSchemaStore(base);

  for (const id of [address.id, v1.id, v2.id, 999]) assert.deepEqual(await remote.getById(id), await registry.getById(id), `schema ${id}`);
  assert.deepEqual(await remote.subjectSchemaIds('orders-value'), await registry.subjectSchemaIds('orders-value'));
  assert.deepEqual(await remote.subjectSchemaIds('orders-value'), [v1.id, v2.id]);
  assert.deepEqual(await remote.subjectSchemaIds('nobody-value'), []);
  assert.deepEqual(await remote.getVersion('orders-value', 'latest'), await registry.getVersion('orders-value', 'latest'));
  assert.deepEqual(await remote.getVersion('orders-value', 2), await registry.getVersion('orders-value', 2));
  assert.equal(await remote.getVersion('orders-value', 1), undefined, 'a soft-deleted version is not live');
  assert.equal(await remote.getVersion('nobody-value', 'latest'), undefined);
  const stored = (await remote.getById(v2.id))!;
  assert.deepEqual(await remote.resolve(stored), await registry.resolve((await registry.getById(v2.id))!));
  assert.equal((await remote.resolve(stored)).dependencies.get('acme.Address')?.schema, (await registry.getById(address.id))!.schema);
});

test('remote store: ids and numbered versions are cached, the version list and latest are asked every time', async () => {
  const remote = new RemoteSchemaStore(base);
  const first = await registry.register('fresh-value', parseSchemaRequest({ schema: record('F', [{ name: 'a', type: 'int' }]) }), false);
  asked.length = 0;
  assert.deepEqual(await remote.subjectSchemaIds('fresh-value'), [first.id]);
  await remote.getById(first.id);
  await remote.getById(first.id);
  // The version's answer carries its schema: no request by id after it.
  assert.deepEqual(asked, ['/subjects/fresh-value/versions?deleted=true', '/subjects/fresh-value/versions/1?deleted=true']);
  // Registered right after: the very next look sees it (a record may already carry its id).
  const second = await registry.register('fresh-value', parseSchemaRequest({ schema: record('F', [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 0 }]) }), false);
  asked.length = 0;
  assert.deepEqual(await remote.subjectSchemaIds('fresh-value'), [first.id, second.id]);
  assert.equal((await remote.getVersion('fresh-value', 'latest'))?.id, second.id);
  assert.deepEqual(asked, ['/subjects/fresh-value/versions?deleted=true', '/subjects/fresh-value/versions/2?deleted=true', '/subjects/fresh-value/versions/latest']);
  // Concurrent calls share requests, and none is answered from a request older than itself.
  asked.length = 0;
  const answers = await Promise.all(Array.from({ length: 20 }, () => remote.subjectSchemaIds('fresh-value')));
  for (const a of answers) assert.deepEqual(a, [first.id, second.id]);
  assert.ok(asked.length <= 2, `20 concurrent calls made ${asked.length} requests`);
  // A hard-deleted version number can be handed out again: it is forgotten.
  await registry.deleteVersion('fresh-value', 2, false);
  await registry.deleteVersion('fresh-value', 2, true);
  assert.deepEqual(await remote.subjectSchemaIds('fresh-value'), [first.id]);
});

/** A plain HTTP server answering every request with `handler`. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void>; requests: http.IncomingMessage[] }> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('remote store: clear errors naming the URL (unreachable, too slow, not a registry, bad shapes, too large)', async () => {
  const down = await serve(() => {});
  const downUrl = down.url;
  await down.close();
  await assert.rejects(new RemoteSchemaStore(downUrl).getById(1), (err: Error) => {
    assert.match(err.message, new RegExp(`schema registry ${downUrl} is unreachable \\(GET /schemas/ids/1\\).*ECONNREFUSED`));
    return true;
  });

  const slow = await serve(() => {}); // never answers
  try {
    await assert.rejects(new RemoteSchemaStore(slow.url, { timeoutMs: 200 }).subjectSchemaIds('s'), /is unreachable .*no answer within 200 ms/);
  } finally {
    await slow.close();
  }

  const answers: Record<string, [number, string]> = {
    '/schemas/ids/1': [404, '<html>Not Found</html>'],
    '/schemas/ids/2': [404, '{"message":"no such route"}'],
    '/schemas/ids/3': [200, '{"schemaType":"AVRO"}'],
    '/schemas/ids/4': [200, '{"schema":"\\"int\\"","schemaType":"XML"}'],
    '/schemas/ids/5': [500, '{"error_code":50001,"message":"backend down"}'],
    '/schemas/ids/6': [200, JSON.stringify({ schema: 'x'.repeat(5000) })],
    '/subjects/s/versions?deleted=true': [200, '{"versions":[1]}'],
    '/subjects/s/versions/latest': [200, '{"subject":"s","version":"1","id":1,"schema":"\\"int\\""}'],
  };
  const odd = await serve((req, res) => {
    if (req.url === '/schemas/ids/8') {
      // Streamed without a length: cut off once past the bound.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"schema":"');
      const timer = setInterval(() => res.write('x'.repeat(1024)), 1);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const [status, body] = answers[req.url ?? ''] ?? [404, '{"error_code":40401,"message":"Subject not found"}'];
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  try {
    const store = new RemoteSchemaStore(`${odd.url}/`, { maxResponseBytes: 4096 });
    assert.equal(store.url, odd.url, 'the trailing slash is not part of the URL');
    await assert.rejects(store.getById(1), new RegExp(`${odd.url}/schemas/ids/1 answered HTTP 404 with a body that is not JSON \\(is ${odd.url} a schema registry\\?\\)`));
    await assert.rejects(store.getById(2), /answered HTTP 404 without a schema registry error code/);
    await assert.rejects(store.getById(3), /answered without a schema string/);
    await assert.rejects(store.getById(4), /answered an unknown schemaType "XML"/);
    await assert.rejects(store.getById(5), new RegExp(`${odd.url}/schemas/ids/5 answered HTTP 500: backend down`));
    await assert.rejects(store.getById(6), /reading the answer to GET \/schemas\/ids\/6 failed: the answer is 50\d\d bytes, more than the 4096 accepted/);
    await assert.rejects(store.getById(8), /reading the answer to GET \/schemas\/ids\/8 failed: the answer is more than the 4096 bytes accepted/);
    await assert.rejects(store.subjectSchemaIds('s'), /answered something other than a list of versions/);
    await assert.rejects(store.getVersion('s', 'latest'), /answered a version that is not a non-negative integer: "1"/);
    assert.equal(await store.getById(7), undefined, "Confluent's 404 with an error code is not found");
    await assert.rejects(store.probe(), /answered something other than a list of subjects/);
  } finally {
    await odd.close();
  }
  assert.throws(() => new RemoteSchemaStore('ftp://x'), /must be http or https/);
  assert.throws(() => new RemoteSchemaStore('not a url'), /is not a URL/);
});

test('remote store: credentials in the URL become Basic auth and stay out of messages', async () => {
  const srv = await serve((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error_code":50001,"message":"nope"}'));
  try {
    const store = new RemoteSchemaStore(srv.url.replace('http://', 'http://user:s%3Acret@'));
    await assert.rejects(store.getById(1), (err: Error) => !err.message.includes('cret') && err.message.includes(srv.url));
    assert.equal(srv.requests[0].headers.authorization, `Basic ${Buffer.from('user:s:cret').toString('base64')}`);
    assert.ok(!store.url.includes('cret'));
  } finally {
    await srv.close();
  }
});

test('format=serialized: a Protobuf schema as the base64 of its FileDescriptorProto, other schemas unchanged', async () => {
  const dep = await registry.register('common.proto', parseSchemaRequest({ schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\npackage common;\nmessage Money { int64 cents = 1; string currency = 2; }\n' }), false);
  const text = `syntax = "proto3";
package shop.v1;
import "common.proto";
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  map<string, Line> lines = 2;
  optional string note = 3;
  oneof paid { common.Money amount = 4; bool free = 5; }
  google.protobuf.Timestamp at = 6;
  Status status = 7;
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; }
}
`;
  const { id } = await registry.register(
    'shop-value',
    parseSchemaRequest({ schemaType: 'PROTOBUF', schema: text, references: [{ name: 'common.proto', subject: 'common.proto', version: 1 }] }),
    false,
  );
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res;
  };
  const byId = (await get(`/schemas/ids/${id}?format=serialized`)).json() as { schemaType: string; schema: string; references: unknown[] };
  assert.equal(byId.schemaType, 'PROTOBUF');
  assert.deepEqual(byId.references, [{ name: 'common.proto', subject: 'common.proto', version: 1 }]);
  assert.match(byId.schema, /^[A-Za-z0-9+/]+=*$/, 'base64');
  // Decoded by protobufjs' own descriptor types: the file as declared, names fully qualified.
  const FileDescriptorProto = (await import('protobufjs/ext/descriptor/index.js')).default.FileDescriptorProto as unknown as protobuf.Type;
  const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(Buffer.from(byId.schema, 'base64')), { enums: String }) as {
    package: string;
    syntax: string;
    dependency: string[];
    messageType: Array<{ name: string; field: Array<{ name: string; typeName?: string; label: string; oneofIndex?: number; proto3Optional?: boolean }>; nestedType: Array<{ name: string; options?: { mapEntry?: boolean } }>; oneofDecl: Array<{ name: string }> }>;
  };
  assert.deepEqual([file.package, file.syntax, file.dependency], ['shop.v1', 'proto3', ['common.proto', 'google/protobuf/timestamp.proto']]);
  const order = file.messageType[0];
  assert.equal(order.name, 'Order');
  const f = Object.fromEntries(order.field.map((x) => [x.name, x]));
  assert.equal(f.lines.typeName, '.shop.v1.Order.LinesEntry');
  assert.ok(order.nestedType.some((n) => n.name === 'LinesEntry' && n.options?.mapEntry));
  assert.equal(f.amount.typeName, '.common.Money');
  assert.equal(f.at.typeName, '.google.protobuf.Timestamp');
  assert.equal(f.status.typeName, '.shop.v1.Order.Status');
  assert.deepEqual(order.oneofDecl.map((o) => o.name), ['paid', '_note'], 'real oneofs first, then the synthetic one of `optional`');
  assert.deepEqual([f.note.proto3Optional, f.note.oneofIndex, f.amount.oneofIndex], [true, 1, 0]);
  // And it reads back as the same schema (the registry's own descriptor -> .proto printer).
  const back = descriptorToProtoText(byId.schema)!;
  for (const line of ['package shop.v1;', 'import "common.proto";', 'map<string, .shop.v1.Order.Line> lines = 2;', 'optional string note = 3;', '.common.Money amount = 4;']) {
    assert.ok(back.includes(line), `${line} in\n${back}`);
  }

  // The same on the version endpoints; `/schema` gives the bare string.
  const version = (await get('/subjects/shop-value/versions/1?format=serialized')).json() as { schema: string; id: number };
  assert.deepEqual([version.id, version.schema], [id, byId.schema]);
  assert.equal((await get('/subjects/shop-value/versions/latest/schema?format=serialized')).body, byId.schema);
  assert.equal((await get(`/schemas/ids/${id}/schema?format=serialized`)).body, byId.schema);
  assert.match((await get(`/schemas/ids/${dep.id}?format=serialized`)).json().schema, /^[A-Za-z0-9+/]+=*$/);
  // Without it (or with format=resolved): the .proto text as stored.
  assert.equal((await get(`/schemas/ids/${id}`)).json().schema, text);
  assert.equal((await get(`/schemas/ids/${id}?format=resolved`)).json().schema, text);
  // Other schema types: unchanged.
  const avro = (await registry.getVersion('orders-value', 'latest'))!;
  assert.equal((await get(`/schemas/ids/${avro.id}?format=serialized`)).json().schema, avro.schema.schema);
});
