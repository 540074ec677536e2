/**
 * pyiceberg (an independent reader, through lakegate's Iceberg REST catalog) reads an Avro
 * topic's table: Avro records registered and encoded with @kafkajs/confluent-schema-registry
 * and sent with kafkajs, then a second schema version (float -> double, an added optional
 * field). pyiceberg must see the Iceberg types (decimal, uuid, time, timestamp with and
 * without zone, fixed, map, struct, list), every value as sent, null for the added field in
 * the files written before it existed, and filtered scans that return the right rows while
 * the manifests' bounds prune files.
 *
 * Then Spark 3.5 with iceberg-spark-runtime (tables/spark_sql.py, one Spark session, catalog
 * type rest) reads a table filled the same way (both versions, same records) but without the
 * time-millis field, as Spark cannot load a table with an Iceberg `time` column (asserted on
 * the first table): the schema Spark reports (struct, array, map, decimal, timestamp,
 * timestamp_ntz, date, ...), count(*), a filter on a nested struct field, array/map element
 * access, sum() of the decimal column and a filter on it, timestamp filters, and every row's
 * values, null `channel` included for the rows written before v2.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Registers v1 under <topic>-value, sends records 0..2 with it, waits for the table, then
 * registers v2 and sends records 3..4 (idempotent kafkajs producer, acks=-1). `omit` drops
 * fields from both schemas and the records.
 */
async function fillAvroTopic(lg: Lakegate, topic: string, omit: string[] = []): Promise<void> {
  const strip = (schema: typeof v1) => ({ ...schema, fields: schema.fields.filter((f) => !omit.includes(f.name)) });
  const value = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !omit.includes(k)));
  const registry = new SchemaRegistry({ host: `http://127.0.0.1:${lg.httpPort}` });
  const kafka = new Kafka({ clientId: 'interop-avro', brokers: [lg.bootstrap], logLevel: logLevel.NOTHING });
  const { id: id1 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(strip(v1)) }, { subject: `${topic}-value` });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'table.commit.interval.ms', value: '100' }] }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: await Promise.all([0, 1, 2].map(async (i) => ({ value: await registry.encode(id1, value(record(i))) }))) });
  await waitForTableCaughtUp(lg.httpPort, topic);
  const { id: id2 } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(strip(v2)) }, { subject: `${topic}-value` });
  await producer.send({ topic, acks: -1, messages: await Promise.all([3, 4].map(async (i) => ({ value: await registry.encode(id2, value({ ...record(i), channel: `ch${i}` })) }))) });
  await producer.disconnect();
  await waitForTableCaughtUp(lg.httpPort, topic);
}

test('pyiceberg reads an evolved Avro table: Iceberg types, values as sent, null for the added field in old files, pruning filters', { timeout: 300_000 }, async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-interop-avro-'));
  lg = await startLakegate(workDir);
  await fillAvroTopic(lg, 'avro_orders');

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

function icebergSparkJar(): string {
  const env = readFileSync(path.join(INTEROP_DIR, 'tables', 'versions.env'), 'utf8');
  const v = /^ICEBERG_SPARK_RUNTIME=(.*)$/m.exec(env)?.[1].trim();
  assert.ok(v, 'ICEBERG_SPARK_RUNTIME is missing from tables/versions.env');
  const jar = path.join(CACHE, 'tables', 'jars', `iceberg-spark-runtime-3.5_2.12-${v}.jar`);
  assert.ok(existsSync(jar), `iceberg-spark-runtime ${v} is not installed (${jar} is missing): run \`bash test/interop/install-table-readers.sh\` (run.sh calls it)`);
  return jar;
}

/** The twin of avro_orders Spark reads: the same schemas and records without `tod` (see below). */
const SPARK_TOPIC = 'avro_orders_spark';

test('Spark 3.5 + iceberg-spark-runtime reads an evolved Avro table: typed schema, count, nested struct/array/map access, decimal sum and filter, timestamp filters, values', { timeout: 540_000 }, async () => {
  assert.ok(lg, 'needs the lakegate the pyiceberg test started');
  // Spark 3.5 cannot load a table with an Iceberg `time` column at all (Iceberg's Spark type
  // conversion throws "Spark does not support time fields"), and avro_orders has one (`tod`,
  // time-millis). So Spark reads a twin topic filled the same way without `tod`, and the
  // refusal of avro_orders is asserted: a Spark that learns `time` makes this test say so.
  await fillAvroTopic(lg, SPARK_TOPIC, ['tod']);
  const python = path.join(CACHE, 'tables', 'venv', 'bin', 'python');
  const t = `lakegate.kafka.${SPARK_TOPIC}`;
  // Spark's TIMESTAMP literals are read in the session time zone, UTC (spark_query.py's session).
  // Names without '=' (spark_sql.py splits NAME=SQL at the first one).
  const queries: Record<string, string> = {
    count: `SELECT count(*) FROM ${t}`,
    'customer.name is c1': `SELECT id FROM ${t} WHERE customer.name = 'c1'`,
    'items[0] and attributes[k] of id 3': `SELECT id, items[0].sku, items[0].qty, attributes['k'] FROM ${t} WHERE id = 3`,
    'sum(amount)': `SELECT sum(amount) FROM ${t}`,
    'amount from 2.61': `SELECT id FROM ${t} WHERE amount >= 2.61 ORDER BY id`,
    'created_ms from +3 ms': `SELECT id FROM ${t} WHERE created_ms >= TIMESTAMP '2023-11-14 22:13:20.003' ORDER BY id`,
    'created_ms before +1 ms': `SELECT id FROM ${t} WHERE created_ms < TIMESTAMP '2023-11-14 22:13:20.001' ORDER BY id`,
    rows:
      `SELECT id, customer, items, attributes, CAST(amount AS STRING), unix_micros(created_ms), CAST(local_ts AS STRING), CAST(ship_date AS STRING), ` +
      `note, CAST(ref AS STRING), hex(fx), choice, score, channel FROM ${t} ORDER BY id`,
  };
  const r = await run(
    python,
    [
      path.join(INTEROP_DIR, 'tables', 'spark_sql.py'),
      '--uri',
      `http://127.0.0.1:${lg.httpPort}`,
      '--jar',
      icebergSparkJar(),
      '--work-dir',
      workDir,
      '--table',
      'kafka.avro_orders',
      '--table',
      `kafka.${SPARK_TOPIC}`,
      ...Object.entries(queries).flatMap(([name, sql]) => ['--query', `${name}=${sql}`]),
    ],
    { timeoutMs: 480_000, logFile: path.join(workDir, 'spark.log'), env: { PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python, SPARK_LOCAL_IP: '127.0.0.1', PYTHONUNBUFFERED: '1' } },
  );
  assertSucceeded(r, `pyspark (spark_sql.py) on kafka.${SPARK_TOPIC}`);
  const line = r.stdout.split('\n').filter((l) => l.startsWith('RESULT ')).at(-1);
  assert.ok(line, `spark_sql.py printed no RESULT line:\n${r.stdout.slice(-2000)}`);
  const res = JSON.parse(line.slice('RESULT '.length)) as {
    sparkVersion: string;
    tables: Record<string, { schema?: Record<string, string>; error?: string }>;
    queries: Record<string, unknown[][]>;
  };
  writeFileSync(path.join(workDir, 'spark.json'), JSON.stringify(res, null, 2));
  assert.match(res.sparkVersion, /^3\.5\./, 'Spark version');
  assert.match(res.tables['kafka.avro_orders'].error ?? `loaded: ${JSON.stringify(res.tables['kafka.avro_orders'])}`, /Spark does not support time fields/, 'Spark 3.5 refuses the table with a time column');

  const loaded = res.tables[`kafka.${SPARK_TOPIC}`];
  assert.ok(loaded.schema, `Spark could not load kafka.${SPARK_TOPIC}: ${loaded.error}`);
  assert.deepEqual(
    loaded.schema,
    {
      _kafka_partition: 'int',
      _kafka_offset: 'bigint',
      _kafka_timestamp: 'timestamp',
      _kafka_key: 'binary',
      _kafka_headers: 'array<struct<key:string,value:binary>>',
      id: 'bigint',
      customer: 'struct<name:string,tier:string>',
      items: 'array<struct<sku:string,qty:int>>',
      attributes: 'map<string,string>',
      amount: 'decimal(10,2)',
      created_ms: 'timestamp',
      local_ts: 'timestamp_ntz',
      ship_date: 'date',
      note: 'string',
      ref: 'string',
      fx: 'binary',
      choice: 'struct<member0:int,member1:string>',
      score: 'double',
      channel: 'string',
    },
    `the schema Spark reports for ${t}`,
  );

  const q = res.queries;
  assert.deepEqual(q.count, [[5]], 'SELECT count(*)');
  assert.deepEqual(q['customer.name is c1'], [[1]], "WHERE customer.name = 'c1'");
  assert.deepEqual(q['items[0] and attributes[k] of id 3'], [[3, 's3', 3, 'v3']], "items[0].sku, items[0].qty, attributes['k']");
  // 2.58 + 2.59 + 2.60 + 2.61 + 2.62
  assert.deepEqual(q['sum(amount)'], [['13.00']], 'sum(amount) over decimal(10, 2)');
  assert.deepEqual(q['amount from 2.61'], [[3], [4]], 'WHERE amount >= 2.61');
  assert.deepEqual(q['created_ms from +3 ms'], [[3], [4]], "WHERE created_ms >= TIMESTAMP '...20.003'");
  assert.deepEqual(q['created_ms before +1 ms'], [[0]], "WHERE created_ms < TIMESTAMP '...20.001'");
  assert.deepEqual(
    q.rows,
    [0, 1, 2, 3, 4].map((i) => {
      const e = expected(i);
      return [i, e.customer, e.items, { k: `v${i}` }, e.amount, record(i).created_ms * 1000, e.local_ts.replace('T', ' '), e.ship_date, e.note, e.ref, e.fx.toUpperCase(), e.choice, e.score, e.channel];
    }),
    'every row as Spark reads it (null `channel` in the files written before v2)',
  );
});
