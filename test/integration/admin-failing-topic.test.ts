/**
 * A topic whose materializer cannot start is visible on the admin API: an Avro topic with no
 * schema registered for its subject is listed as `failing` with the start error and its time
 * (it used to be missing from GET /admin/tables while the log repeated the error), and turns
 * `running`, error cleared, once the schema is registered and the retry starts it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { readIcebergTable, waitForTableCaughtUp } from '../support/iceberg-table-reader.js';

const { Partitioners } = kafkajs;
let server: LakegateProcess | undefined;

after(async () => {
  await server?.stop();
  if (server) removeDir(server.dataDir);
});

interface TableView {
  topic: string;
  state: string;
  tables: Array<{ name: string }>;
  partitions: Array<{ partition: number; logEndOffset: number; committedOffset: number | null; lag: number }>;
  lastError: { message: string; time: string } | null;
}

async function listed(httpPort: number): Promise<TableView[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/admin/tables`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { tables: TableView[] }).tables;
}

/** Polls GET /admin/tables until `pick` finds what it looks for. */
async function waitForListed(httpPort: number, pick: (tables: TableView[]) => TableView | undefined, what: string, timeoutMs = 15_000): Promise<TableView> {
  const deadline = Date.now() + timeoutMs;
  let last: TableView[] = [];
  while (Date.now() < deadline) {
    last = await listed(httpPort);
    const found = pick(last);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET /admin/tables never showed ${what} within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

const order = { type: 'record', name: 'Order', namespace: 'acme', fields: [{ name: 'id', type: 'long' }] };

test('an Avro topic without a registered schema is listed as failing with the error, then running once the schema exists', async () => {
  server = await startLakegate();
  const { httpPort } = server;
  const kafka = kafkaClient(server.port);
  const createdAt = Date.now();
  await createTopic(kafka, 'orders', 2, { 'value.format': 'avro', 'table.commit.interval.ms': '100' });
  await createTopic(kafka, 'clicks', 1, { 'table.commit.interval.ms': '100' });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // Raw bytes: lakegate accepts them (no validation), the table is what cannot start.
  await producer.send({ topic: 'orders', acks: -1, messages: [{ partition: 0, value: 'early' }] });

  const failing = await waitForListed(httpPort, (ts) => ts.find((t) => t.topic === 'orders' && t.state === 'failing'), 'orders as failing');
  assert.match(failing.lastError?.message ?? '', /orders-value/, 'the error names the subject without a schema');
  const errorTime = Date.parse(failing.lastError!.time);
  assert.ok(errorTime >= createdAt - 1000 && errorTime <= Date.now(), `error time ${failing.lastError!.time}`);
  assert.deepEqual(failing.tables, [], 'no table is open');
  assert.deepEqual(
    failing.partitions.map((p) => [p.partition, p.logEndOffset, p.committedOffset, p.lag]),
    [
      [0, 1, null, 1],
      [1, 0, null, 0],
    ],
    'the log offsets are known, nothing is committed',
  );
  const one = (await (await fetch(`http://127.0.0.1:${httpPort}/admin/tables/orders`)).json()) as TableView;
  assert.equal(one.state, 'failing');
  assert.deepEqual(one.lastError, failing.lastError);
  // A healthy topic next to it is listed as before (after `starting`, for a moment).
  await waitForListed(httpPort, (ts) => ts.find((t) => t.topic === 'clicks' && t.state === 'running'), 'clicks as running');

  const registry = new SchemaRegistry({ host: `http://127.0.0.1:${httpPort}` });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(order) }, { subject: 'orders-value' });
  await producer.send({ topic: 'orders', acks: -1, messages: [{ partition: 1, value: await registry.encode(id, { id: 7 }) }] });
  await producer.disconnect();
  // The start is retried every 5 s.
  const running = await waitForListed(httpPort, (ts) => ts.find((t) => t.topic === 'orders' && t.state === 'running'), 'orders as running');
  assert.equal(running.lastError, null, 'the start error is cleared');
  assert.deepEqual(running.tables.map((t) => t.name), ['kafka.orders']);
  await waitForTableCaughtUp(httpPort, 'orders');
  const table = await readIcebergTable(httpPort, 'orders');
  assert.deepEqual(table.rows.map((r) => [r.partition, r.columns.id]), [[1, 7n]], 'the Avro record is a row (the unframed one is a bad record)');
});
