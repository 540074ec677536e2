/**
 * pyiceberg (an independent reader, through lakegate's Iceberg REST catalog) reads an Avro
 * topic's table: Avro records registered and encoded with @kafkajs/confluent-schema-registry
 * and sent with kafkajs, then a second schema version (float -> double, an added optional
 * field). pyiceberg must see the Iceberg types (decimal, uuid, time, timestamp with and
 * without zone, fixed, map, struct, list), every value as sent, null for the added field in
 * the files written before it existed, and filtered scans that return the right rows while
 * the manifests' bounds prune files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { waitForTableCaughtUp } from '../support/iceberg-table-reader.js';
import { CACHE, INTEROP_DIR, assertSucceeded, run, startLakegate, type Lakegate } from './support.js';

const v1 = {
  type: 'record',
  name: 'Order',
  namespace: 'acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: { type: 'enum', name: 'Tier', symbols: ['GOLD', 'SILVER'] } }] } },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'int' }] } } },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'created_ms', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'local_ts', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
    { name: 'ship_date', type: { type: 'int', logicalType: 'date' } },
    { name: 'tod', type: { type: 'int', logicalType: 'time-millis' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'fx', type: { type: 'fixed', name: 'F3', size: 3 } },
    { name: 'choice', type: ['int', 'string'] },
    { name: 'score', type: 'float' },
  ],
};
const v2 = { ...v1, fields: [...v1.fields.map((f) => (f.name === 'score' ? { name: 'score', type: 'double' } : f)), { name: 'channel', type: ['null', 'string'], default: null }] };

const record = (i: number) => ({
  id: i,
  customer: { name: `c${i}`, tier: 'GOLD' },
  items: [{ sku: `s${i}`, qty: i }],
  attributes: { k: `v${i}` },
  amount: Buffer.from([0x01, 0x02 + i]),
  created_ms: 1_700_000_000_000 + i,
  local_ts: 1_700_000_000_000_123 + i,
  ship_date: 19_700 + i,
  tod: 3_600_000 + i,
  note: i % 2 ? null : `n${i}`,
  ref: `123e4567-e89b-42d3-a456-42661417400${i}`,
  fx: Buffer.from([1, 2, i]),
  choice: i % 2 ? i : `s${i}`,
  score: i + 0.25,
});

/** Python's isoformat of a time of day or an instant given in microseconds. */
const frac = (us: number) => (us % 1_000_000 === 0 ? '' : `.${String(us % 1_000_000).padStart(6, '0')}`);
const isoDateTime = (us: number, zone: string) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19) + frac(us) + zone;

/** What pyiceberg must read for record i (pyiceberg_avro.py's canonical form). */
function expected(i: number) {
  const r = record(i);
  return {
    id: i,
    customer: r.customer,
    items: r.items,
    attributes: [['k', `v${i}`]],
    amount: ((258 + i) / 100).toFixed(2),
    created_ms: isoDateTime(r.created_ms * 1000, '+00:00'),
    local_ts: isoDateTime(r.local_ts, ''),
    ship_date: new Date(r.ship_date * 86_400_000).toISOString().slice(0, 10),
    tod: isoDateTime(r.tod * 1000, '').slice(11),
    note: r.note,
    ref: r.ref,
    fx: `0102${i.toString(16).padStart(2, '0')}`,
    choice: typeof r.choice === 'number' ? { member0: r.choice, member1: null } : { member0: null, member1: r.choice },
    score: r.score,
    channel: i >= 3 ? `ch${i}` : null,
  };
}

let lg: Lakegate | undefined;
let workDir = '';
after(async () => {
  await lg?.stop();
  if (workDir && process.env.INTEROP_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
});

test('pyiceberg reads an evolved Avro table: Iceberg types, values as sent, null for the added field in old files, pruning filters', { timeout: 300_000 }, async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-interop-avro-'));
  lg = await startLakegate(workDir);
  const registry = new SchemaRegistry({ host: `http://127.0.0.1:${lg.httpPort}` });
  const kafka = new Kafka({ clientId: 'interop-avro', brokers: [lg.bootstrap], logLevel: logLevel.NOTHING });
  const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject: 'avro_orders-value' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'avro_orders', numPartitions: 1, configEntries: [{ name: 'table.commit.interval.ms', value: '100' }] }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: 'avro_orders', acks: -1, messages: await Promise.all([0, 1, 2].map(async (i) => ({ value: await registry.encode(id1, record(i)) }))) });
  await waitForTableCaughtUp(lg.httpPort, 'avro_orders');
  const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: 'avro_orders-value' });
  await producer.send({ topic: 'avro_orders', acks: -1, messages: await Promise.all([3, 4].map(async (i) => ({ value: await registry.encode(id2, { ...record(i), channel: `ch${i}` }) }))) });
  await producer.disconnect();
  await waitForTableCaughtUp(lg.httpPort, 'avro_orders');

  const python = path.join(CACHE, 'tables', 'venv', 'bin', 'python');
  const r = await run(python, [path.join(INTEROP_DIR, 'tables', 'pyiceberg_avro.py'), '--uri', `http://127.0.0.1:${lg.httpPort}`, '--table', 'kafka.avro_orders'], {
    timeoutMs: 240_000,
    logFile: path.join(workDir, 'pyiceberg.log'),
  });
  assertSucceeded(r, 'pyiceberg scan of kafka.avro_orders');
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line:\n${r.stdout.slice(-2000)}`);
  const res = JSON.parse(line.slice('RESULT '.length)) as {
    schema: Record<string, string>;
    rows: Array<Record<string, unknown>>;
    filtered: Record<string, { ids: number[]; files: number }>;
  };
  const want: Record<string, string> = { id: 'long', amount: 'decimal(10, 2)', created_ms: 'timestamptz', local_ts: 'timestamp', ship_date: 'date', tod: 'time', note: 'string', ref: 'uuid', fx: 'fixed[3]', score: 'double', channel: 'string' };
  for (const [name, type] of Object.entries(want)) assert.equal(res.schema[name], type, `pyiceberg type of ${name}`);
  assert.match(res.schema.attributes, /^map<string, string>/);
  assert.match(res.schema.items, /^list<struct</);
  const rows = [...res.rows].sort((a, b) => (a.id as number) - (b.id as number));
  assert.deepEqual(rows, [0, 1, 2, 3, 4].map(expected));
  const f = res.filtered;
  assert.deepEqual(f['amount == 2.60'], { ids: [2], files: 1 });
  assert.deepEqual(f['amount >= 2.61'], { ids: [3, 4], files: 1 });
  assert.deepEqual(f['ref == ...02'], { ids: [2], files: 1 });
  assert.deepEqual(f['created_ms >= +3 ms'], { ids: [3, 4], files: 1 });
  assert.deepEqual(f['tod < +2 ms'], { ids: [0, 1], files: 1 });
  assert.deepEqual(f['local_ts >= +3 us'], { ids: [3, 4], files: 1 });
  assert.deepEqual(f['customer.name == c1'], { ids: [1], files: 1 });
  assert.deepEqual(f['score >= 3'], { ids: [3, 4], files: 1 });
});
