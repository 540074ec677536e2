/**
 * Acceptance for Avro topics: @kafkajs/confluent-schema-registry registers an Avro schema with
 * lakegate over HTTP, kafkajs sends records encoded with it, and the table's columns are typed
 * Iceberg columns holding exactly what was sent (nested record, array, map, decimal,
 * timestamps, date, enum, nullable union, other union, uuid). Then the subject evolves (an
 * added field with a default, float -> double): the table gets a new schema with a new field
 * id in the commit of the first rows written with it, old files stay as they were, and v1
 * records read after the change take the default.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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

const orderV1 = {
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'long' },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'Customer',
        fields: [
          { name: 'name', type: 'string' },
          { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['GOLD', 'SILVER'] } },
        ],
      },
    },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'created_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'created_us', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'ship_date', type: { type: 'int', logicalType: 'date' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'choice', type: ['int', 'string'] },
    { name: 'score', type: 'float' },
  ],
};

const orderV2 = {
  ...orderV1,
  fields: [...orderV1.fields.map((f) => (f.name === 'score' ? { name: 'score', type: 'double' } : f)), { name: 'channel', type: 'string', default: 'web' }],
};

/** A decimal's unscaled value as Avro bytes (big-endian two's complement). */
function decimalBytes(unscaled: bigint): Buffer {
  let hex = BigInt.asUintN(64, unscaled).toString(16).padStart(16, '0');
  if (unscaled >= 0n) hex = hex.replace(/^(00)+(?=[0-7])/, '');
  else hex = hex.replace(/^(ff)+(?=[89a-f])/, '');
  return Buffer.from(hex, 'hex');
}

function order(i: number) {
  return {
    id: 10_000_000_000 + i,
    customer: { name: `customer-${i}`, tier: i % 2 === 0 ? 'GOLD' : 'SILVER' },
    items: Array.from({ length: i % 3 }, (_, k) => ({ sku: `sku-${i}-${k}`, qty: k + 1 })),
    attributes: i % 2 === 0 ? { source: 'app', region: `r${i % 4}` } : {},
    amountUnscaled: BigInt(i * 1234 - 5000),
    created_ms: 1_700_000_000_000 + i,
    created_us: 1_700_000_000_000_123 + i,
    ship_date: 19_700 + i,
    note: i % 3 === 0 ? null : `note ${i}`,
    ref: `123e4567-e89b-42d3-a456-${String(426614174000 + i).padStart(12, '0')}`,
    choice: i % 2 === 0 ? i : `c${i}`,
    score: i + 0.5,
  };
}

function avroPayload(o: ReturnType<typeof order>, extra: Record<string, unknown> = {}) {
  const { amountUnscaled, ...rest } = o;
  return { ...rest, amount: decimalBytes(amountUnscaled), ...extra };
}

async function serve(): Promise<{ server: LakegateProcess; kafka: KafkaClient; registry: SchemaRegistry }> {
  const server = await startLakegate();
  started.push(server);
  const kafka = kafkaClient(server.port);
  return { server, kafka, registry: new SchemaRegistry({ host: `http://127.0.0.1:${server.httpPort}` }) };
}

test('Avro records sent through the Confluent client become typed Iceberg columns holding the sent values', async () => {
  const { server, kafka, registry } = await serve();
  const { id: v1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'orders-value' });
  // value.format is left at its default, auto: the subject exists, so the table is Avro.
  await createTopic(kafka, 'orders', 1, { 'table.commit.interval.ms': '100' });
  const producer = kafka.producer();
  await producer.connect();
  const sent = Array.from({ length: 50 }, (_, i) => order(i));
  const messages = await Promise.all(sent.map(async (o) => ({ key: String(o.id), value: await registry.encode(v1, avroPayload(o)) })));
  // A value that is not framed, and one framed with an id the subject does not have.
  messages.push({ key: 'bad-1', value: Buffer.from('not avro') }, { key: 'bad-2', value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]) });
  await producer.send({ topic: 'orders', messages });
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'orders');

  const table = await readIcebergTable(server.httpPort, 'orders');
  const schema = table.metadata.schemas.find((s) => s['schema-id'] === table.metadata['current-schema-id'])!;
  const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
  assert.equal(types.id, 'long');
  assert.equal(types.amount, 'decimal(10, 2)');
  assert.equal(types.created_ms, 'timestamptz');
  assert.equal(types.created_us, 'timestamptz');
  assert.equal(types.ship_date, 'date');
  assert.equal(types.ref, 'uuid');
  assert.equal(types.score, 'float');
  assert.equal(types.note, 'string');
  assert.deepEqual(
    (types.customer as { fields: Array<{ name: string; type: unknown }> }).fields.map((f) => [f.name, f.type]),
    [['name', 'string'], ['tier', 'string']],
  );
  assert.equal((types.items as { type: string }).type, 'list');
  assert.equal((types.attributes as { type: string; value: unknown }).type, 'map');
  assert.equal((types.choice as { type: string }).type, 'struct');
  assert.equal(schema.fields.find((f) => f.name === 'id')!.id, 9, 'value columns start right after the system columns');
  assert.equal(schema.fields.find((f) => f.name === 'value'), undefined, 'no raw value column');

  const rows = (await Promise.all(table.dataFiles.map(readPlainRows))).flat().sort((a, b) => Number((a._kafka_offset as bigint) - (b._kafka_offset as bigint)));
  assert.equal(rows.length, sent.length);
  for (const [i, row] of rows.entries()) {
    const o = sent[i];
    assert.equal(row.id, BigInt(o.id));
    assert.deepEqual(row.customer, o.customer);
    assert.deepEqual(row.items, o.items);
    assert.deepEqual(row.attributes, o.attributes);
    assert.equal(row.amount, o.amountUnscaled, `decimal of row ${i}`);
    // apache-arrow hands timestamps out as epoch milliseconds (fractional for micros).
    assert.equal(row.created_ms, o.created_ms);
    assert.equal(BigInt(Math.round((row.created_us as number) * 1000)), BigInt(o.created_us));
    assert.equal(row.ship_date, o.ship_date * 86_400_000);
    assert.equal(row.note, o.note);
    assert.equal((row.ref as Buffer).toString('hex'), o.ref.replace(/-/g, ''));
    assert.deepEqual(row.choice, typeof o.choice === 'number' ? { member0: o.choice, member1: null } : { member0: null, member1: o.choice });
    assert.equal(row.score, o.score);
  }

  const status = (await (await fetch(`http://127.0.0.1:${server.httpPort}/admin/tables/orders`)).json()) as {
    badRecordCount: number;
    recentBadRecords: Array<{ offset: number; reason: string }>;
  };
  assert.equal(status.badRecordCount, 2);
  const reasons = new Map(status.recentBadRecords.map((b) => [b.offset, b.reason]));
  assert.match(reasons.get(50) ?? '', /magic byte/);
  assert.match(reasons.get(51) ?? '', /schema id 32639 is not a version/);
});

test('a compatible new version evolves the table: new schema and field id, no rewrite, old rows null, v1 records take the default', async () => {
  const { server, kafka, registry } = await serve();
  const { id: v1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'evolving-value' });
  await createTopic(kafka, 'evolving', 1, { 'value.format': 'avro', 'table.commit.interval.ms': '100' });
  const producer = kafka.producer();
  await producer.connect();
  const send = async (id: number, payloads: Array<Record<string, unknown>>) =>
    producer.send({ topic: 'evolving', messages: await Promise.all(payloads.map(async (p) => ({ value: await registry.encode(id, p) }))) });
  await send(v1, [0, 1, 2].map((i) => avroPayload(order(i))));
  await waitForTableCaughtUp(server.httpPort, 'evolving');
  const before = await readIcebergTable(server.httpPort, 'evolving');
  const filesBefore = [...before.dataFiles];

  const { id: v2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV2) }, { subject: 'evolving-value' });
  await send(v2, [3, 4].map((i) => avroPayload(order(i), { channel: `ch${i}` })));
  await send(v1, [avroPayload(order(5))]); // an old producer, still on v1
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'evolving');

  const after = await readIcebergTable(server.httpPort, 'evolving');
  const meta = after.metadata;
  assert.equal(meta.schemas.length, 2);
  assert.equal(meta['current-schema-id'], 1);
  const [s0, s1] = meta.schemas;
  const field = (s: typeof s0, name: string) => s.fields.find((f) => f.name === name);
  assert.equal(field(s1, 'score')!.id, field(s0, 'score')!.id, 'float -> double keeps the field id');
  assert.equal(field(s1, 'score')!.type, 'double');
  assert.equal(field(s0, 'channel'), undefined);
  assert.ok(field(s1, 'channel')!.id > before.metadata['last-column-id'], 'the added field gets a new id');
  assert.equal(meta['last-column-id'], field(s1, 'channel')!.id);
  for (const name of ['id', 'customer', 'items', 'attributes', 'amount']) assert.equal(field(s1, name)!.id, field(s0, name)!.id, `${name} keeps its id`);
  const evolvedSnapshot = meta.snapshots.at(-1)!;
  assert.equal(evolvedSnapshot['schema-id'], 1);
  for (const f of filesBefore) assert.ok(after.dataFiles.includes(f), 'files written before the change stay in the table unchanged');

  const rows = (await Promise.all(after.dataFiles.map(readPlainRows))).flat();
  const byId = new Map(rows.map((r) => [Number((r.id as bigint) - 10_000_000_000n), r]));
  assert.equal(rows.length, 6);
  for (const i of [0, 1, 2]) assert.equal(byId.get(i)!.channel, undefined, 'old files have no channel column: readers see null');
  assert.equal(byId.get(3)!.channel, 'ch3');
  assert.equal(byId.get(4)!.channel, 'ch4');
  assert.equal(byId.get(5)!.channel, 'web', 'a v1 record read with v2 takes the default');
  assert.equal(byId.get(5)!.score, 5.5);
});

test('after a restart the table keeps its schema and field ids, and new rows land beside the old ones', async () => {
  const first = await serve();
  const { id: v1 } = await first.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(orderV1) }, { subject: 'kept-value' });
  await createTopic(first.kafka, 'kept', 1, { 'table.commit.interval.ms': '100' });
  const produce = async (kafka: KafkaClient, registry: SchemaRegistry, from: number) => {
    const producer = kafka.producer();
    await producer.connect();
    const messages = await Promise.all([0, 1, 2].map(async (k) => ({ value: await registry.encode(v1, avroPayload(order(from + k))) })));
    await producer.send({ topic: 'kept', messages });
    await producer.disconnect();
  };
  await produce(first.kafka, first.registry, 0);
  await waitForTableCaughtUp(first.server.httpPort, 'kept');
  const before = await readIcebergTable(first.server.httpPort, 'kept');
  await first.server.stop();

  const server = await startLakegate({ dataDir: first.server.dataDir });
  started.push(server);
  const kafka = kafkaClient(server.port);
  await produce(kafka, new SchemaRegistry({ host: `http://127.0.0.1:${server.httpPort}` }), 3);
  await waitForTableCaughtUp(server.httpPort, 'kept');
  const table = await readIcebergTable(server.httpPort, 'kept');
  assert.deepEqual(table.metadata.schemas, before.metadata.schemas, 'no new schema, the same field ids');
  assert.equal(table.metadata['last-column-id'], before.metadata['last-column-id']);
  assert.equal(table.metadata.properties['lakegate.value.format'], 'avro');
  const rows = (await Promise.all(table.dataFiles.map(readPlainRows))).flat();
  assert.deepEqual(rows.map((r) => Number((r.id as bigint) - 10_000_000_000n)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
});
