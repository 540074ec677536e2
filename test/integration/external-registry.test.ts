/**
 * --schema-registry-url: a lakegate that uses an external Confluent-compatible registry (here
 * another lakegate's built-in one, over HTTP) for Avro tables and validation=reject, and
 * neither serves the built-in registry nor creates its _schemas topic. A registry that is
 * down does not keep lakegate from starting; batches that need it are refused, not lost.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import kafkajs from 'kafkajs';
import { readIcebergTable, waitForTableCaughtUp } from '../support/iceberg-table-reader.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';

const { Partitioners } = kafkajs;

const v1 = { type: 'record', name: 'Order', namespace: 'acme', fields: [{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'qty', type: ['null', 'int'], default: null }] };

let registryHost: LakegateProcess;
let node: LakegateProcess;
let registryUrl = '';

async function register(subject: string, schema: unknown): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: number }).id;
}

function framed(id: number, type: avro.Type, value: unknown): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(id, 1);
  return Buffer.concat([prefix, type.toBuffer(value)]);
}

before(async () => {
  registryHost = await startLakegate();
  registryUrl = `http://127.0.0.1:${registryHost.httpPort}`;
  node = await startLakegate({ args: ['--schema-registry-url', `${registryUrl}/`] });
});

after(async () => {
  for (const p of [node, registryHost]) {
    await p?.stop();
    if (p) removeDir(p.dataDir);
  }
});

test('external registry: Avro table columns and produce-time validation come from it; its schema evolution reaches the table', async () => {
  assert.match(node.output(), /using an external schema registry/);
  const v1Id = await register('orders-value', v1);
  const kafka = kafkaClient(node.port);
  await createTopic(kafka, 'orders', 1, { validation: 'reject', 'table.commit.interval.ms': '200' });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const t1 = avro.Type.forSchema(v1 as avro.Schema);
    await producer.send({ topic: 'orders', messages: [1, 2, 3].map((i) => ({ value: framed(v1Id, t1, { id: i, item: `item-${i}` }) })) });
    // An id the registry never handed out: refused at produce time, named in the message.
    await assert.rejects(producer.send({ topic: 'orders', messages: [{ value: framed(4242, t1, { id: 9, item: 'x' }) }] }), (err: Error & { type?: string; cause?: { type?: string } }) => {
      assert.equal(err.cause?.type ?? err.type, 'INVALID_RECORD', String(err));
      return true;
    });
    await waitForTableCaughtUp(node.httpPort, 'orders');

    // v2 is registered in the external registry, and records written with it are accepted at once.
    const v2Id = await register('orders-value', v2);
    const t2 = avro.Type.forSchema(v2 as avro.Schema);
    await producer.send({ topic: 'orders', messages: [{ value: framed(v2Id, t2, { id: 4, item: 'item-4', qty: 7 }) }] });
    await waitForTableCaughtUp(node.httpPort, 'orders');
  } finally {
    await producer.disconnect();
  }
  const table = await readIcebergTable(node.httpPort, 'orders');
  const schema = table.metadata.schemas.find((s) => s['schema-id'] === table.metadata['current-schema-id'])!;
  const columns = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
  assert.deepEqual([columns.id, columns.item, columns.qty], ['long', 'string', 'int']);
  const rows = table.rows.map((r) => [Number(r.columns.id), r.columns.item, r.columns.qty ?? null]).sort((a, b) => Number(a[0]) - Number(b[0]));
  assert.deepEqual(rows, [
    [1, 'item-1', null],
    [2, 'item-2', null],
    [3, 'item-3', null],
    [4, 'item-4', 7],
  ]);
});

test('external registry: the built-in registry is not served and its _schemas topic is never created', async () => {
  for (const p of ['/subjects', '/schemas/ids/1', '/config']) {
    const res = await fetch(`http://127.0.0.1:${node.httpPort}${p}`);
    assert.equal(res.status, 404, `GET ${p}`);
  }
  const topics = JSON.parse(readFileSync(path.join(node.dataDir, 'meta', 'topics.json'), 'utf8')) as unknown;
  assert.ok(!JSON.stringify(topics).includes('"_schemas"'), 'no _schemas topic in meta/topics.json');
  assert.ok(!existsSync(path.join(node.dataDir, '_schemas-0')), 'no _schemas log');
  // The registry host, which does serve it, has the schemas.
  const res = await fetch(`${registryUrl}/subjects`);
  assert.deepEqual(await res.json(), ['orders-value']);
});

test('external registry down: lakegate starts, says so, and refuses batches it cannot check with a retriable error (naming the registry)', async () => {
  const down = await startLakegate({ args: ['--schema-registry-url', 'http://127.0.0.1:9'] });
  try {
    assert.match(down.output(), /external schema registry does not answer yet/);
    const kafka = kafkaClient(down.port, 0);
    await createTopic(kafka, 'checked', 1, { validation: 'reject', 'table.format': 'none' });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await assert.rejects(producer.send({ topic: 'checked', acks: -1, messages: [{ value: Buffer.from([0, 0, 0, 0, 1, 2]) }] }), (err: Error) => {
        assert.match(String(err) + String((err as { cause?: unknown }).cause ?? ''), /REQUEST_TIMED_OUT|timed out/i);
        return true;
      });
    } finally {
      await producer.disconnect();
    }
    assert.match(down.output(), /schema registry http:\/\/127\.0\.0\.1:9 is unreachable/);
  } finally {
    await down.stop();
    removeDir(down.dataDir);
  }
});

test('--schema-registry-url must be an http(s) URL', async () => {
  await assert.rejects(startLakegate({ args: ['--schema-registry-url', 'localhost:8081'] }), /exited with 2[\s\S]*schema\.registry\.url must be an http or https URL/);
});
