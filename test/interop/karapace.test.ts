/**
 * An external Karapace in place of lakegate's built-in registry (--schema-registry-url):
 *
 *   Apache Kafka (single-node KRaft broker, fresh log dir, loopback) <- Karapace's schema
 *   registry (its _schemas topic there) <- lakegate --schema-registry-url, which neither serves
 *   the built-in registry nor creates its own _schemas topic.
 *
 *  1. confluent-kafka's AvroSerializer (python/serializers.py) registers v1 with Karapace and
 *     sends N records to lakegate; then v2 (an optional field with a default) and M more.
 *     lakegate takes the table's columns and every writer schema from Karapace: pyiceberg
 *     (tables/pyiceberg_serializers.py) must read typed columns with every value as sent.
 *  2. Karapace refuses the breaking v3s with HTTP 409 and keeps versions 1 and 2.
 *  3. validation=reject through the remote store: a record framed with an id Karapace never
 *     handed out gets INVALID_RECORD; one with the subject's id is accepted.
 *
 * Installed by install-karapace.sh (run.sh): Kafka jars through bench/kafka/pom.xml, Karapace
 * (versions.env) with its pinned dependencies in a venv of its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { waitForTableCaughtUp } from '../support/iceberg-table-reader.js';
import { CACHE, INTEROP_DIR, REPO_ROOT, assertSucceeded, freePort, listOffsets, pythonBin, resultOf, run, startLakegate, tablesPythonBin, versions, type Lakegate } from './support.js';

const N = 600;
const M = 400;
const TOPIC = 'kp_orders';
const CHECKED = 'kp_checked';

// ---------------------------------------------------------------------------------------------
// Long-running helpers (Kafka, Karapace): own process groups, output in a log file, always killed.

interface Daemon {
  name: string;
  logFile: string;
  output(): string;
  stop(): Promise<void>;
}

const daemons = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of daemons) killGroup(c, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone */
  }
}

async function startDaemon(name: string, cmd: string, args: string[], opts: { env?: Record<string, string>; ready: () => Promise<boolean>; timeoutMs: number }): Promise<Daemon> {
  const logFile = path.join(workDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  let out = '';
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: workDir });
  daemons.add(child);
  const keep = (d: Buffer) => {
    log.write(d);
    if (out.length < 4_000_000) out += d.toString('utf8');
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      daemons.delete(child);
      log.end();
      resolve();
    }),
  );
  const daemon: Daemon = {
    name,
    logFile,
    output: () => out,
    stop: async () => {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out.slice(-3000)}`);
    if (await opts.ready().catch(() => false)) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${name} was not ready within ${opts.timeoutMs} ms (log ${logFile}):\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function kafkaClasspath(version: string): string {
  const libs = path.join(CACHE, 'kafka', version, 'libs');
  assert.ok(existsSync(path.join(libs, '.complete')), `Apache Kafka ${version} is not installed (${libs}): run \`bash test/interop/run.sh karapace\`, which installs it`);
  return readdirSync(libs)
    .filter((f) => f.endsWith('.jar'))
    .map((f) => path.join(libs, f))
    .join(path.delimiter);
}

/** Formats a fresh log dir and starts a combined KRaft broker+controller on loopback. */
async function startKafka(version: string): Promise<{ daemon: Daemon; bootstrap: string }> {
  const cp = kafkaClasspath(version);
  const port = await freePort();
  let cport = await freePort();
  while (cport === port) cport = await freePort();
  const dataDir = path.join(workDir, 'kafka-data');
  mkdirSync(dataDir, { recursive: true });
  const props = path.join(workDir, 'kafka.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${cport}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const log4j = (f: string) => `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'bench', 'kafka', f)}`;
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const fmt = await run('java', ['-Xmx256M', log4j('log4j2-tools.properties'), '-cp', cp, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', props], {
    timeoutMs: 120_000,
    logFile: path.join(workDir, 'kafka-format.log'),
  });
  assertSucceeded(fmt, 'kafka storage format');
  const daemon = await startDaemon('kafka', 'java', ['-Xmx512M', '-Xms512M', log4j('log4j2-server.properties'), `-Dkafka.logs.dir=${workDir}`, '-cp', cp, 'kafka.Kafka', props], {
    ready: async () => daemon_output('kafka').includes('Kafka Server started'),
    timeoutMs: 120_000,
  });
  return { daemon, bootstrap: `127.0.0.1:${port}` };
}

/** The output of a daemon still starting (startDaemon's ready() runs before it returns). */
function daemon_output(name: string): string {
  const file = path.join(workDir, `${name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Karapace's schema registry against the broker; ready once it elected itself master and serves /subjects. */
async function startKarapace(version: string, bootstrap: string): Promise<{ daemon: Daemon; url: string }> {
  const dir = path.join(CACHE, 'karapace');
  const python = path.join(dir, 'venv', 'bin', 'python');
  const src = path.join(dir, version);
  assert.ok(existsSync(python) && existsSync(path.join(src, 'karapace', 'karapace_all.py')), `Karapace ${version} is not installed (${dir}): run \`bash test/interop/run.sh karapace\`, which installs it`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(workDir, 'karapace.json');
  writeFileSync(
    config,
    JSON.stringify({
      bootstrap_uri: bootstrap,
      host: '127.0.0.1',
      port,
      advertised_hostname: '127.0.0.1',
      advertised_port: port,
      karapace_registry: true,
      karapace_rest: false,
      topic_name: '_schemas',
      replication_factor: 1,
      compatibility: 'BACKWARD',
      log_level: 'INFO',
    }),
  );
  const daemon = await startDaemon('karapace', python, ['-m', 'karapace.karapace_all', config], {
    env: { PYTHONPATH: src, PYTHONUNBUFFERED: '1' },
    ready: async () => {
      const log = daemon_output('karapace');
      if (!/as the master/.test(log) || !/Ready in/.test(log)) return false;
      const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    },
    timeoutMs: 120_000,
  });
  return { daemon, url };
}

// ---------------------------------------------------------------------------------------------

let workDir = '';
let failed = false;
let kafka: { daemon: Daemon; bootstrap: string } | undefined;
let karapace: { daemon: Daemon; url: string } | undefined;
let lg: Lakegate | undefined;

before(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-interop-karapace-'));
  const v = versions();
  kafka = await startKafka(v.KAFKA_BROKER);
  karapace = await startKarapace(v.KARAPACE, kafka.bootstrap);
  lg = await startLakegate(workDir, { args: ['--schema-registry-url', karapace.url] });
});

after(async () => {
  // Reverse order; each one even if another fails to stop.
  for (const stop of [() => lg?.stop(), () => karapace?.daemon.stop(), () => kafka?.daemon.stop()]) {
    await Promise.resolve(stop()).catch(() => {});
  }
  if (failed) process.stderr.write(`karapace interop: work dir kept: ${workDir} (kafka.log, karapace.log, lakegate.log)\n`);
  else if (workDir && process.env.INTEROP_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
});

/** Runs a test body; on failure the end of the three logs goes into the message. */
async function logged(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    failed = true;
    const e = err instanceof Error ? err : new Error(String(err));
    const tail = (s: string) => s.split('\n').slice(-25).join('\n');
    e.message += `\n--- karapace (end) ---\n${tail(karapace?.daemon.output() ?? '')}\n--- lakegate (end) ---\n${tail(lg?.output() ?? '')}`;
    throw e;
  }
}

async function serializer(mode: 'avro-v1' | 'avro-v2', first: number, count: number, acksFile: string) {
  const r = await run(pythonBin(), [path.join(INTEROP_DIR, 'python', 'serializers.py'), mode, lg!.bootstrap, karapace!.url, TOPIC, String(first), String(count), acksFile], {
    timeoutMs: 180_000,
    logFile: path.join(workDir, `serializers-${mode}.log`),
  });
  assertSucceeded(r, `confluent-kafka ${mode} serializer (registry: Karapace)`);
  return resultOf<AvroResult>(r.stdout, mode);
}

interface AvroResult {
  schema_id: number;
  version: number;
  acked: number;
  v3?: Record<string, { http_status_code?: number; error_code?: number; message?: string; registered?: unknown }>;
  versions_after_v3?: number[];
  latest_after_v3?: number;
}
interface TableResult {
  schema: Record<string, string>;
  schemas: number;
  rows: number;
  mismatches: string[];
  mismatch_count: number;
}

let v2: AvroResult | undefined;

test('Karapace as the external registry: AvroSerializer v1 then v2 registered there, pyiceberg reads typed columns with every value as sent', { timeout: 600_000 }, () =>
  logged(async () => {
    assert.match(lg!.output(), /using an external schema registry/);
    // lakegate does not serve the built-in registry.
    assert.equal((await fetch(`http://127.0.0.1:${lg!.httpPort}/subjects`)).status, 404, "lakegate's own /subjects");

    const acks1 = path.join(workDir, 'avro-v1.tsv');
    const acks2 = path.join(workDir, 'avro-v2.tsv');
    const v1 = await serializer('avro-v1', 0, N, acks1);
    assert.deepEqual([v1.version, v1.acked], [1, N]);
    await waitForTableCaughtUp(lg!.httpPort, TOPIC);
    v2 = await serializer('avro-v2', N, M, acks2);
    assert.deepEqual([v2.version, v2.acked], [2, M]);
    assert.notEqual(v2.schema_id, v1.schema_id);
    await waitForTableCaughtUp(lg!.httpPort, TOPIC);
    assert.deepEqual(await listOffsets(lg!.bootstrap, TOPIC), [{ partition: 0, low: 0, high: N + M }]);

    const r = await run(
      tablesPythonBin(),
      [path.join(INTEROP_DIR, 'tables', 'pyiceberg_serializers.py'), 'avro', '--uri', `http://127.0.0.1:${lg!.httpPort}`, '--table', `kafka.${TOPIC}`, '--v2-from', String(N), acks1, acks2],
      { timeoutMs: 240_000, logFile: path.join(workDir, 'pyiceberg.log') },
    );
    assertSucceeded(r, `pyiceberg scan of kafka.${TOPIC}`);
    const t = resultOf<TableResult>(r.stdout, 'pyiceberg_serializers.py');
    assert.deepEqual(t.mismatches, [], `${t.mismatch_count} rows differ from the records sent`);
    assert.equal(t.rows, N + M);
    const s = t.schema;
    assert.deepEqual(Object.keys(s), ['_kafka_partition', '_kafka_offset', '_kafka_timestamp', '_kafka_key', '_kafka_headers', 'id', 'customer', 'items', 'attributes', 'amount', 'created', 'status', 'note', 'channel']);
    assert.equal(s.id, 'long');
    assert.match(s.customer, /^struct<\d+: name: optional string, \d+: tier: optional string>$/);
    assert.match(s.items, /^list<struct<\d+: sku: optional string, \d+: qty: optional int>>$/);
    assert.equal(s.attributes, 'map<string, string>');
    assert.equal(s.amount, 'decimal(10, 2)');
    assert.equal(s.created, 'timestamptz');
    assert.equal(s.status, 'string');
    assert.equal(s.note, 'string');
    assert.equal(s.channel, 'string', 'the v2 field, from Karapace, is a column');
    assert.equal(t.schemas, 2, 'one Iceberg schema per Avro version');
  }),
);

test('Karapace refuses the breaking v3s with 409 and keeps versions 1 and 2', { timeout: 60_000 }, () =>
  logged(async () => {
    assert.ok(v2, 'needs the Avro test before it');
    assert.deepEqual(Object.keys(v2.v3 ?? {}).sort(), ['required-added', 'serializer', 'type-changed']);
    for (const [name, r] of Object.entries(v2.v3!)) {
      assert.equal(r.http_status_code, 409, `${name}: HTTP status (${JSON.stringify(r)})`);
      assert.equal(r.error_code, 409, `${name}: error_code`);
      assert.match(r.message ?? '', /incompatible/i, `${name}: message`);
    }
    assert.deepEqual(v2.versions_after_v3, [1, 2]);
    const res = await fetch(`${karapace!.url}/subjects/${TOPIC}-value/versions`);
    assert.deepEqual(await res.json(), [1, 2]);
  }),
);

test('validation=reject checks records against Karapace: an unknown schema id gets INVALID_RECORD, a known one is accepted', { timeout: 120_000 }, () =>
  logged(async () => {
    const schema = { type: 'record', name: 'Checked', namespace: 'lakegate.interop', fields: [{ name: 'n', type: 'long' }] };
    const reg = await fetch(`${karapace!.url}/subjects/${CHECKED}-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
    });
    assert.equal(reg.status, 200, await reg.clone().text());
    const { id } = (await reg.json()) as { id: number };
    const client = new Kafka({ clientId: 'interop-karapace', brokers: [lg!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = client.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: CHECKED, numPartitions: 1, configEntries: [{ name: 'validation', value: 'reject' }] }] });
    } finally {
      await admin.disconnect();
    }
    // Avro long 21 (zig-zag 42), framed: magic 0, the schema id big-endian, the payload.
    const framed = (schemaId: number) => {
      const b = Buffer.alloc(6);
      b.writeInt32BE(schemaId, 1);
      b[5] = 42;
      return b;
    };
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      const unknownId = id + 1000;
      await assert.rejects(producer.send({ topic: CHECKED, acks: -1, messages: [{ value: framed(unknownId) }] }), (err: Error & { type?: string; cause?: { type?: string } }) => {
        assert.equal(err.cause?.type ?? err.type, 'INVALID_RECORD', `${err}`);
        return true;
      });
      const [ok] = await producer.send({ topic: CHECKED, acks: -1, messages: [{ value: framed(id) }] });
      assert.equal(ok.errorCode, 0);
    } finally {
      await producer.disconnect();
    }
    assert.deepEqual(await listOffsets(lg!.bootstrap, CHECKED), [{ partition: 0, low: 0, high: 1 }], 'only the accepted record is in the log');
    // lakegate's own log has no _schemas topic: the schemas live in Karapace's Kafka.
    const topics = readFileSync(path.join(lg!.dataDir, 'meta', 'topics.json'), 'utf8');
    assert.ok(!topics.includes('"_schemas"'), 'lakegate created no _schemas topic');
  }),
);
