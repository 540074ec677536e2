/**
 * confluent-kafka for Python with its schema-registry serializers (AvroSerializer,
 * ProtobufSerializer, JSONSerializer; python/serializers.py) against lakegate's built-in
 * registry and Kafka port, and pyiceberg (tables/pyiceberg_serializers.py) reading the tables
 * through lakegate's REST catalog:
 *
 *  1. Avro: the serializer auto-registers v1 (nested record, array, map, decimal,
 *     timestamp-millis, enums, nullable union) and N records go out with idempotence on; then
 *     v2, adding an optional field with a default, and M more. pyiceberg must see a typed
 *     table with the Iceberg types of the README's mapping, every value as sent (recomputed in
 *     Python from python/serializer_data.py), the added column, null in it for the rows
 *     committed before v2 (README "Avro topics", Evolution) and the default for v2 records
 *     that left the field out.
 *  2. Breaking v3s (a type changed long -> string, a required field without default) are
 *     refused with HTTP 409 / error_code 409, and nothing changes: versions, latest, ids,
 *     the table's schema.
 *  3. Protobuf and JSON Schema: registered by their serializers, on topics created with
 *     validation=reject (so lakegate itself decodes every record with the schema it stored);
 *     the registry serves the schemas, every record is acknowledged and in the log, and the
 *     tables are raw: the `value` column holds exactly the serialized bytes (magic byte, id,
 *     message indexes for Protobuf, payload). Typed columns for Protobuf and JSON Schema are a
 *     later part of issue 5; when they come, this test's table checks change with them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { waitForTableCaughtUp } from '../support/iceberg-table-reader.js';
import { CACHE, INTEROP_DIR, assertSucceeded, listOffsets, pythonBin, run, startLakegate, type Lakegate } from './support.js';

/** Avro records before and after v2 (small records: the point is the values, not volume). */
const N = 600;
const M = 400;
/** Protobuf and JSON records. */
const K = 500;
const TOPIC_AVRO = 'ser_orders';
const TOPIC_PROTO = 'ser_readings';
const TOPIC_JSON = 'ser_events';

let lg: Lakegate | undefined;
let workDir = '';
after(async () => {
  await lg?.stop();
  if (workDir && process.env.INTEROP_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
});

function tablesPython(): string {
  const py = path.join(CACHE, 'tables', 'venv', 'bin', 'python');
  assert.ok(existsSync(py), `pyiceberg is not installed (${py} is missing): run \`bash test/interop/run.sh\`, which installs it`);
  return py;
}

/** The last "RESULT {json}" line a Python program printed. */
function resultOf<T>(stdout: string, what: string): T {
  const line = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).at(-1);
  assert.ok(line, `${what} printed no RESULT line:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

interface Ack {
  i: number;
  partition: number;
  offset: number;
  value: Buffer;
}
function readAcks(file: string): Ack[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [i, p, o, hex] = l.split('\t');
      return { i: Number(i), partition: Number(p), offset: Number(o), value: Buffer.from(hex, 'hex') };
    });
}

/** One partition (auto-created topics have one), records i = first.. at offsets base.. in order. */
function assertAcksInOrder(acks: Ack[], first: number, count: number, base: number, schemaId: number, what: string): void {
  assert.equal(acks.length, count, `${what}: acknowledgements`);
  acks.forEach((a, n) => {
    assert.deepEqual([a.i, a.partition, a.offset], [first + n, 0, base + n], `${what}: record ${first + n} acknowledged at partition 0 offset ${base + n}`);
    assert.equal(a.value[0], 0, `${what}: record ${a.i} starts with magic byte 0`);
    assert.equal(a.value.readUInt32BE(1), schemaId, `${what}: record ${a.i} carries schema id ${schemaId}`);
  });
}

async function registry<T>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${lg!.httpPort}${pathAndQuery}`);
  return { status: res.status, body: (await res.json()) as T };
}

async function serializer(mode: string, topic: string, first: number, count: number, acksFile: string) {
  const r = await run(
    pythonBin(),
    [path.join(INTEROP_DIR, 'python', 'serializers.py'), mode, lg!.bootstrap, `http://127.0.0.1:${lg!.httpPort}`, topic, String(first), String(count), acksFile],
    { timeoutMs: 180_000, logFile: path.join(workDir, `serializers-${mode}.log`) },
  );
  assertSucceeded(r, `confluent-kafka ${mode} serializer`);
  return r.stdout;
}

interface TableResult {
  schema: Record<string, string>;
  schemas: number;
  rows: number;
  mismatches: string[];
  mismatch_count: number;
}
async function pyiceberg(mode: 'avro' | 'raw', topic: string, acks: string[], v2From = 0): Promise<TableResult> {
  const r = await run(
    tablesPython(),
    [path.join(INTEROP_DIR, 'tables', 'pyiceberg_serializers.py'), mode, '--uri', `http://127.0.0.1:${lg!.httpPort}`, '--table', `kafka.${topic}`, '--v2-from', String(v2From), ...acks],
    { timeoutMs: 240_000, logFile: path.join(workDir, `pyiceberg-${topic}.log`) },
  );
  assertSucceeded(r, `pyiceberg scan of kafka.${topic}`);
  return resultOf<TableResult>(r.stdout, 'pyiceberg_serializers.py');
}

const KAFKA_COLUMNS = ['_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_key', '_kafka_headers'];

interface Refusal {
  http_status_code?: number;
  error_code?: number;
  message?: string;
  registered?: unknown;
}
interface AvroResult {
  schema_id: number;
  version: number;
  acked: number;
  v3?: Record<string, Refusal>;
  versions_after_v3?: number[];
  latest_after_v3?: number;
}
let avroV1: AvroResult | undefined;
let avroV2: AvroResult | undefined;
let avroTable: TableResult | undefined;

test('AvroSerializer: v1 then v2 (optional field with a default) auto-registered; pyiceberg reads typed columns with every value as sent', { timeout: 600_000 }, async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-interop-serializers-'));
  lg = await startLakegate(workDir);
  const acks1 = path.join(workDir, 'avro-v1.tsv');
  const acks2 = path.join(workDir, 'avro-v2.tsv');

  // The serializer registers v1 while serializing the first record, before the producer's
  // first Metadata request auto-creates the topic: value.format=auto then picks `avro`.
  avroV1 = resultOf<AvroResult>(await serializer('avro-v1', TOPIC_AVRO, 0, N, acks1), 'avro-v1');
  assert.equal(avroV1.version, 1);
  assert.equal(avroV1.acked, N);
  assertAcksInOrder(readAcks(acks1), 0, N, 0, avroV1.schema_id, 'avro v1');
  // Committed before v2 exists, so these rows live in files without the v2 column.
  await waitForTableCaughtUp(lg.httpPort, TOPIC_AVRO);

  avroV2 = resultOf<AvroResult>(await serializer('avro-v2', TOPIC_AVRO, N, M, acks2), 'avro-v2');
  assert.equal(avroV2.version, 2);
  assert.equal(avroV2.acked, M);
  assert.notEqual(avroV2.schema_id, avroV1.schema_id, 'v2 gets its own schema id');
  assertAcksInOrder(readAcks(acks2), N, M, N, avroV2.schema_id, 'avro v2');
  await waitForTableCaughtUp(lg.httpPort, TOPIC_AVRO);

  const offsets = await listOffsets(lg.bootstrap, TOPIC_AVRO);
  assert.deepEqual(offsets, [{ partition: 0, low: 0, high: N + M }], 'ListOffsets: every record is in the log');

  avroTable = await pyiceberg('avro', TOPIC_AVRO, [acks1, acks2], N);
  const t = avroTable;
  assert.deepEqual(t.mismatches, [], `${t.mismatch_count} rows differ from the records sent`);
  assert.equal(t.rows, N + M, 'one row per record');
  // Iceberg types per the README's Avro mapping (value columns are all optional).
  const s = t.schema;
  assert.deepEqual(Object.keys(s), [...KAFKA_COLUMNS, 'id', 'customer', 'items', 'attributes', 'amount', 'created', 'status', 'note', 'channel']);
  assert.equal(s.id, 'long');
  assert.match(s.customer, /^struct<\d+: name: optional string, \d+: tier: optional string>$/);
  assert.match(s.items, /^list<struct<\d+: sku: optional string, \d+: qty: optional int>>$/);
  assert.equal(s.attributes, 'map<string, string>');
  assert.equal(s.amount, 'decimal(10, 2)');
  assert.equal(s.created, 'timestamptz');
  assert.equal(s.status, 'string', 'enum -> string');
  assert.equal(s.note, 'string', 'nullable union -> optional string');
  assert.equal(s.channel, 'string', 'the v2 field is a column');
  assert.equal(t.schemas, 2, 'the table has one Iceberg schema per Avro version');
});

test('a breaking v3 is refused with 409 and nothing changes', { timeout: 60_000 }, async () => {
  assert.ok(avroV1 && avroV2 && avroTable, 'needs the Avro test before it');
  const subject = `${TOPIC_AVRO}-value`;
  // Both explicit registrations and the serializer's auto-registration of a breaking schema.
  assert.deepEqual(Object.keys(avroV2.v3 ?? {}).sort(), ['required-added', 'serializer', 'type-changed']);
  for (const [name, r] of Object.entries(avroV2.v3!)) {
    assert.equal(r.http_status_code, 409, `${name}: HTTP status (${JSON.stringify(r)})`);
    assert.equal(r.error_code, 409, `${name}: error_code`);
    assert.match(r.message ?? '', /incompatible/, `${name}: message`);
  }
  assert.deepEqual(avroV2.versions_after_v3, [1, 2], 'the client sees versions 1 and 2 only');
  assert.equal(avroV2.latest_after_v3, avroV2.schema_id, 'latest is still v2');
  const versions = await registry<number[]>(`/subjects/${subject}/versions`);
  assert.deepEqual(versions.body, [1, 2]);
  const latest = await registry<{ id: number; version: number }>(`/subjects/${subject}/versions/latest`);
  assert.deepEqual([latest.body.id, latest.body.version], [avroV2.schema_id, 2]);
  // No schema id was handed out for the refused schemas.
  const next = await registry<{ error_code: number }>(`/schemas/ids/${avroV2.schema_id + 1}`);
  assert.deepEqual([next.status, next.body.error_code], [404, 40403]);
  // The table was read after the refusals: still the v2 schema, `id` still long, no `region`.
  assert.equal(avroTable.schemas, 2);
  assert.equal(avroTable.schema.id, 'long');
  assert.equal(avroTable.schema.region, undefined);
});

test('ProtobufSerializer and JSONSerializer: schemas registered and served, records acknowledged, logged and in raw tables byte for byte', { timeout: 600_000 }, async () => {
  assert.ok(lg, 'needs the lakegate the Avro test started');
  const admin = new Kafka({ clientId: 'interop-serializers', brokers: [lg.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [TOPIC_PROTO, TOPIC_JSON].map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'validation', value: 'reject' }] })),
    });
  } finally {
    await admin.disconnect();
  }
  const protoAcks = path.join(workDir, 'protobuf.tsv');
  const jsonAcks = path.join(workDir, 'json.tsv');
  const proto = resultOf<AvroResult & { schema_type: string }>(await serializer('protobuf', TOPIC_PROTO, 0, K, protoAcks), 'protobuf');
  const json = resultOf<AvroResult & { schema_type: string; schema: string }>(await serializer('json', TOPIC_JSON, 0, K, jsonAcks), 'json');
  assert.deepEqual([proto.schema_type, proto.version, proto.acked], ['PROTOBUF', 1, K]);
  assert.deepEqual([json.schema_type, json.version, json.acked], ['JSON', 1, K]);
  const pa = readAcks(protoAcks);
  assertAcksInOrder(pa, 0, K, 0, proto.schema_id, 'protobuf');
  // Message indexes [0] (the file's first message, Reading) are written as a single 0 byte.
  assert.ok(pa.every((a) => a.value[5] === 0), 'protobuf: message-index byte 0 after the id');
  assertAcksInOrder(readAcks(jsonAcks), 0, K, 0, json.schema_id, 'json');

  const subjects = await registry<string[]>('/subjects');
  for (const t of [TOPIC_AVRO, TOPIC_PROTO, TOPIC_JSON]) assert.ok(subjects.body.includes(`${t}-value`), `GET /subjects lists ${t}-value: ${JSON.stringify(subjects.body)}`);
  // The Python ProtobufSerializer registers a base64 FileDescriptorProto; the registry keeps
  // (and serves) its .proto text, as Confluent's does.
  const p = await registry<{ schemaType: string; schema: string }>(`/schemas/ids/${proto.schema_id}`);
  assert.equal(p.body.schemaType, 'PROTOBUF');
  assert.match(p.body.schema, /^syntax = "proto3";\npackage lakegate\.interop;/);
  for (const field of ['string sensor = 1;', 'int64 seq = 2;', 'double celsius = 3;', 'repeated string tags = 4;', '.lakegate.interop.Kind kind = 5;', '.lakegate.interop.Position position = 6;']) {
    assert.ok(p.body.schema.includes(field), `the served .proto declares ${field}:\n${p.body.schema}`);
  }
  const j = await registry<{ schemaType: string; schema: string }>(`/schemas/ids/${json.schema_id}`);
  assert.equal(j.body.schemaType, 'JSON');
  assert.deepEqual(JSON.parse(j.body.schema), JSON.parse(json.schema), 'the served JSON Schema is the one registered');
  for (const [id, topic] of [
    [proto.schema_id, TOPIC_PROTO],
    [json.schema_id, TOPIC_JSON],
  ] as const) {
    const owners = await registry<string[]>(`/schemas/ids/${id}/subjects`);
    assert.deepEqual(owners.body, [`${topic}-value`]);
  }

  for (const [topic, acks] of [
    [TOPIC_PROTO, protoAcks],
    [TOPIC_JSON, jsonAcks],
  ] as const) {
    assert.deepEqual(await listOffsets(lg.bootstrap, topic), [{ partition: 0, low: 0, high: K }], `ListOffsets ${topic}`);
    await waitForTableCaughtUp(lg.httpPort, topic);
    const t = await pyiceberg('raw', topic, [acks]);
    assert.deepEqual(t.mismatches, [], `${topic}: ${t.mismatch_count} rows differ from the bytes sent`);
    assert.equal(t.rows, K, `${topic}: one row per record`);
    // Raw for now: the Kafka columns and the value's bytes, no typed columns (a later part).
    assert.deepEqual(t.schema, { ...Object.fromEntries(KAFKA_COLUMNS.map((c) => [c, t.schema[c]])), value: 'binary' }, `${topic}: raw table`);
  }
});
