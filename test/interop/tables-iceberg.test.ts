/**
 * Independent readers of lakegate's Iceberg tables, through its Iceberg REST catalog:
 *
 *  - pyiceberg (PyPI) loads each table from the catalog and scans it; every row must be exactly
 *    a record kafkajs had acknowledged at that (partition, offset): row count == records
 *    acknowledged, (partition, offset) pairs unique and complete (0..n-1 per partition), key,
 *    value, headers (order, duplicates, binary values) byte-equal, timestamp equal, typed JSON
 *    columns equal; filtered scans (_kafka_partition = 2, _kafka_timestamp >= T) return the
 *    expected counts.
 *  - Spark 3.5 (pyspark from PyPI + iceberg-spark-runtime-3.5_2.12 from Maven, catalog type
 *    rest) answers count(*), count(*) WHERE _kafka_partition = 2, count(*) WHERE
 *    _kafka_timestamp >= T and a per-partition GROUP BY with the same numbers, and its rows
 *    are compared byte for byte too.
 *
 * Two topics on one server: a JSON topic (value.format=json with value.json.columns, 4
 * partitions, hourly table partitions, pretty/compact/Unicode JSON, keyed records, headers
 * with duplicate keys and binary values) and a raw topic (value.format=raw default, 4
 * partitions, table.partition.by=day, gzip batches, binary keys and values including
 * invalid UTF-8, empty and null). Both are produced with kafkajs (idempotent, acks=-1).
 *
 * The readers are installed by install-table-readers.sh (run.sh calls it) into
 * test/interop/.cache/tables/; a missing reader is a FAILURE, never a skip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CompressionTypes, Kafka, logLevel, type IHeaders, type Message } from 'kafkajs';
import { CACHE, INTEROP_DIR, assertSucceeded, run, startLakegate, topicName, type Lakegate } from './support.js';
import { locationToPath } from '../../src/tables/iceberg/io.js';
import { readManifestList } from '../../src/tables/iceberg/manifest-list.js';

// ---------------------------------------------------------------------------------------------
// Configuration

const JSON_RECORDS = Number(process.env.INTEROP_TABLE_RECORDS ?? 20_000);
const RAW_RECORDS = Number(process.env.INTEROP_TABLE_RAW_RECORDS ?? 6_000);
const PARTITIONS = 4;
/** The partition the filtered reads select. */
const FILTER_PARTITION = 2;
const SEND_CHUNK = 500;
const LAG_TIMEOUT_MS = Number(process.env.INTEROP_TABLE_LAG_TIMEOUT_MS ?? 180_000);
const PYICEBERG_TIMEOUT_MS = 240_000;
const SPARK_TIMEOUT_MS = Number(process.env.INTEROP_SPARK_TIMEOUT_MS ?? 480_000);

const TABLES_DIR = path.join(INTEROP_DIR, 'tables');
const READERS = path.join(CACHE, 'tables');

function readerVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path.join(TABLES_DIR, 'versions.env'), 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

function installed(file: string, what: string): string {
  if (!existsSync(file)) {
    throw new Error(`${what} is not installed (${file} is missing): run \`bash test/interop/install-table-readers.sh\` (run.sh calls it)`);
  }
  return file;
}

function readerPython(): string {
  return installed(path.join(READERS, 'venv', 'bin', 'python'), 'the table-reader venv (pyiceberg, pyspark)');
}

function icebergSparkJar(): string {
  const v = readerVersions().ICEBERG_SPARK_RUNTIME;
  return installed(path.join(READERS, 'jars', `iceberg-spark-runtime-3.5_2.12-${v}.jar`), `iceberg-spark-runtime-3.5_2.12 ${v}`);
}

// ---------------------------------------------------------------------------------------------
// Deterministic records

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Uneven partition shares (10/20/30/40 %), so a wrong partition filter cannot match by luck. */
const SKEW = [0, 1, 1, 2, 2, 2, 3, 3, 3, 3];
const TEXTS = ['plain', 'é café', '日本語テキスト', '🚀 rocket 🛰', 'quote " backslash \\ slash /', 'ctl \u0001 nl \n tab \t', 'sep \u2028 \u2029 end', 'ﬀ\u0000nul'];
const DOUBLES = [0.1, -2.5, 1e-300, 1.7976931348623157e308, 123456.789, 5e-324, -1e21, 3];

/** A tiny deterministic byte generator (xorshift32) seeded per record. */
function bytes(seed: number, n: number): Buffer {
  let x = (seed * 2654435761) >>> 0 || 1;
  const b = Buffer.alloc(n);
  for (let j = 0; j < n; j++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[j] = x & 0xff;
  }
  return b;
}

interface Sent {
  message: Message;
  partition: number;
  /** Expected canonical row (see tables/rows.py), without p/o (known after the ack). */
  ts: number;
  k: string | null;
  v: string | null;
  h: Array<[string, string | null]>;
  x: Record<string, unknown>;
}

const b64 = (b: Buffer | string | null): string | null => (b === null ? null : (typeof b === 'string' ? Buffer.from(b, 'utf8') : b).toString('base64'));

/** Headers as kafkajs puts them on the wire: Object.keys order, arrays expanded in order. */
function wireHeaders(h: IHeaders): Array<[string, string | null]> {
  return Object.keys(h).flatMap((k) => {
    const v = h[k];
    const vs = Array.isArray(v) ? v : [v];
    return vs.map((x) => [k, b64(x === undefined ? null : (x as Buffer | string))] as [string, string | null]);
  });
}

function jsonRecord(i: number, hourBase: number): Sent {
  const ts = hourBase + (i % 6) * HOUR + ((i * 7919) % HOUR);
  const key = i % 97 === 0 ? null : i % 101 === 0 ? '' : `k-${i}`;
  const obj: Record<string, unknown> = { id: i };
  let customer: string | null = null;
  if (i % 13 !== 0) {
    if (i % 17 === 0) obj.customer = null;
    else obj.customer = customer = `cust-${i % 500}-${TEXTS[i % TEXTS.length]}`;
  }
  let amount: number | null = null;
  if (i % 11 !== 0) obj.amount = amount = i % 7 === 0 ? i : i % 19 === 0 ? DOUBLES[i % DOUBLES.length] : i * 1.25 + 0.01;
  obj.note = TEXTS[(i * 3) % TEXTS.length];
  obj.nested = { a: [1, 2, { b: i % 2 === 0 }], s: `n-${i}` };
  obj.pad = 'x'.repeat((i * 13) % 300);
  const value = i % 5 === 0 ? JSON.stringify(obj, null, 2) : i % 5 === 1 ? `\t ${JSON.stringify(obj, null, '\t')}\n` : JSON.stringify(obj);
  const headers: IHeaders = i % 50 === 0 ? {} : { trace: `t-${i}`, seq: [String(i), 'dup'], bin: Buffer.from([i & 0xff, 0, 0xff, 0x80, 0xc3, 0x28]), ...(i % 3 === 0 ? { empty: '' } : {}) };
  return {
    message: { key, value, headers, timestamp: String(ts), partition: SKEW[i % SKEW.length] },
    partition: SKEW[i % SKEW.length],
    ts: ts * 1000,
    k: b64(key),
    v: b64(value),
    h: wireHeaders(headers),
    x: { id: i, customer, amount },
  };
}

function rawRecord(i: number, dayBase: number): Sent {
  const ts = dayBase - (i % 3) * DAY + ((i * 104_729) % DAY);
  const key = i % 7 === 0 ? null : bytes(i, i % 20);
  const value = i % 89 === 0 ? null : i % 83 === 0 ? Buffer.alloc(0) : bytes(i + 1_000_003, (i * 31) % 400);
  const headers: IHeaders = i % 4 === 0 ? {} : { b: bytes(i + 7, 8), 'ü-key': 'x', ...(i % 5 === 0 ? { b2: Buffer.alloc(0) } : {}) };
  const partition = [0, 0, 1, 2, 3, 3][i % 6];
  return {
    message: { key, value, headers, timestamp: String(ts), partition },
    partition,
    ts: ts * 1000,
    k: b64(key),
    v: b64(value),
    h: wireHeaders(headers),
    x: {},
  };
}

interface Produced {
  topic: string;
  /** `kafka.<table>` as the admin API names it. */
  table: string;
  records: Sent[];
  /** "p:o" -> canonical row JSON of the record acknowledged there. */
  expected: Map<string, CanonicalRow>;
  perPartition: number[];
  tsFrom: number;
  countTsFrom: number;
}

interface CanonicalRow {
  p: number;
  o: number;
  ts: number;
  k: string | null;
  v: string | null;
  h: Array<[string, string | null]> | null;
  x: Record<string, unknown>;
}

/**
 * Sends the records in chunks with an idempotent kafkajs producer (acks=-1) and derives each
 * record's offset from the acknowledgement: a send's records for one partition are appended
 * in order at that partition's baseOffset.
 */
async function produce(lg: Lakegate, topic: string, records: Sent[], compression: CompressionTypes): Promise<Map<string, CanonicalRow>> {
  const kafka = new Kafka({ clientId: 'lakegate-interop-tables', brokers: [lg.bootstrap], logLevel: logLevel.ERROR, retry: { retries: 5 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const expected = new Map<string, CanonicalRow>();
  try {
    for (let start = 0; start < records.length; start += SEND_CHUNK) {
      const chunk = records.slice(start, start + SEND_CHUNK);
      const meta = await producer.send({ topic, acks: -1, compression, messages: chunk.map((r) => r.message) });
      const base = new Map<number, number>();
      for (const m of meta) {
        assert.equal(m.errorCode, 0, `produce to ${topic}-${m.partition} answered error ${m.errorCode}`);
        base.set(m.partition, Number(m.baseOffset));
      }
      const next = new Map<number, number>();
      for (const r of chunk) {
        const b = base.get(r.partition);
        assert.ok(b !== undefined, `no acknowledgement for ${topic}-${r.partition} in ${JSON.stringify(meta)}`);
        const n = next.get(r.partition) ?? 0;
        next.set(r.partition, n + 1);
        const o = b + n;
        const k = `${r.partition}:${o}`;
        assert.ok(!expected.has(k), `two records acknowledged at ${topic}-${k}`);
        expected.set(k, { p: r.partition, o, ts: r.ts, k: r.k, v: r.v, h: r.h, x: r.x });
      }
    }
  } finally {
    await producer.disconnect();
  }
  return expected;
}

async function createTopics(lg: Lakegate, topics: Array<{ topic: string; configs: Record<string, string> }>): Promise<void> {
  const kafka = new Kafka({ clientId: 'lakegate-interop-tables-admin', brokers: [lg.bootstrap], logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    assert.ok(created, `CreateTopics ${topics.map((t) => t.topic).join(', ')} reported that a topic already exists`);
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// lakegate HTTP

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 2000)}`);
  return JSON.parse(text);
}

interface AdminTableView {
  topic: string;
  tables: Array<{ format: string; name: string; location?: string; deadLetter?: boolean }>;
  partitions: Array<{ partition: number; logEndOffset: number; committedOffset: number | null; lag: number }>;
  lag: number;
  badRecordCount: number;
  recentBadRecords: unknown[];
  lastError: { message: string; time: string } | null;
}

/**
 * Polls GET /admin/tables until each topic's partitions all have lag 0 with log end offsets
 * equal to what was acknowledged; fails on a bad record or a materialization error.
 */
async function waitCommitted(lg: Lakegate, want: Array<{ topic: string; perPartition: number[] }>): Promise<Map<string, AdminTableView>> {
  const deadline = Date.now() + LAG_TIMEOUT_MS;
  let last: unknown;
  for (;;) {
    const body = (await getJson(`http://127.0.0.1:${lg.httpPort}/admin/tables`)) as { tables: AdminTableView[] };
    last = body;
    const views = new Map(body.tables.map((t) => [t.topic, t]));
    let done = true;
    for (const w of want) {
      const v = views.get(w.topic);
      if (!v) {
        done = false;
        continue;
      }
      assert.equal(v.badRecordCount, 0, `admin: ${w.topic} has bad records: ${JSON.stringify(v.recentBadRecords).slice(0, 2000)}`);
      const ready =
        v.partitions.length === w.perPartition.length &&
        v.partitions.every((p) => p.lag === 0 && p.logEndOffset === w.perPartition[p.partition] && p.committedOffset === p.logEndOffset - 1);
      if (!ready) done = false;
    }
    if (done) return views;
    if (Date.now() > deadline) {
      assert.fail(`tables did not catch up within ${LAG_TIMEOUT_MS} ms (want log end offsets ${JSON.stringify(want)}); last /admin/tables: ${JSON.stringify(last).slice(0, 4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------------------------------------
// Reader output

function resultLine(stdout: string, what: string): any {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `${what} printed no RESULT line; stdout:\n${stdout.slice(-4000)}`);
  return JSON.parse(line.slice('RESULT '.length));
}

const show = (r: unknown) => JSON.stringify(r).slice(0, 600);

/**
 * Compares a reader's rows file (tables/rows.py canonical JSONL) with the acknowledged
 * records: same set of (partition, offset), each row equal to the record sent there.
 */
function compareRows(file: string, p: Produced, reader: string): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l);
  const seen = new Set<string>();
  const dups: string[] = [];
  const extra: string[] = [];
  const diffs: string[] = [];
  let ndiff = 0;
  for (const line of lines) {
    const row = JSON.parse(line) as CanonicalRow;
    const k = `${row.p}:${row.o}`;
    if (seen.has(k)) {
      dups.push(k);
      continue;
    }
    seen.add(k);
    const want = p.expected.get(k);
    if (!want) {
      extra.push(k);
      continue;
    }
    const fields: Array<'ts' | 'k' | 'v' | 'h' | 'x'> = [];
    for (const f of ['ts', 'k', 'v', 'h', 'x'] as const) {
      try {
        assert.deepStrictEqual(row[f], want[f]);
      } catch {
        fields.push(f);
      }
    }
    if (fields.length) {
      ndiff++;
      if (diffs.length < 5) diffs.push(`  ${p.table} @ ${k}: ${fields.join(',')} differ\n    read: ${show(Object.fromEntries(fields.map((f) => [f, row[f]])))}\n    sent: ${show(Object.fromEntries(fields.map((f) => [f, want[f]])))}`);
    }
  }
  const missing = [...p.expected.keys()].filter((k) => !seen.has(k));
  const problems: string[] = [];
  if (lines.length !== p.expected.size) problems.push(`${lines.length} rows read, ${p.expected.size} records acknowledged`);
  if (dups.length) problems.push(`${dups.length} duplicate (partition, offset) rows, e.g. ${dups.slice(0, 5).join(' ')}`);
  if (missing.length) problems.push(`${missing.length} acknowledged records missing, e.g. ${missing.slice(0, 5).join(' ')}`);
  if (extra.length) problems.push(`${extra.length} rows at (partition, offset) never acknowledged, e.g. ${extra.slice(0, 5).join(' ')}`);
  if (ndiff) problems.push(`${ndiff} rows differ from the record sent:\n${diffs.join('\n')}`);
  if (problems.length) assert.fail(`${reader} read ${p.table} (rows in ${file}):\n- ${problems.join('\n- ')}`);
}

/** Row count, uniqueness and per-partition completeness as a reader summarized them. */
function checkOffsets(summary: { rows: number; uniquePairs: number; partitions: Record<string, { rows: number; unique: number; min: number; max: number }> }, p: Produced, reader: string): void {
  assert.equal(summary.rows, p.expected.size, `${reader}: row count of ${p.table} should equal the ${p.expected.size} records acknowledged`);
  assert.equal(summary.uniquePairs, summary.rows, `${reader}: (partition, offset) pairs of ${p.table} should be unique`);
  const want: Record<string, { rows: number; unique: number; min: number; max: number }> = {};
  p.perPartition.forEach((n, part) => {
    if (n > 0) want[String(part)] = { rows: n, unique: n, min: 0, max: n - 1 };
  });
  assert.deepStrictEqual(summary.partitions, want, `${reader}: per-partition offsets of ${p.table} should be exactly 0..n-1 (acknowledged per partition: ${p.perPartition.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// The tests

describe('Iceberg tables read back by pyiceberg and Spark 3.5 through the REST catalog', () => {
  let workDir = '';
  let lg: Lakegate | undefined;
  let failed = false;
  let json: Produced;
  let raw: Produced;
  /** spark_query.py's RESULT, for the metadata-table test. */
  let sparkResult: any;
  const uri = () => `http://127.0.0.1:${lg!.httpPort}`;

  /** Runs a test body; on failure appends the end of the server log and keeps the work dir. */
  const guarded = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (err) {
      failed = true;
      const e = err instanceof Error ? err : new Error(String(err));
      const out = lg ? lg.output().trimEnd().split('\n').slice(-30).join('\n') : '';
      e.message += `\n--- lakegate output (end; full log ${lg?.logFile}) ---\n${out}\n(work dir kept: ${workDir})`;
      throw e;
    }
  };

  before(
    guarded(async () => {
      // Fail before starting anything when a reader is not installed.
      readerPython();
      icebergSparkJar();
      workDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-interop-tables-'));
      lg = await startLakegate(workDir);
      const jsonTopic = topicName('tables-json');
      const rawTopic = topicName('Tables.Raw');
      await createTopics(lg, [
        {
          topic: jsonTopic,
          configs: {
            'value.format': 'json',
            'value.json.columns': 'id:long,customer:string,amount:double',
            // Table maintenance on every commit, so the readers below scan merged manifests
            // (EXISTING entries with written-out sequence numbers) of a table whose older
            // snapshots were expired.
            'table.commit.interval.ms': '200',
            'table.iceberg.properties': 'commit.manifest.min-count-to-merge=2,history.expire.max-snapshot-age-ms=0',
          },
        },
        { topic: rawTopic, configs: { 'table.partition.by': 'day' } },
      ]);

      const now = Date.now();
      const hourBase = Math.floor(now / HOUR) * HOUR - 5 * HOUR;
      const dayBase = Math.floor(now / DAY) * DAY + 3 * HOUR;
      const jsonRecords = Array.from({ length: JSON_RECORDS }, (_, i) => jsonRecord(i, hourBase));
      const rawRecords = Array.from({ length: RAW_RECORDS }, (_, i) => rawRecord(i, dayBase));
      const build = async (topic: string, records: Sent[], compression: CompressionTypes, tsFrom: number): Promise<Produced> => {
        const expected = await produce(lg!, topic, records, compression);
        const perPartition = Array.from({ length: PARTITIONS }, () => 0);
        for (const r of records) perPartition[r.partition]++;
        return {
          topic,
          table: '',
          records,
          expected,
          perPartition,
          tsFrom: tsFrom * 1000,
          countTsFrom: records.filter((r) => r.ts >= tsFrom * 1000).length,
        };
      };
      json = await build(jsonTopic, jsonRecords, CompressionTypes.None, hourBase + 3 * HOUR);
      raw = await build(rawTopic, rawRecords, CompressionTypes.GZIP, dayBase - DAY);

      const views = await waitCommitted(lg, [json, raw]);
      for (const p of [json, raw]) {
        const iceberg = views.get(p.topic)!.tables.filter((t) => t.format === 'iceberg' && !t.deadLetter);
        assert.equal(iceberg.length, 1, `admin: ${p.topic} should have one Iceberg table, has ${JSON.stringify(views.get(p.topic)!.tables)}`);
        p.table = iceberg[0].name;
        assert.equal(p.table, `kafka.${p.topic.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`, `table name of topic ${p.topic}`);
        // Keep the catalog's LoadTableResult next to the readers' output (for bug reports).
        const [ns, name] = p.table.split('.');
        const loaded = await getJson(`${uri()}/v1/namespaces/${encodeURIComponent(ns)}/tables/${encodeURIComponent(name)}`);
        writeFileSync(path.join(workDir, `${p.table}.load-table.json`), JSON.stringify(loaded, null, 2));
      }
      // The JSON table was maintained as its properties asked: one snapshot left, and manifests
      // merged (the readers' checks below then read through them).
      const [jsonNs, jsonName] = json.table.split('.');
      const jsonTable = (await getJson(`${uri()}/v1/namespaces/${jsonNs}/tables/${jsonName}`)) as { metadata: { snapshots: Array<{ 'manifest-list': string }>; properties: Record<string, string> } };
      assert.equal(jsonTable.metadata.properties['commit.manifest.min-count-to-merge'], '2');
      assert.equal(jsonTable.metadata.snapshots.length, 1, 'older snapshots expired');
      const manifests = readManifestList(readFileSync(locationToPath(jsonTable.metadata.snapshots[0]['manifest-list']))).manifests;
      assert.ok(manifests.some((m) => m.existingFilesCount > 0), `a merged manifest among ${manifests.length}`);
    }),
    { timeout: 600_000 },
  );

  after(async () => {
    if (lg) {
      const stopped = await lg.stop();
      if (!failed && (stopped.forced || stopped.code !== 0)) {
        failed = true;
        assert.fail(`lakegate should exit 0 on SIGTERM, got ${JSON.stringify(stopped)}`);
      }
    }
    if (!failed && workDir && process.env.INTEROP_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
  });

  const pyiceberg = async (p: Produced) => {
    const rowsFile = path.join(workDir, `${p.table}.pyiceberg.jsonl`);
    const r = await run(
      readerPython(),
      [path.join(TABLES_DIR, 'pyiceberg_scan.py'), '--uri', uri(), '--table', p.table, '--rows', rowsFile, '--partition', String(FILTER_PARTITION), '--ts-from', String(p.tsFrom)],
      { timeoutMs: PYICEBERG_TIMEOUT_MS, logFile: path.join(workDir, 'pyiceberg.log'), env: { PYTHONUNBUFFERED: '1' } },
    );
    assertSucceeded(r, `pyiceberg scan of ${p.table}`);
    const res = resultLine(r.stdout, 'pyiceberg_scan.py');
    writeFileSync(path.join(workDir, `${p.table}.pyiceberg.json`), JSON.stringify(res, null, 2));
    assert.equal(res.formatVersion, 2, `pyiceberg: ${p.table} format version`);
    assert.ok(res.tables.includes(p.table), `pyiceberg: list_tables(kafka) should list ${p.table}: ${JSON.stringify(res.tables)}`);
    checkOffsets(res, p, 'pyiceberg');
    compareRows(rowsFile, p, 'pyiceberg');
    assert.equal(res.filtered.partition.rows, p.perPartition[FILTER_PARTITION], `pyiceberg: scan of ${p.table} with _kafka_partition == ${FILTER_PARTITION}`);
    assert.equal(res.filtered.tsFrom.rows, p.countTsFrom, `pyiceberg: scan of ${p.table} with _kafka_timestamp >= ${p.tsFrom} us`);
    return res;
  };

  test(
    `pyiceberg: JSON topic (${JSON_RECORDS} records, 4 partitions, typed columns, hour partitions)`,
    { timeout: PYICEBERG_TIMEOUT_MS + 30_000 },
    guarded(async () => {
      const res = await pyiceberg(json);
      const cols = res.schema.map((f: { name: string; type: string }) => `${f.name}:${f.type}`);
      for (const c of ['_kafka_partition:int', '_kafka_offset:long', '_kafka_timestamp:timestamptz', '_kafka_key:binary', 'value:string', 'id:long', 'customer:string', 'amount:double']) {
        assert.ok(cols.includes(c), `pyiceberg: schema of ${json.table} should have ${c}: ${cols.join(', ')}`);
      }
    }),
  );

  test(
    `pyiceberg: raw topic (${RAW_RECORDS} binary records, gzip, day partitions): value bytes equal`,
    { timeout: PYICEBERG_TIMEOUT_MS + 30_000 },
    guarded(async () => {
      const res = await pyiceberg(raw);
      const value = res.schema.find((f: { name: string }) => f.name === 'value');
      assert.equal(value?.type, 'binary', `pyiceberg: value column of ${raw.table} should be binary`);
    }),
  );

  test(
    'Spark 3.5 + iceberg-spark-runtime (REST catalog): count, filter on _kafka_partition, filter on _kafka_timestamp, rows',
    { timeout: SPARK_TIMEOUT_MS + 60_000 },
    guarded(async () => {
      const py = readerPython();
      const r = await run(
        py,
        [
          path.join(TABLES_DIR, 'spark_query.py'),
          '--uri',
          uri(),
          '--jar',
          icebergSparkJar(),
          '--work-dir',
          workDir,
          ...[json, raw].flatMap((p) => ['--table', `${p.table}:${FILTER_PARTITION}:${p.tsFrom}`]),
        ],
        {
          timeoutMs: SPARK_TIMEOUT_MS,
          logFile: path.join(workDir, 'spark.log'),
          env: { PYSPARK_PYTHON: py, PYSPARK_DRIVER_PYTHON: py, SPARK_LOCAL_IP: '127.0.0.1', PYTHONUNBUFFERED: '1' },
        },
      );
      assertSucceeded(r, 'pyspark (spark_query.py)');
      const res = resultLine(r.stdout, 'spark_query.py');
      sparkResult = res;
      writeFileSync(path.join(workDir, 'spark.json'), JSON.stringify(res, null, 2));
      assert.match(res.sparkVersion, /^3\.5\./, 'Spark version');
      assert.ok(res.namespaces.includes('kafka'), `Spark: SHOW NAMESPACES IN lakegate should list kafka: ${JSON.stringify(res.namespaces)}`);
      for (const p of [json, raw]) {
        const t = res.tables[p.table];
        assert.ok(t, `Spark: no result for ${p.table}`);
        assert.equal(t.count, p.expected.size, `Spark: SELECT count(*) FROM lakegate.${p.table}`);
        assert.equal(t.partition.rows, p.perPartition[FILTER_PARTITION], `Spark: SELECT count(*) FROM lakegate.${p.table} WHERE _kafka_partition = ${FILTER_PARTITION}`);
        assert.equal(t.tsFrom.rows, p.countTsFrom, `Spark: SELECT count(*) FROM lakegate.${p.table} WHERE _kafka_timestamp >= timestamp_micros(${p.tsFrom})`);
        const groups = t.groups as Record<string, { rows: number; unique: number; min: number; max: number }>;
        checkOffsets({ rows: t.count, uniquePairs: Object.values(groups).reduce((s, g) => s + g.unique, 0), partitions: groups }, p, 'Spark');
        compareRows(t.rowsFile, p, 'Spark');
      }
    }),
  );

  test(
    'Spark 3.5: Iceberg metadata tables <table>.snapshots and <table>.files through the REST catalog',
    guarded(async () => {
      assert.ok(sparkResult, 'the Spark run above did not produce a result');
      for (const p of [json, raw]) {
        const m = sparkResult.tables[p.table].metadataTables as Record<string, { rows?: number; recordCount?: number; query?: string; error?: string }>;
        for (const v of Object.values(m)) {
          if (v.error !== undefined) assert.fail(`Spark: ${v.query} failed:\n${v.error}`);
        }
        assert.ok(m.snapshots.rows! >= 1, `Spark: lakegate.${p.table}.snapshots should list at least one snapshot`);
        assert.ok(m.files.rows! >= 1, `Spark: lakegate.${p.table}.files should list data files`);
        assert.equal(m.files.recordCount, p.expected.size, `Spark: sum(record_count) of lakegate.${p.table}.files should equal the records acknowledged`);
      }
    }),
  );
});
