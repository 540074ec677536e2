/**
 * Protobuf and JSON Schema topics become typed tables. Schemas are registered with lakegate's
 * registry by @kafkajs/confluent-schema-registry; values are framed the Confluent way
 * (magic byte, schema id, for Protobuf the message-index list [0], then the payload; the
 * kafkajs registry client omits the index list, so Protobuf payloads are encoded with
 * protobufjs and framed here); kafkajs sends them. The tables are read back from their
 * manifests and Parquet files: columns carry the mapped Iceberg types and the values sent.
 * Then each subject evolves (an added field / property): the table gains the column in a new
 * schema and older records read it as null. Values that do not decode land in the
 * dead-letter table (validation's default, dlq) with their reasons.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient, type KafkaClient } from '../support/kafka-client.js';
import { readIcebergTable, readPlainRows, waitForTableCaughtUp } from '../support/iceberg-table-reader.js';

const started: LakegateProcess[] = [];

after(async () => {
  for (const s of started) {
    await s.stop();
    removeDir(s.dataDir);
  }
});

async function serve(): Promise<{ server: LakegateProcess; kafka: KafkaClient; registry: SchemaRegistry }> {
  const server = await startLakegate();
  started.push(server);
  return { server, kafka: kafkaClient(server.port), registry: new SchemaRegistry({ host: `http://127.0.0.1:${server.httpPort}` }) };
}

type IcebergField = { id: number; name: string; type: unknown };

async function typedTable(httpPort: number, topic: string) {
  const table = await readIcebergTable(httpPort, topic);
  const schema = table.metadata.schemas.find((s) => s['schema-id'] === table.metadata['current-schema-id'])!;
  const rows = (await Promise.all(table.dataFiles.map(readPlainRows))).flat().sort((a, b) => Number((a._kafka_offset as bigint) - (b._kafka_offset as bigint)));
  return { table, fields: schema.fields as IcebergField[], types: Object.fromEntries(schema.fields.map((f) => [f.name, f.type])), rows };
}

async function deadLetters(httpPort: number, topic: string) {
  const table = await readIcebergTable(httpPort, `${topic}_dlq`);
  return (await Promise.all(table.dataFiles.map(readPlainRows))).flat().sort((a, b) => Number((a._kafka_offset as bigint) - (b._kafka_offset as bigint)));
}

const READING_V1 = `syntax = "proto3";
package acme.sensors;
import "google/protobuf/timestamp.proto";

message Reading {
  string sensor = 1;
  int64 seq = 2;
  double celsius = 3;
  Position position = 4;
  repeated string tags = 5;
  map<string, int64> counters = 6;
  Kind kind = 7;
  google.protobuf.Timestamp at = 8;
  oneof source {
    string device = 9;
    int32 gateway = 10;
  }
  optional string note = 11;
  bytes blob = 12;
}

message Position {
  double lat = 1;
  double lon = 2;
}

enum Kind {
  KIND_UNKNOWN = 0;
  INDOOR = 1;
  OUTDOOR = 2;
}
`;

// v2 adds a field: compatible under the subject's default BACKWARD level.
const READING_V2 = READING_V1.replace('  bytes blob = 12;\n', '  bytes blob = 12;\n  float humidity = 13;\n');

function readingType(text: string): protobuf.Type {
  const root = new protobuf.Root();
  protobuf.parse(text, root, { keepCase: true });
  root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')!.nested!);
  root.resolveAll();
  return root.lookupType('acme.sensors.Reading');
}

/** magic byte 0, the schema id, the message-index list [0] (one 0 byte), the payload. */
function protoFrame(id: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(6);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, payload]);
}

function reading(i: number) {
  return {
    sensor: `s-${i}`,
    seq: 9_007_199_254_740_993n + BigInt(i), // past 2^53: longs must stay exact
    celsius: i + 0.25,
    position: i % 3 === 0 ? null : { lat: i / 10, lon: -i / 10 },
    tags: Array.from({ length: i % 3 }, (_, k) => `t${k}`),
    counters: i % 2 === 0 ? { hits: BigInt(i * 7) } : {},
    kind: (['KIND_UNKNOWN', 'INDOOR', 'OUTDOOR'] as const)[i % 3],
    atMs: 1_700_000_000_000 + i * 1000,
    device: i % 2 === 0 ? `dev-${i}` : null,
    gateway: i % 2 === 1 ? i : null,
    note: i % 4 === 0 ? `note ${i}` : null,
    blob: Buffer.from([i, 255 - i]),
  };
}

function readingMessage(r: ReturnType<typeof reading>, type: protobuf.Type, extra: Record<string, unknown> = {}): Uint8Array {
  const message: Record<string, unknown> = {
    sensor: r.sensor,
    seq: r.seq.toString(),
    celsius: r.celsius,
    tags: r.tags,
    counters: Object.fromEntries(Object.entries(r.counters).map(([k, v]) => [k, v.toString()])),
    kind: r.kind,
    at: { seconds: Math.floor(r.atMs / 1000), nanos: (r.atMs % 1000) * 1_000_000 },
    blob: r.blob,
    ...extra,
  };
  if (r.position) message.position = r.position;
  if (r.device !== null) message.device = r.device;
  if (r.gateway !== null) message.gateway = r.gateway;
  if (r.note !== null) message.note = r.note;
  return type.encode(type.fromObject(message)).finish();
}

test('Protobuf records become typed columns: nested message, repeated, map, enum, Timestamp, oneof, optional; v2 adds a column', async () => {
  const { server, kafka, registry } = await serve();
  const { id: v1 } = await registry.register({ type: SchemaType.PROTOBUF, schema: READING_V1 }, { subject: 'readings-value' });
  await createTopic(kafka, 'readings', 1, { 'table.commit.interval.ms': '100' });
  const t1 = readingType(READING_V1);
  const sent = Array.from({ length: 30 }, (_, i) => reading(i));
  const producer = kafka.producer();
  await producer.connect();
  const messages = sent.map((r) => ({ key: r.sensor, value: protoFrame(v1, readingMessage(r, t1)) }));
  // Index list naming a second top-level message, a truncated payload, an unknown schema id.
  messages.push(
    { key: 'bad-index', value: Buffer.concat([protoFrame(v1, new Uint8Array()).subarray(0, 5), Buffer.from([2, 2]), readingMessage(sent[0], t1)]) },
    { key: 'bad-truncated', value: protoFrame(v1, readingMessage(sent[1], t1)).subarray(0, 12) },
    { key: 'bad-id', value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 0, 1]) },
  );
  await producer.send({ topic: 'readings', messages });
  await waitForTableCaughtUp(server.httpPort, 'readings');

  const { types, fields, rows } = await typedTable(server.httpPort, 'readings');
  assert.equal(types.sensor, 'string');
  assert.equal(types.seq, 'long');
  assert.equal(types.celsius, 'double');
  assert.equal(types.kind, 'string');
  assert.equal(types.at, 'timestamptz');
  assert.equal(types.device, 'string');
  assert.equal(types.gateway, 'int');
  assert.equal(types.note, 'string');
  assert.equal(types.blob, 'binary');
  assert.deepEqual((types.position as { fields: IcebergField[] }).fields.map((f) => [f.name, f.type]), [['lat', 'double'], ['lon', 'double']]);
  assert.equal((types.tags as { type: string }).type, 'list');
  assert.equal((types.counters as { type: string }).type, 'map');
  assert.equal(fields.find((f) => f.name === 'value'), undefined, 'no raw value column');

  assert.equal(rows.length, sent.length);
  for (const [i, row] of rows.entries()) {
    const r = sent[i];
    assert.equal(row.sensor, r.sensor);
    assert.equal(row.seq, r.seq, `int64 of row ${i} stays exact`);
    assert.equal(row.celsius, r.celsius);
    assert.deepEqual(row.position, r.position);
    assert.deepEqual(row.tags, r.tags);
    assert.deepEqual(row.counters, r.counters);
    assert.equal(row.kind, r.kind);
    assert.equal(row.at, r.atMs);
    assert.equal(row.device, r.device);
    assert.equal(row.gateway, r.gateway);
    assert.equal(row.note, r.note);
    assert.deepEqual(row.blob, r.blob);
  }
  const bad = await deadLetters(server.httpPort, 'readings');
  assert.deepEqual(bad.map((b) => b._kafka_offset), [30n, 31n, 32n]);
  assert.match(String(bad[0].error), /message/i);
  assert.match(String(bad[1].error), /Protobuf|decode/i);
  assert.match(String(bad[2].error), /schema id 32639 is not a version/);

  // v2: a field added; old producers keep sending v1.
  const { id: v2 } = await registry.register({ type: SchemaType.PROTOBUF, schema: READING_V2 }, { subject: 'readings-value' });
  const t2 = readingType(READING_V2);
  const later = [reading(40), reading(41)];
  await producer.send({
    topic: 'readings',
    messages: [{ value: protoFrame(v2, readingMessage(later[0], t2, { humidity: 0.5 })) }, { value: protoFrame(v1, readingMessage(later[1], t1)) }],
  });
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'readings');
  const evolved = await typedTable(server.httpPort, 'readings');
  assert.equal(evolved.table.metadata.schemas.length, 2);
  assert.equal(evolved.types.humidity, 'float');
  for (const f of fields) assert.equal(evolved.fields.find((g) => g.name === f.name)?.id, f.id, `${f.name} keeps its field id`);
  const humidity = new Map(evolved.rows.map((r) => [r.sensor, r.humidity]));
  assert.equal(humidity.get('s-0'), undefined, 'files written before v2 have no humidity column: readers see null');
  assert.equal(humidity.get('s-40'), 0.5);
  assert.equal(humidity.get('s-41'), 0, 'a v1 record read with v2 takes proto3 default');
});

const EVENT_V1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Event',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    score: { type: 'number' },
    ok: { type: 'boolean' },
    at: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    user: { type: 'object', properties: { login: { type: 'string' }, age: { type: 'integer' } } },
    items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    note: { type: ['string', 'null'] },
  },
  required: ['id', 'name'],
  // A closed content model: adding an optional property is then BACKWARD compatible.
  additionalProperties: false,
};
const EVENT_V2 = { ...EVENT_V1, properties: { ...EVENT_V1.properties, channel: { type: 'string' } } };

/** Registers a JSON Schema over the registry's REST API; returns its id. */
async function register(httpPort: number, subject: string, schema: unknown): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(schema) }),
  });
  const body = (await res.json()) as { id: number };
  assert.equal(res.status, 200, `register ${subject}: ${JSON.stringify(body)}`);
  return body.id;
}

/** magic byte 0, the schema id, the UTF-8 document. */
function jsonFrame(id: number, document: string): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, Buffer.from(document)]);
}

function event(i: number) {
  return {
    id: 1000 + i,
    name: `event-${i}`,
    score: i * 1.5,
    ok: i % 2 === 0,
    at: `2026-11-21T10:00:${String(i % 60).padStart(2, '0')}.123456+01:00`,
    day: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`,
    user: { login: `u${i}`, age: 20 + i },
    items: Array.from({ length: i % 3 }, (_, k) => ({ sku: `sku-${k}`, qty: k + 1 })),
    labels: i % 2 === 0 ? { env: 'prod' } : {},
    note: i % 3 === 0 ? null : `n${i}`,
  };
}

test('JSON Schema records become typed columns: nested object, array of objects, map, date-time, date, nullable; v2 adds a column', async () => {
  const { server, kafka } = await serve();
  // Registered and framed here: the kafkajs client's ajv knows no `format` keywords.
  const v1 = await register(server.httpPort, 'events-value', EVENT_V1);
  await createTopic(kafka, 'events', 1, { 'table.commit.interval.ms': '100' });
  const sent = Array.from({ length: 30 }, (_, i) => event(i));
  const producer = kafka.producer();
  await producer.connect();
  const messages = sent.map((e) => ({ value: jsonFrame(v1, JSON.stringify(e)) }));
  messages.push({ value: jsonFrame(v1, '{"id": "one", "name": "x"}') }, { value: jsonFrame(v1, '{"id": 1, ') });
  await producer.send({ topic: 'events', messages });
  await waitForTableCaughtUp(server.httpPort, 'events');

  const { types, fields, rows } = await typedTable(server.httpPort, 'events');
  assert.equal(types.id, 'long');
  assert.equal(types.name, 'string');
  assert.equal(types.score, 'double');
  assert.equal(types.ok, 'boolean');
  assert.equal(types.at, 'timestamptz');
  assert.equal(types.day, 'date');
  assert.equal(types.note, 'string');
  assert.deepEqual((types.user as { fields: IcebergField[] }).fields.map((f) => [f.name, f.type]), [['login', 'string'], ['age', 'long']]);
  assert.equal((types.items as { type: string }).type, 'list');
  assert.equal((types.labels as { type: string }).type, 'map');

  assert.equal(rows.length, sent.length);
  for (const [i, row] of rows.entries()) {
    const e = sent[i];
    assert.equal(row.id, BigInt(e.id));
    assert.equal(row.name, e.name);
    assert.equal(row.score, e.score);
    assert.equal(row.ok, e.ok);
    // apache-arrow hands micros out as fractional epoch milliseconds.
    assert.equal(BigInt(Math.round((row.at as number) * 1000)), BigInt(Date.parse(e.at)) * 1000n + 456n, `date-time of row ${i}, exact to the microsecond`);
    assert.equal(row.day, Date.parse(`${e.day}T00:00:00Z`));
    assert.deepEqual(row.user, { login: e.user.login, age: BigInt(e.user.age) });
    assert.deepEqual(row.items, e.items.map((it) => ({ sku: it.sku, qty: BigInt(it.qty) })));
    assert.deepEqual(row.labels, e.labels);
    assert.equal(row.note, e.note);
  }
  const bad = await deadLetters(server.httpPort, 'events');
  assert.deepEqual(bad.map((b) => b._kafka_offset), [30n, 31n]);
  assert.match(String(bad[0].error), /id/);
  assert.match(String(bad[1].error), /JSON/);

  const v2 = await register(server.httpPort, 'events-value', EVENT_V2);
  await producer.send({ topic: 'events', messages: [{ value: jsonFrame(v2, JSON.stringify({ ...event(40), channel: 'web' })) }] });
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'events');
  const evolved = await typedTable(server.httpPort, 'events');
  assert.equal(evolved.table.metadata.schemas.length, 2);
  assert.equal(evolved.types.channel, 'string');
  for (const f of fields) assert.equal(evolved.fields.find((g) => g.name === f.name)?.id, f.id, `${f.name} keeps its field id`);
  const channel = new Map(evolved.rows.map((r) => [r.name, r.channel]));
  assert.equal(channel.get('event-0'), undefined, 'files written before v2 have no channel column: readers see null');
  assert.equal(channel.get('event-40'), 'web');
});
