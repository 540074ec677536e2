/**
 * Acceptance for topics becoming Iceberg tables: 200k JSON records from kafkajs land exactly
 * once as rows (counts, offsets and values read back from manifests and Parquet files), bad
 * records are reported with their offsets while good ones keep flowing, and kill -9 during
 * produce and materialization neither loses nor duplicates a row.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { removeDir, freshDataDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { readIcebergTable, waitForTableCaughtUp } from '../support/iceberg-table-reader.js';

const { Partitioners, CompressionTypes } = kafkajs;

const started: LakegateProcess[] = [];
const dirs: string[] = [];

after(async () => {
  for (const s of started) await s.stop();
  for (const d of dirs) removeDir(d);
});

async function serve(dataDir?: string, port?: number): Promise<LakegateProcess> {
  const s = await startLakegate({ dataDir, port });
  started.push(s);
  if (!dataDir) dirs.push(s.dataDir);
  return s;
}

test('200k JSON records from kafkajs become exactly 200k rows with their offsets and values', async () => {
  const server = await serve();
  await createTopic(kafkaClient(server.port), 'orders', 4, { 'value.format': 'json', 'value.json.columns': 'id:long,customer:string,amount:double' });
  const producer = kafkaClient(server.port).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sent = new Map<string, { value: string; ts: number; id: number; customer: string; amount: number }>();
  const base = Date.now() - 3_600_000 * 3; // spans several hour partitions
  const TOTAL = 200_000;
  for (let start = 0; start < TOTAL; start += 2000) {
    const messages = [];
    for (let i = start; i < start + 2000; i++) {
      const doc = { id: i, customer: `customer-${i % 97}`, amount: (i % 1000) / 8, note: 'ü'.repeat(i % 3) };
      const value = JSON.stringify(doc);
      const ts = base + Math.floor((i / TOTAL) * 3_600_000 * 3);
      sent.set(`order-${i}`, { value, ts, id: i, customer: doc.customer, amount: doc.amount });
      messages.push({ key: `order-${i}`, value, timestamp: String(ts), headers: { source: `s${i % 5}` } });
    }
    await producer.send({ topic: 'orders', acks: -1, compression: CompressionTypes.GZIP, messages });
  }
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'orders');

  const table = await readIcebergTable(server.httpPort, 'orders');
  assert.equal(table.rows.length, TOTAL, 'rows in the data files');
  assert.equal(table.manifestRecordCount, BigInt(TOTAL), 'record_count in the manifests');
  assert.ok(new Set(table.rows.map((r) => r.timestampMicros / 3_600_000_000n)).size >= 3, 'rows spread over several hour partitions');

  const byPartition = new Map<number, bigint[]>();
  for (const r of table.rows) {
    const list = byPartition.get(r.partition) ?? [];
    list.push(r.offset);
    byPartition.set(r.partition, list);
    const key = (r.key as Buffer).toString();
    const want = sent.get(key);
    assert.ok(want, `row for an unknown key ${key}`);
    assert.equal(r.value, want.value);
    assert.equal(r.timestampMicros, BigInt(want.ts) * 1000n);
    assert.equal(r.columns.id, BigInt(want.id));
    assert.equal(r.columns.customer, want.customer);
    assert.equal(r.columns.amount, want.amount);
    assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['source', `s${want.id % 5}`]]);
    sent.delete(key);
  }
  assert.equal(sent.size, 0, 'every acknowledged record is a row');
  assert.equal(byPartition.size, 4);
  for (const [p, offsets] of byPartition) {
    offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    offsets.forEach((o, i) => assert.equal(o, BigInt(i), `partition ${p}: offsets unique and complete`));
  }
  const summary: Record<string, string> = table.metadata.snapshots.at(-1)?.summary ?? {};
  assert.equal(summary['total-records'], String(TOTAL));
});

test('records that are not JSON are reported with their offsets while good ones keep flowing', async () => {
  const server = await serve();
  await createTopic(kafkaClient(server.port), 'mixed', 1, { 'value.format': 'json', 'value.json.columns': 'n:long' });
  const producer = kafkaClient(server.port).producer();
  await producer.connect();
  const bad = new Map<number, string>();
  const good: string[] = [];
  for (let i = 0; i < 500; i++) {
    let value: Buffer;
    if (i % 50 === 7) {
      value = Buffer.from('definitely { not json');
      bad.set(i, 'JSON');
    } else if (i % 50 === 19) {
      value = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"<invalid UTF-8>"}
      bad.set(i, 'UTF-8');
    } else if (i % 50 === 33) {
      value = Buffer.from(JSON.stringify({ n: 'not a number' }));
      bad.set(i, 'n');
    } else {
      value = Buffer.from(JSON.stringify({ n: i }));
      good.push(value.toString());
    }
    // One record per send on one partition: record i gets offset i.
    await producer.send({ topic: 'mixed', acks: -1, messages: [{ value }] });
  }
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'mixed');

  const table = await readIcebergTable(server.httpPort, 'mixed');
  assert.equal(table.rows.length, good.length);
  assert.deepEqual(table.rows.map((r) => r.value).sort(), [...good].sort());
  assert.ok(table.rows.every((r) => !bad.has(Number(r.offset))));

  const status = (await (await fetch(`http://127.0.0.1:${server.httpPort}/admin/tables/mixed`)).json()) as {
    badRecordCount: number;
    recentBadRecords: Array<{ offset: number; reason: string }>;
  };
  assert.equal(status.badRecordCount, bad.size);
  const reported = new Map(status.recentBadRecords.map((b) => [b.offset, b.reason]));
  assert.deepEqual([...reported.keys()].sort((a, b) => a - b), [...bad.keys()].sort((a, b) => a - b));
  for (const [offset, hint] of bad) assert.match(reported.get(offset) as string, new RegExp(hint, 'i'), `reason for offset ${offset}`);
});

test('kill -9 five times during produce and materialization: every acknowledged record is a row exactly once', async () => {
  const dataDir = freshDataDir('lakegate-iceberg-crash-');
  dirs.push(dataDir);
  let server = await serve(dataDir);
  const port = server.port;
  await createTopic(kafkaClient(port), 'crashy', 2, { 'value.format': 'json', 'table.commit.interval.ms': '200' });
  const producer = kafkaClient(port, 100).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const acked = new Set<string>();
  let kills = 0;
  let done = false;
  // Each kill waits for a table commit made since the last restart, then strikes at a random
  // point of the following cycle, so crashes land between, during and after commits.
  const committedSince = async (sinceMs: number) => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/admin/tables/crashy`).catch(() => null);
      const status = res?.ok ? ((await res.json()) as { lastCommitTime: string | null }) : null;
      if (status?.lastCommitTime && Date.parse(status.lastCommitTime) > sinceMs) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  let commitsBetweenKills = 0;
  const killer = (async () => {
    let since = Date.now();
    while (kills < 5 && !done) {
      if (await committedSince(since)) commitsBetweenKills++;
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      await server.kill9();
      kills++;
      server = await serve(dataDir, port);
      since = Date.now();
    }
  })();
  for (let b = 0; b < 60 || kills < 5; b++) {
    const keys = Array.from({ length: 200 }, (_, i) => `b${b}-${i}`);
    try {
      await producer.send({ topic: 'crashy', acks: -1, messages: keys.map((k) => ({ key: k, value: JSON.stringify({ k }) })) });
      keys.forEach((k) => acked.add(k));
    } catch {
      // not acknowledged: may or may not be in the table, but never twice
    }
    if (b > 2000) break;
  }
  done = true;
  await killer;
  await producer.disconnect().catch(() => undefined);
  assert.equal(kills, 5);
  assert.equal(commitsBetweenKills, 5, 'the table committed between every two kills');

  await waitForTableCaughtUp(server.httpPort, 'crashy', 120_000);
  const table = await readIcebergTable(server.httpPort, 'crashy');
  const seen = new Map<string, number>();
  for (const r of table.rows) {
    const k = (r.key as Buffer).toString();
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice.slice(0, 5), [], `${twice.length} records are rows more than once`);
  const missing = [...acked].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged records are missing from the table`);
  const pairs = new Set(table.rows.map((r) => `${r.partition}/${r.offset}`));
  assert.equal(pairs.size, table.rows.length, '(partition, offset) pairs are unique');
  assert.ok(table.metadata.snapshots.length > 5, 'commits happened throughout, not only at the end');
  // Files a killed cycle wrote but never committed were removed at the next start.
  // Recursive: a partitioned table keeps one directory per partition value.
  const onDisk = readdirSync(path.join(dataDir, 'warehouse', 'kafka', 'crashy', 'data'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet'));
  assert.deepEqual(onDisk.map((f) => path.join(dataDir, 'warehouse', 'kafka', 'crashy', 'data', f)).sort(), [...table.dataFiles].sort(), 'no orphaned data files');
  process.stdout.write(`# iceberg crash test: ${kills} kills, ${acked.size} acknowledged, ${table.rows.length} rows, ${table.metadata.snapshots.length} snapshots\n`);
});
