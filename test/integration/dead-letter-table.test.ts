/**
 * Acceptance for dead-letter tables with a real lakegate process: records that cannot become
 * rows (an Avro topic's values without the magic byte, with an unknown schema id, truncated;
 * a JSON topic's non-JSON values) land in `<table>_dlq` beside the main table with their raw
 * key, value and headers, Kafka coordinates, schema id and reason, visible through the REST
 * catalog, while good records keep flowing; accepted = main rows + dead letters exactly, also
 * across kill -9 (no (partition, offset) in both tables or twice in one).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';
import { freshDataDir, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { readIcebergTable, waitForTableCaughtUp, type TableRow } from '../support/iceberg-table-reader.js';

const { Partitioners } = kafkajs;
const started: LakegateProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const s of started) await s.stop();
  for (const d of dirs) removeDir(d);
});

async function serve(dataDir?: string, port?: number): Promise<LakegateProcess> {
  const server = await startLakegate({ dataDir, port });
  started.push(server);
  if (!dataDir) dirs.push(server.dataDir);
  return server;
}

interface AdminStatus {
  badRecordCount: number;
  deadLetterCount: number;
  tables: Array<{ name: string; deadLetter?: boolean }>;
  recentBadRecords: Array<{ offset: number; reason: string }>;
}

async function adminStatus(httpPort: number, topic: string): Promise<AdminStatus> {
  return (await (await fetch(`http://127.0.0.1:${httpPort}/admin/tables/${topic}`)).json()) as AdminStatus;
}

const byOffset = (a: TableRow, b: TableRow) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);

const payment = {
  type: 'record',
  name: 'Payment',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'payer', type: 'string' },
  ],
};

test('Avro: unframed, unknown-id and truncated values land in the dead-letter table with raw bytes, schema id and reason', async () => {
  const server = await serve();
  const registry = new SchemaRegistry({ host: `http://127.0.0.1:${server.httpPort}` });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(payment) }, { subject: 'payments-value' });
  await createTopic(kafkaClient(server.port), 'payments', 1, { 'table.commit.interval.ms': '100' });
  const producer = kafkaClient(server.port).producer();
  await producer.connect();
  const good = new Map<number, string>();
  const bad = new Map<number, { value: Buffer; schemaId: number | null; reason: RegExp }>();
  for (let i = 0; i < 40; i++) {
    const encoded = await registry.encode(id, { id: i, payer: `payer-${i}-${'x'.repeat(20)}` });
    let value = encoded;
    if (i % 10 === 3) bad.set(i, { value: (value = Buffer.from(`not avro ${i}`)), schemaId: null, reason: /magic byte/ });
    else if (i % 10 === 5) bad.set(i, { value: (value = Buffer.from([0, 0, 0, 0x7f, 0x7f, 2, 4, 0x41])), schemaId: 0x7f7f, reason: /schema id 32639/ });
    else if (i % 10 === 8) bad.set(i, { value: (value = encoded.subarray(0, encoded.length - 5)), schemaId: id, reason: /does not decode as Avro/ });
    else good.set(i, `payer-${i}-${'x'.repeat(20)}`);
    // One record per send on one partition: record i gets offset i.
    await producer.send({ topic: 'payments', acks: -1, messages: [{ key: `k${i}`, value, headers: { trace: `t${i}` } }] });
  }
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'payments');

  const main = await readIcebergTable(server.httpPort, 'payments');
  assert.deepEqual(main.rows.sort(byOffset).map((r) => [Number(r.offset), r.columns.payer]), [...good]);
  const dlq = await readIcebergTable(server.httpPort, 'payments_dlq');
  const rows = dlq.rows.sort(byOffset);
  assert.deepEqual(rows.map((r) => Number(r.offset)), [...bad.keys()]);
  for (const r of rows) {
    const want = bad.get(Number(r.offset))!;
    assert.equal(r.partition, 0);
    assert.deepEqual(r.value, want.value, `raw value of offset ${r.offset}`);
    assert.equal(r.key?.toString(), `k${r.offset}`);
    assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['trace', `t${r.offset}`]]);
    assert.equal(r.columns.schema_id, want.schemaId, `schema id of offset ${r.offset}`);
    assert.match(r.columns.error as string, want.reason, `reason of offset ${r.offset}`);
  }
  assert.equal(main.rows.length + dlq.rows.length, 40, 'accepted = table rows + dead letters');
  const schema = dlq.metadata.schemas.find((s) => s['schema-id'] === dlq.metadata['current-schema-id'])!;
  assert.deepEqual(schema.fields.slice(5).map((f) => [f.id, f.name, f.type, f.required]), [
    [9, 'value', 'binary', false],
    [10, 'schema_id', 'int', false],
    [11, 'error', 'string', true],
  ]);

  const listed = (await (await fetch(`http://127.0.0.1:${server.httpPort}/v1/namespaces/kafka/tables`)).json()) as { identifiers: Array<{ name: string }> };
  assert.deepEqual(listed.identifiers.map((t) => t.name).sort(), ['payments', 'payments_dlq']);
  const status = await adminStatus(server.httpPort, 'payments');
  assert.equal(status.deadLetterCount, bad.size);
  assert.equal(status.badRecordCount, bad.size, 'the bad-record report is still there');
  assert.deepEqual(status.tables.map((t) => [t.name, t.deadLetter ?? false]), [['kafka.payments', false], ['kafka.payments_dlq', true]]);
});

test('JSON: non-JSON values are dead letters; a topic without bad records gets no dead-letter table', async () => {
  const server = await serve();
  await createTopic(kafkaClient(server.port), 'events', 1, { 'value.format': 'json', 'value.json.columns': 'n:long', 'table.commit.interval.ms': '100' });
  await createTopic(kafkaClient(server.port), 'clean', 1, { 'value.format': 'json', 'table.commit.interval.ms': '100' });
  const producer = kafkaClient(server.port).producer();
  await producer.connect();
  const values = Array.from({ length: 30 }, (_, i) => (i % 7 === 2 ? Buffer.from([0x7b, 0xff, i]) : i % 7 === 4 ? Buffer.from(`<xml n="${i}"/>`) : Buffer.from(JSON.stringify({ n: i }))));
  for (const [i, value] of values.entries()) await producer.send({ topic: 'events', acks: -1, messages: [{ key: `k${i}`, value }] });
  await producer.send({ topic: 'clean', acks: -1, messages: [{ value: '{"ok":true}' }] });
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'events');
  await waitForTableCaughtUp(server.httpPort, 'clean');

  const main = await readIcebergTable(server.httpPort, 'events');
  const dlq = await readIcebergTable(server.httpPort, 'events_dlq');
  const badOffsets = values.map((_, i) => i).filter((i) => i % 7 === 2 || i % 7 === 4);
  assert.deepEqual(dlq.rows.sort(byOffset).map((r) => Number(r.offset)), badOffsets);
  assert.deepEqual(main.rows.sort(byOffset).map((r) => Number(r.offset)), values.map((_, i) => i).filter((i) => !badOffsets.includes(i)));
  for (const r of dlq.rows) {
    assert.deepEqual(r.value, values[Number(r.offset)]);
    assert.equal(r.columns.schema_id, null);
    assert.match(r.columns.error as string, Number(r.offset) % 7 === 2 ? /UTF-8/ : /not valid JSON/);
  }
  assert.equal((await adminStatus(server.httpPort, 'events')).deadLetterCount, badOffsets.length);
  const clean = await adminStatus(server.httpPort, 'clean');
  assert.equal(clean.deadLetterCount, 0);
  assert.equal(clean.tables.length, 1, 'no dead-letter table until a record needs one');
  assert.equal((await fetch(`http://127.0.0.1:${server.httpPort}/v1/namespaces/kafka/tables/clean_dlq`)).status, 404);
});

test('kill -9 three times: every acknowledged record is exactly once in the main or the dead-letter table', async () => {
  const dataDir = freshDataDir('lakegate-dlq-crash-');
  dirs.push(dataDir);
  let server = await serve(dataDir);
  const port = server.port;
  await createTopic(kafkaClient(port), 'crashy', 2, { 'value.format': 'json', 'table.commit.interval.ms': '150' });
  const producer = kafkaClient(port, 100).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const acked = new Set<string>();
  let kills = 0;
  let done = false;
  const killer = (async () => {
    while (kills < 3 && !done) {
      await new Promise((r) => setTimeout(r, 700 + Math.random() * 500));
      await server.kill9();
      kills++;
      server = await serve(dataDir, port);
    }
  })();
  for (let b = 0; (b < 40 || kills < 3) && b < 2000; b++) {
    const keys = Array.from({ length: 100 }, (_, i) => `b${b}-${i}`);
    try {
      // Every 10th record is not JSON: a dead letter.
      await producer.send({ topic: 'crashy', acks: -1, messages: keys.map((k, i) => ({ key: k, value: i % 10 === 0 ? `bad ${k}` : JSON.stringify({ k }) })) });
      keys.forEach((k) => acked.add(k));
    } catch {
      // not acknowledged: may or may not be in a table, but never twice
    }
  }
  done = true;
  await killer;
  await producer.disconnect().catch(() => undefined);
  assert.equal(kills, 3);

  await waitForTableCaughtUp(server.httpPort, 'crashy', 120_000);
  const main = await readIcebergTable(server.httpPort, 'crashy');
  const dlq = await readIcebergTable(server.httpPort, 'crashy_dlq');
  const seen = new Map<string, number>();
  const pairs = new Set<string>();
  for (const [table, rows] of [['main', main.rows], ['dlq', dlq.rows]] as const) {
    for (const r of rows) {
      const k = (r.key as Buffer).toString();
      seen.set(k, (seen.get(k) ?? 0) + 1);
      pairs.add(`${r.partition}/${r.offset}`);
      const isBad = k.endsWith('-0') || /-\d0$/.test(k);
      assert.equal(table === 'dlq', isBad, `${k} is in the ${table} table`);
    }
  }
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice.slice(0, 5), [], `${twice.length} records are in the tables more than once`);
  const missing = [...acked].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged records are in neither table`);
  assert.equal(pairs.size, main.rows.length + dlq.rows.length, '(partition, offset) pairs are unique across both tables');
  assert.equal((await adminStatus(server.httpPort, 'crashy')).deadLetterCount, dlq.rows.length);
  process.stdout.write(`# dead-letter crash test: ${kills} kills, ${acked.size} acknowledged, ${main.rows.length} rows + ${dlq.rows.length} dead letters\n`);
});
