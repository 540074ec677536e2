/**
 * Materialization figures (lakegate only: Kafka has no tables): how fast the worker pool turns
 * JSON into Iceberg data files, and how long a produced record takes to become visible to a
 * table reader while JSON flows at a fixed rate.
 *
 *   npm run bench:materialize -- [--seconds 30] [--rate-mb 10] [--drain-mb 200] [--writer-threads N]
 *
 * Freshness: a producer sends a batch every 100 ms (acks=all); a record counts as visible at
 * the first admin-API poll (every 25 ms) whose committed offset covers it. A table commit is
 * the moment every reader that loads the table sees the rows, so this is produce -> visible.
 * Throughput: JSON is produced as fast as possible; the pool's rate is the JSON bytes divided
 * by the time from the first table commit to the moment the table caught up with the log.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../src/cli.js');
const PARTITIONS = 4;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function start(dataDir: string, writerThreads: number) {
  const args = [CLI, 'serve', '--host', '127.0.0.1', '--kafka-port', '0', '--http-port', '0', '--data-dir', dataDir];
  if (writerThreads > 0) args.push('--writer-threads', String(writerThreads));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ports = await new Promise<{ kafka: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('lakegate did not start'));
    }, 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /lakegate ready kafka=[^:]+:(\d+) http=[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ kafka: Number(m[1]), http: Number(m[2]) });
      }
    });
  });
  return { child, ...ports };
}

async function committed(http: number, topic: string): Promise<Array<number | null>> {
  const res = await fetch(`http://127.0.0.1:${http}/admin/tables/${topic}`);
  if (!res.ok) return [];
  const body = (await res.json()) as { partitions: Array<{ partition: number; committedOffset: number | null }> };
  const out: Array<number | null> = [];
  for (const p of body.partitions) out[p.partition] = p.committedOffset;
  return out;
}

function doc(i: number): string {
  return JSON.stringify({
    id: i,
    customer: `customer-${i % 997}`,
    amount: (i % 10_000) / 100,
    ts: new Date(1_700_000_000_000 + i).toISOString(),
    tags: ['alpha', 'beta', i % 2 ? 'gamma' : 'delta'],
    note: 'the quick brown fox jumps over the lazy dog '.repeat(4),
  });
}

async function createTopic(kafka: InstanceType<typeof Kafka>, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, configEntries: [
      { name: 'value.format', value: 'json' },
      { name: 'value.json.columns', value: 'id:long,customer:string,amount:double,ts:timestamptz' },
    ] }],
  });
  await admin.disconnect();
}

async function freshness(kafka: InstanceType<typeof Kafka>, http: number, seconds: number, rateMb: number) {
  const topic = 'freshness';
  await createTopic(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  const docBytes = Buffer.byteLength(doc(0));
  const perTick = Math.max(PARTITIONS, Math.round((rateMb * 1e6) / 10 / docBytes));
  const samples: Array<{ sentAt: number; last: number[]; visibleAt?: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling || samples.some((s) => s.visibleAt === undefined)) {
      const c = await committed(http, topic);
      const now = Date.now();
      for (const s of samples) {
        if (s.visibleAt === undefined && s.last.every((o, p) => o < 0 || (c[p] ?? -1) >= o)) s.visibleAt = now;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  let i = 0;
  let bytes = 0;
  const t0 = Date.now();
  for (let tick = 0; Date.now() - t0 < seconds * 1000; tick++) {
    const due = t0 + tick * 100;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const sentAt = Date.now();
    const messages = Array.from({ length: perTick }, () => {
      const value = doc(i);
      bytes += value.length;
      return { partition: i++ % PARTITIONS, key: `k${i}`, value };
    });
    const meta = await producer.send({ topic, acks: -1, messages });
    const last = Array.from({ length: PARTITIONS }, () => -1);
    const counts = Array.from({ length: PARTITIONS }, (_, p) => messages.filter((m) => m.partition === p).length);
    for (const m of meta) last[m.partition] = Number(m.baseOffset) + counts[m.partition] - 1;
    samples.push({ sentAt, last });
  }
  const elapsed = (Date.now() - t0) / 1000;
  polling = false;
  await poller;
  await producer.disconnect();
  const lat = samples.map((s) => (s.visibleAt as number) - s.sentAt).sort((a, b) => a - b);
  return { rateMbPerS: bytes / 1e6 / elapsed, samples: lat.length, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat[lat.length - 1] };
}

async function drain(kafka: InstanceType<typeof Kafka>, http: number, megabytes: number) {
  const topic = 'drain';
  await createTopic(kafka, topic);
  const producer = kafka.producer();
  await producer.connect();
  let i = 0;
  let bytes = 0;
  const started = Date.now();
  let firstCommitAt: number | null = null;
  let watching = true;
  const watcher = (async () => {
    while (watching && firstCommitAt === null) {
      if ((await committed(http, topic)).some((c) => c !== null && c !== undefined)) firstCommitAt = Date.now();
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const inFlight: Promise<unknown>[] = [];
  while (bytes < megabytes * 1e6) {
    const messages = Array.from({ length: 2000 }, () => {
      const value = doc(i);
      bytes += value.length;
      return { partition: i++ % PARTITIONS, value };
    });
    inFlight.push(producer.send({ topic, acks: 1, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const producedAt = Date.now();
  const ends = Array.from({ length: PARTITIONS }, (_, p) => Math.floor(i / PARTITIONS) + (p < i % PARTITIONS ? 1 : 0) - 1);
  for (;;) {
    const c = await committed(http, topic);
    if (ends.every((e, p) => (c[p] ?? -1) >= e)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const caughtUpAt = Date.now();
  watching = false;
  await watcher;
  await producer.disconnect();
  const from = firstCommitAt ?? started;
  return {
    megabytes: bytes / 1e6,
    produceMbPerS: bytes / 1e6 / ((producedAt - started) / 1000),
    materializeMbPerS: bytes / 1e6 / ((caughtUpAt - from) / 1000),
    catchUpAfterProduceS: (caughtUpAt - producedAt) / 1000,
  };
}

async function main() {
  const seconds = arg('seconds', 30);
  const rateMb = arg('rate-mb', 10);
  const drainMb = arg('drain-mb', 200);
  const writerThreads = arg('writer-threads', 0);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-bench-mat-'));
  const server = await start(dataDir, writerThreads);
  try {
    const kafka = new Kafka({ clientId: 'bench-materialize', brokers: [`127.0.0.1:${server.kafka}`], logLevel: logLevel.NOTHING });
    const f = await freshness(kafka, server.http, seconds, rateMb);
    const d = await drain(kafka, server.http, drainMb);
    const result = { writerThreads: writerThreads || Math.max(1, os.availableParallelism() - 1), freshness: f, drain: d };
    console.log(JSON.stringify(result, null, 2));
    console.log(
      `freshness at ${f.rateMbPerS.toFixed(1)} MB/s of JSON: p50 ${f.p50} ms, p99 ${f.p99} ms, max ${f.max} ms (${f.samples} samples)\n` +
        `materialize-json: ${d.materializeMbPerS.toFixed(1)} MB/s into Parquet (${d.megabytes.toFixed(0)} MB produced at ${d.produceMbPerS.toFixed(1)} MB/s; caught up ${d.catchUpAfterProduceS.toFixed(1)} s after the last ack)`,
    );
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
