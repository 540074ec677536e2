/**
 * Shared helpers for the interop suite (test/interop/*.test.ts): free ports, a real
 * `lakegate serve` per test, child processes with a deadline and captured output,
 * `lakegate dump-log --json`, the deterministic record content every client program sends,
 * and the verification every produce test ends with.
 *
 * The client programs themselves are installed and built by test/interop/run.sh into
 * test/interop/.cache/; a missing program is a test FAILURE, never a skip.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository: the nearest ancestor of this compiled file holding test/interop/versions.env. */
function findRepoRoot(): string {
  if (process.env.INTEROP_REPO_ROOT) return process.env.INTEROP_REPO_ROOT;
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'test/interop/versions.env'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(here, '../../..');
  }
}
export const REPO_ROOT = findRepoRoot();
export const INTEROP_DIR = path.join(REPO_ROOT, 'test/interop');
export const CACHE = process.env.INTEROP_CACHE ?? path.join(INTEROP_DIR, '.cache');
/**
 * The lakegate under test: the build this file was compiled with (<outDir>/src/cli.js next to
 * <outDir>/test/interop/), normally dist/src/cli.js.
 */
export const CLI = path.resolve(here, '../../src/cli.js');
/** bin/lakegate, the launcher users run (npm start): the server under its V8 settings. */
export const LAUNCHER = path.resolve(here, '../../../bin/lakegate');

/** Records each produce run sends (the suite's contract says at least 10,000). */
export const RECORD_COUNT = Number(process.env.INTEROP_RECORDS ?? 10_000);
export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];

/** Deadline of one client program run. */
export const CLIENT_TIMEOUT_MS = Number(process.env.INTEROP_CLIENT_TIMEOUT_MS ?? 150_000);
/** Deadline of one test (server start + client + verification). */
export const TEST_TIMEOUT_MS = CLIENT_TIMEOUT_MS + 90_000;

// ---------------------------------------------------------------------------------------------
// Versions and installed tools

/** test/interop/versions.env, shared with run.sh (KEY=value lines). */
export function versions(): Record<string, string> {
  const text = readFileSync(path.join(INTEROP_DIR, 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export function javaVersions(): string[] {
  const v = versions();
  return [v.KAFKA_CLIENTS_3, v.KAFKA_CLIENTS_4].filter(Boolean);
}

function needFile(file: string, what: string): string {
  if (!existsSync(file)) {
    throw new Error(`${what} is not installed (${file} is missing): run \`bash test/interop/run.sh\`, which installs it`);
  }
  return file;
}

/** `java -cp` arguments for the client programs built against kafka-clients `version`. */
export function javaClasspath(version: string): string {
  const dir = path.join(CACHE, 'java', version);
  const jar = needFile(path.join(dir, 'lakegate-interop-java-0.0.0.jar'), `Java client programs for kafka-clients ${version}`);
  needFile(path.join(dir, 'lib', `kafka-clients-${version}.jar`), `kafka-clients ${version}`);
  return `${jar}${path.delimiter}${path.join(dir, 'lib', '*')}`;
}

export function pythonBin(): string {
  return needFile(path.join(CACHE, 'venv', 'bin', 'python'), 'the Python venv with confluent-kafka');
}

/** The Python of the table readers' venv (pyiceberg, pyspark: install-table-readers.sh). */
export function tablesPythonBin(): string {
  return needFile(path.join(CACHE, 'tables', 'venv', 'bin', 'python'), 'the table readers venv with pyiceberg');
}

/** The last "RESULT {json}" line a Python program printed, parsed. */
export function resultOf<T>(stdout: string, what: string): T {
  const line = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).at(-1);
  assert.ok(line, `${what} printed no RESULT line:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

export function franzBin(): string {
  return needFile(path.join(CACHE, 'bin', 'franz-producer'), 'the franz-go producer');
}

export function kcatBin(): string {
  const explicit = process.env.INTEROP_KCAT;
  if (explicit) return needFile(explicit, 'kcat');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'kcat');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('kcat is not installed (not on PATH): run `bash test/interop/run.sh`, which installs it');
}

// ---------------------------------------------------------------------------------------------
// Deterministic content

export interface ExpectedRecord {
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
}

const PAD_UNIT = 'lakegate-';

/** Padding of record i: PAD_UNIT repeated and cut to (i * 7) % 200 characters. */
export function padding(i: number): string {
  const n = (i * 7) % 200;
  return PAD_UNIT.repeat(Math.ceil(n / PAD_UNIT.length)).slice(0, n);
}

/**
 * Record i as the Java, Python and Go client programs send it (keep in sync with
 * java/.../Records.java, python/producer.py and go/main.go): key k-<i>,
 * value v-<i>-<tag>-<padding>, headers h=<i> and c=<tag>.
 */
export function expectedRecord(i: number, tag: string): ExpectedRecord {
  return { key: `k-${i}`, value: `v-${i}-${tag}-${padding(i)}`, headers: [['h', String(i)], ['c', tag]] };
}

// ---------------------------------------------------------------------------------------------
// Processes

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});
// Children run in their own process groups (so a deadline can kill a whole tree), which also
// shields them from a Ctrl-C or a runner's SIGTERM: forward the end to them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // detached: the child leads its own process group
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough on a test machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Keeps the first `limit` characters of a stream plus the last `limit`, so logs stay bounded. */
class Capture {
  private head = '';
  private tail = '';
  private dropped = 0;
  constructor(private readonly limit = 8 * 1024 * 1024) {}
  push(chunk: string): void {
    if (this.head.length < this.limit) {
      const room = this.limit - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (!chunk) return;
    this.tail += chunk;
    if (this.tail.length > this.limit) {
      this.dropped += this.tail.length - this.limit;
      this.tail = this.tail.slice(this.tail.length - this.limit);
    }
  }
  text(): string {
    return this.dropped ? `${this.head}\n[... ${this.dropped} characters dropped ...]\n${this.tail}` : this.head + this.tail;
  }
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  /** Also append stdout+stderr to this file. */
  logFile?: string;
}

/** Runs a program with a deadline (SIGTERM, then SIGKILL 5 s later) and captures its output. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? CLIENT_TIMEOUT_MS;
  const command = [cmd, ...args].map((a) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(child);
    const out = new Capture();
    const err = new Capture();
    const log: WriteStream | undefined = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    log?.write(`$ ${command}\n`);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out.push(d);
      log?.write(d);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err.push(d);
      log?.write(d);
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      killer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      log?.end();
      reject(new Error(`cannot run ${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      live.delete(child);
      const result: RunResult = { command, code, signal, timedOut, stdout: out.text(), stderr: err.text(), ms: Date.now() - started };
      log?.end(`[exit code=${code} signal=${signal}${timedOut ? ' TIMED OUT' : ''} after ${result.ms} ms]\n`, () => resolve(result));
      if (!log) resolve(result);
    });
  });
}

function lastLines(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return (lines.length > n ? [`[... ${lines.length - n} earlier lines ...]`, ...lines.slice(-n)] : lines).join('\n');
}

/** Fails with the command's exit status and the end of its output unless it exited 0. */
export function assertSucceeded(r: RunResult, what: string): void {
  if (r.code === 0 && !r.timedOut) return;
  const status = r.timedOut ? `timed out after ${r.ms} ms` : `exited with code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`;
  assert.fail(
    `${what} ${status}\n$ ${r.command}\n--- stdout (end) ---\n${lastLines(r.stdout, 40)}\n--- stderr (end) ---\n${lastLines(r.stderr, 60)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// lakegate

export interface Lakegate {
  kafkaPort: number;
  httpPort: number;
  bootstrap: string;
  dataDir: string;
  workDir: string;
  logFile: string;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with how it ended. Idempotent. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

export interface StartOptions {
  /** Extra `serve` flags, e.g. ['--num-partitions', '3']. */
  args?: string[];
  startTimeoutMs?: number;
}

/**
 * Starts `bin/lakegate serve` (dist/src/cli.js under its V8 settings) on free loopback ports
 * with a fresh data dir inside `workDir` and resolves once it prints `lakegate ready`.
 */
export async function startLakegate(workDir: string, opts: StartOptions = {}): Promise<Lakegate> {
  needFile(CLI, 'the lakegate build (npm run build)');
  const kafkaPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === kafkaPort) httpPort = await freePort();
  const dataDir = path.join(workDir, 'data');
  const logFile = path.join(workDir, 'lakegate.log');
  const args = ['serve', '--host', '127.0.0.1', '--kafka-port', String(kafkaPort), '--http-port', String(httpPort), '--data-dir', dataDir, ...(opts.args ?? [])];
  const child = spawn(LAUNCHER, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: process.env });
  live.add(child);
  const capture = new Capture(16 * 1024 * 1024);
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`$ ${LAUNCHER} ${args.join(' ')}\n`);
  let stdoutText = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    capture.push(d);
    log.write(d);
    if (stdoutText.length < 1_000_000) stdoutText += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    capture.push(d);
    log.write(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      live.delete(child);
      log.end();
      resolve({ code, signal });
    }),
  );

  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      killGroup(child, 'SIGKILL');
      reject(new Error(`lakegate did not print "lakegate ready" within ${startTimeoutMs} ms\n${lastLines(capture.text(), 60)}`));
    }, startTimeoutMs);
    const onData = () => {
      if (stdoutText.includes('lakegate ready')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`lakegate exited (code ${code}, signal ${signal}) before it was ready\n${lastLines(capture.text(), 60)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    onData();
  });

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> | undefined;
  return {
    kafkaPort,
    httpPort,
    bootstrap: `127.0.0.1:${kafkaPort}`,
    dataDir,
    workDir,
    logFile,
    output: () => capture.text(),
    stop(graceMs = 15_000) {
      stopping ??= (async () => {
        let forced = false;
        if (child.exitCode === null && child.signalCode === null) {
          killGroup(child, 'SIGTERM');
          const timer = setTimeout(() => {
            forced = true;
            killGroup(child, 'SIGKILL');
          }, graceMs);
          const r = await exited;
          clearTimeout(timer);
          return { ...r, forced };
        }
        return { ...(await exited), forced };
      })();
      return stopping;
    },
  };
}

export interface DumpedRecord {
  offset: number;
  timestamp: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

/** `lakegate dump-log --json` for one partition, parsed (one JSON object per line). */
export async function dumpLog(dataDir: string, topic: string, partition: number): Promise<DumpedRecord[]> {
  const r = await run(process.execPath, [CLI, 'dump-log', '--data-dir', dataDir, '--topic', topic, '--partition', String(partition), '--json'], {
    timeoutMs: 120_000,
  });
  assertSucceeded(r, `dump-log ${topic}-${partition}`);
  const out: DumpedRecord[] = [];
  for (const [n, line] of r.stdout.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as DumpedRecord);
    } catch {
      assert.fail(`dump-log ${topic}-${partition} printed a line that is not JSON (line ${n + 1}): ${line.slice(0, 300)}`);
    }
  }
  return out;
}

export interface DumpedBatch {
  baseOffset: number;
  lastOffset: number;
  count: number;
  baseSequence: number;
  producerId: number;
  producerEpoch: number;
  codec: string;
}

/**
 * The batches of a partition, from dump-log's human-readable listing (kafka-dump-log style
 * "baseOffset: 0 lastOffset: 9 count: 10 baseSequence: 0 producerId: 1 producerEpoch: 0 ...
 * compresscodec: lz4 ..."); null when that listing has no such lines (the checks built on it
 * are then not made: the --json output is the contract, this text is not).
 */
export async function dumpBatches(dataDir: string, topic: string, partition: number): Promise<DumpedBatch[] | null> {
  const r = await run(process.execPath, [CLI, 'dump-log', '--data-dir', dataDir, '--topic', topic, '--partition', String(partition)], {
    timeoutMs: 120_000,
  });
  assertSucceeded(r, `dump-log ${topic}-${partition}`);
  const batches: DumpedBatch[] = [];
  const num = (line: string, field: string) => {
    const m = new RegExp(`\\b${field}: (-?\\d+)`).exec(line);
    return m ? Number(m[1]) : NaN;
  };
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('baseOffset:')) continue;
    batches.push({
      baseOffset: num(line, 'baseOffset'),
      lastOffset: num(line, 'lastOffset'),
      count: num(line, 'count'),
      baseSequence: num(line, 'baseSequence'),
      producerId: num(line, 'producerId'),
      producerEpoch: num(line, 'producerEpoch'),
      codec: /compresscodec: (\w+)/.exec(line)?.[1]?.toLowerCase() ?? '?',
    });
  }
  return batches.length ? batches : null;
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** ListOffsets (earliest and latest) for every partition, via the kafkajs admin client. */
export async function listOffsets(bootstrap: string, topic: string): Promise<PartitionOffsets[]> {
  const kafka = new Kafka({
    clientId: 'lakegate-interop-verify',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    connectionTimeout: 5_000,
    requestTimeout: 15_000,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** One acknowledged record as a client program reported it. */
export interface Ack {
  i: number;
  partition: number;
  offset: number;
  timestamp: number;
}

/** Reads the "i<TAB>partition<TAB>offset<TAB>timestamp" file a client program wrote. */
export function readAcks(file: string): Ack[] {
  needFile(file, 'the client acknowledgement file');
  const acks: Ack[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const [i, partition, offset, timestamp] = line.split('\t').map(Number);
    acks.push({ i, partition, offset, timestamp });
  }
  return acks;
}

function b64(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'utf8').toString('base64');
}

function canonicalExpected(r: ExpectedRecord): string {
  return JSON.stringify([b64(r.key), b64(r.value), r.headers.map(([k, v]) => [k, b64(v)])]);
}

function canonicalDumped(r: DumpedRecord): string {
  return JSON.stringify([r.key, r.value, r.headers.map((h) => [h.key, h.value])]);
}

function readable(canonical: string): string {
  const [k, v, hs] = JSON.parse(canonical) as [string | null, string | null, Array<[string, string | null]>];
  const d = (s: string | null) => (s === null ? 'null' : JSON.stringify(Buffer.from(s, 'base64').toString('utf8')));
  return `key=${d(k)} value=${d(v)} headers=[${hs.map(([hk, hv]) => `${hk}=${d(hv)}`).join(', ')}]`;
}

/** Multiset difference report: what is missing from `actual` and what is unexpected. */
function multisetDiff(expected: string[], actual: string[]): string | null {
  const counts = new Map<string, number>();
  for (const e of expected) counts.set(e, (counts.get(e) ?? 0) + 1);
  for (const a of actual) counts.set(a, (counts.get(a) ?? 0) - 1);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, c] of counts) {
    for (let n = 0; n < c; n++) missing.push(k);
    for (let n = 0; n < -c; n++) extra.push(k);
  }
  if (!missing.length && !extra.length) return null;
  const show = (xs: string[]) => xs.slice(0, 5).map((x) => `    ${readable(x)}`).join('\n');
  return `${missing.length} expected record(s) missing, ${extra.length} unexpected record(s)\n  missing e.g.:\n${show(missing)}\n  unexpected e.g.:\n${show(extra)}`;
}

export interface VerifyOptions {
  topic: string;
  /** Records the client sent: 0..count-1. */
  count: number;
  /** Content of record i. */
  expected: (i: number) => ExpectedRecord;
  /** Per-record acknowledgements; without them content is compared across all partitions. */
  acks?: Ack[];
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** Wall-clock window of the client run (ms), for timestamp sanity checks. */
  window: { start: number; end: number };
  /** Partitions the topic must have, if known. */
  partitions?: number;
  /**
   * Codec the client was configured with: every stored batch must use it or none (librdkafka
   * sends a batch uncompressed when compression does not make it smaller), and at least one
   * batch must use it.
   */
  codec?: string;
  /**
   * The client is one idempotent producer: every stored batch of a partition carries the same
   * producer id (>= 0) and epoch, and the batches' sequences are contiguous from 0.
   */
  idempotent?: boolean;
}

export interface VerifyResult {
  offsets: PartitionOffsets[];
  perPartition: number[];
}

/**
 * Checks a produce run end to end:
 *  1. ListOffsets (kafkajs fetchTopicOffsets): earliest 0, sum of latest == records sent;
 *  2. the server stops cleanly on SIGTERM (exit 0, no SIGKILL needed);
 *  3. dump-log per partition: offsets exactly 0..n-1, n == that partition's end offset;
 *  4. content (key, value, headers) equals the expected records as a multiset per partition
 *     (per topic when the client reports no partitions), and with acks every record sits at
 *     the partition/offset the client was acknowledged with and carries the acked timestamp;
 *  5. timestamp type as expected and timestamps inside the run's wall-clock window;
 *  6. the stored batches keep the client's compression codec (the log stores batches as sent),
 *     follow each other without gaps, and (idempotent clients) keep the producer id, epoch and
 *     contiguous sequences.
 */
export async function verifyProduced(lg: Lakegate, o: VerifyOptions): Promise<VerifyResult> {
  const offsets = await listOffsets(lg.bootstrap, o.topic);
  if (o.partitions !== undefined) {
    assert.equal(offsets.length, o.partitions, `ListOffsets: ${o.topic} should have ${o.partitions} partition(s), got ${JSON.stringify(offsets)}`);
  }
  assert.ok(offsets.length > 0, `ListOffsets returned no partitions for ${o.topic}`);
  for (const p of offsets) assert.equal(p.low, 0, `ListOffsets earliest of ${o.topic}-${p.partition} should be 0`);
  const total = offsets.reduce((s, p) => s + p.high, 0);
  assert.equal(total, o.count, `ListOffsets: sum of end offsets of ${o.topic} (${JSON.stringify(offsets)}) should equal the ${o.count} records sent`);

  const stopped = await lg.stop();
  assert.ok(!stopped.forced && stopped.code === 0, `lakegate should exit 0 on SIGTERM, got ${JSON.stringify(stopped)}`);

  const expectedCanon: string[] = [];
  for (let i = 0; i < o.count; i++) expectedCanon.push(canonicalExpected(o.expected(i)));
  if (o.acks) {
    assert.equal(o.acks.length, o.count, `the client should report ${o.count} acknowledgements, got ${o.acks.length}`);
  }

  const slackMs = 120_000;
  const all: string[] = [];
  const perPartition: number[] = [];
  const codecsSeen: string[] = [];
  for (const p of offsets) {
    const recs = await dumpLog(lg.dataDir, o.topic, p.partition);
    perPartition.push(recs.length);
    const where = `${o.topic}-${p.partition}`;
    assert.equal(recs.length, p.high, `dump-log ${where}: record count should equal the end offset ${p.high}`);
    for (let n = 0; n < recs.length; n++) {
      if (recs[n].offset !== n) assert.fail(`dump-log ${where}: offsets should be contiguous 0..${recs.length - 1}, found ${recs[n].offset} at position ${n}`);
    }
    const badType = recs.find((r) => r.timestampType !== o.timestampType);
    assert.equal(badType, undefined, `dump-log ${where}: every record should have timestampType ${o.timestampType}`);
    const badTs = recs.find((r) => !(r.timestamp >= o.window.start - slackMs && r.timestamp <= o.window.end + slackMs));
    assert.equal(badTs, undefined, `dump-log ${where}: timestamps should lie within the run's window [${o.window.start}, ${o.window.end}] +-${slackMs} ms`);
    const canon = recs.map(canonicalDumped);
    if (o.acks) {
      const mine = o.acks.filter((a) => a.partition === p.partition);
      const diff = multisetDiff(
        mine.map((a) => expectedCanon[a.i]),
        canon,
      );
      if (diff) assert.fail(`dump-log ${where}: content differs from the records acknowledged for this partition: ${diff}`);
      for (const a of mine) {
        const r = recs[a.offset];
        assert.ok(r !== undefined, `record ${a.i} was acknowledged at ${where}@${a.offset}, which dump-log does not have`);
        if (canonicalDumped(r) !== expectedCanon[a.i]) {
          assert.fail(`record ${a.i} acknowledged at ${where}@${a.offset}, but that offset holds ${readable(canonicalDumped(r))}; expected ${readable(expectedCanon[a.i])}`);
        }
        if (a.timestamp >= 0 && r.timestamp !== a.timestamp) {
          assert.fail(`record ${a.i} at ${where}@${a.offset}: acknowledged timestamp ${a.timestamp}, log has ${r.timestamp} (${r.timestampType})`);
        }
      }
    }
    all.push(...canon);
    const batches = o.codec !== undefined || o.idempotent ? await dumpBatches(lg.dataDir, o.topic, p.partition) : null;
    if (batches) {
      let next = 0;
      for (const b of batches) {
        if (b.baseOffset !== next || b.lastOffset !== b.baseOffset + b.count - 1) {
          assert.fail(`dump-log ${where}: batch ${JSON.stringify(b)} does not continue at offset ${next} with lastOffset = baseOffset + count - 1`);
        }
        next = b.lastOffset + 1;
      }
    }
    if (batches && o.codec !== undefined) {
      const codecs = batches.map((b) => b.codec);
      codecsSeen.push(...codecs);
      const odd = codecs.filter((c) => c !== o.codec && c !== 'none');
      assert.equal(odd.length, 0, `dump-log ${where}: batches should be ${o.codec} (or none), found ${[...new Set(odd)].join(', ')}`);
    }
    if (batches && o.idempotent) {
      const first = batches[0];
      assert.ok(first.producerId >= 0 && first.producerEpoch >= 0, `dump-log ${where}: an idempotent producer's batch has producerId ${first.producerId} epoch ${first.producerEpoch}`);
      let seq = 0;
      for (const b of batches) {
        if (b.producerId !== first.producerId || b.producerEpoch !== first.producerEpoch || b.baseSequence !== seq) {
          assert.fail(
            `dump-log ${where}: idempotent batches should share producerId ${first.producerId}/epoch ${first.producerEpoch} and have contiguous sequences; ` +
              `expected baseSequence ${seq}, got batch ${JSON.stringify(b)}`,
          );
        }
        seq += b.count;
      }
    }
  }
  if (o.codec !== undefined && codecsSeen.length > 0) {
    assert.ok(codecsSeen.includes(o.codec), `dump-log ${o.topic}: no batch is ${o.codec}-compressed (${codecsSeen.length} batches: ${[...new Set(codecsSeen)].join(', ')})`);
  }
  if (o.acks) {
    const parts = new Set(offsets.map((p) => p.partition));
    const stray = o.acks.find((a) => !parts.has(a.partition));
    assert.equal(stray, undefined, `a record was acknowledged for a partition ListOffsets does not list`);
  }
  const diff = multisetDiff(expectedCanon, all);
  if (diff) assert.fail(`dump-log ${o.topic}: content differs from the records sent: ${diff}`);
  return { offsets, perPartition };
}

// ---------------------------------------------------------------------------------------------
// Per-test scaffolding

/**
 * Creates a work dir, starts a lakegate in it, runs `body`, and always stops the server.
 * On failure the error message gets the end of the server log and the work dir is kept
 * (removed on success unless INTEROP_KEEP=1).
 */
export async function withLakegate<T>(name: string, body: (lg: Lakegate) => Promise<T>, opts: StartOptions = {}): Promise<T> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `lakegate-interop-${name.replace(/[^\w.-]+/g, '_')}-`));
  let lg: Lakegate | undefined;
  try {
    lg = await startLakegate(workDir, opts);
    const result = await body(lg);
    await lg.stop();
    if (process.env.INTEROP_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
    return result;
  } catch (err) {
    if (lg) await lg.stop();
    const e = err instanceof Error ? err : new Error(String(err));
    const serverLog = lg ? `\n--- lakegate output (end; full log ${lg.logFile}) ---\n${lastLines(lg.output(), 40)}` : '';
    e.message += `${serverLog}\n(work dir kept: ${workDir})`;
    throw e;
  }
}

/** A topic name unique within a run. */
export function topicName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
