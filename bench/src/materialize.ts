/**
 * Materialization figures (lakegate only: Kafka has no tables): how fast the worker pool turns
 * JSON into Iceberg data files, and how long a produced record takes to become visible to a
 * table reader while JSON flows at a fixed rate.
 *
 *   npm run bench:materialize -- [--seconds 30] [--rate-mb 10] [--live-seconds 30] [--live-rate-mb 60]
 *                                [--drain-mb 200] [--rounds 3] [--writer-threads N] [--quick]
 *
 * Writes bench/results/materialize.json (entries in the main harness's format) and .md.
 * From code: `measureMaterialization(options)` returns the same entries as report Details.
 *
 * Freshness: a producer sends a batch every 100 ms (acks=all); a record counts as visible at
 * the first admin-API poll (every 25 ms) whose committed offset covers it. A table commit is
 * the moment every reader that loads the table sees the rows, so this is produce -> visible.
 *
 * Tables while ingest runs (materialize-json, the target figure): materialize-live.ts.
 *
 * The pool alone (materialize-json-drain): the JSON is produced first, into a topic that is not materialized (the server
 * runs with the broker default table.format=none), so the producer's speed does not limit the
 * figure; then the server restarts with tables on and the pool drains the backlog. The rate is
 * the JSON bytes over the time from restart to the table holding every record, and the CPU
 * cost is the server's CPU seconds over that time per MB (robust on a shared machine).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR } from './paths.js';
import { liveIngest, type LiveResult } from './materialize-live.js';
import { committed, createTopic, doc, JSON_COLUMNS, kafkaClient, PARTITIONS, start, stop, type Server } from './materialize-server.js';
import { clkTck, cpuSeconds, machineCpu } from './procstat.js';
import type { Detail, Entry } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The server built next to this file (dist/, or a private --outDir build). */
const CLI = path.resolve(here, '../../src/cli.js');

export interface MaterializeBenchOptions {
  /** Freshness run length. */
  seconds: number;
  /** JSON MB/s produced during the freshness run. */
  rateMb: number;
  /** Length of the ingest that tables are built during (materialize-live.ts). */
  liveSeconds: number;
  /** JSON MB/s the producer asks for during it. */
  liveRateMb: number;
  /** JSON MB produced for each drain round. */
  drainMb: number;
  /** Drain rounds; the figures are their medians. */
  rounds: number;
  /** 0: the server's default pool size. */
  writerThreads: number;
  /** The lakegate to run (its dist/src/cli.js); default: the one built beside this file. */
  cli?: string;
}

export const DEFAULT_OPTIONS: MaterializeBenchOptions = { seconds: 30, rateMb: 10, liveSeconds: 30, liveRateMb: 60, drainMb: 200, rounds: 3, writerThreads: 0 };
/** What `npm run bench -- --quick` can afford on a shared 2-core machine. */
export const QUICK_OPTIONS: MaterializeBenchOptions = { seconds: 15, rateMb: 10, liveSeconds: 15, liveRateMb: 60, drainMb: 100, rounds: 1, writerThreads: 0 };

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface FreshnessResult {
  rateMbPerS: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function freshness(server: Server, seconds: number, rateMb: number): Promise<FreshnessResult> {
  const topic = 'freshness';
  const kafka = kafkaClient(server);
  await createTopic(kafka, topic, { 'table.format': 'iceberg' });
  const producer = kafka.producer();
  await producer.connect();
  const docBytes = Buffer.byteLength(doc(0));
  const perTick = Math.max(PARTITIONS, Math.round((rateMb * 1e6) / 10 / docBytes));
  const samples: Array<{ sentAt: number; last: number[]; visibleAt?: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling || samples.some((s) => s.visibleAt === undefined)) {
      const c = await committed(server.http, topic);
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
  return { rateMbPerS: bytes / 1e6 / elapsed, samples: lat.length, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), maxMs: lat[lat.length - 1] };
}

/** Produces `megabytes` of JSON into a topic the server does not materialize; returns the offsets to wait for. */
async function produceBacklog(server: Server, topic: string, megabytes: number): Promise<{ bytes: number; ends: number[] }> {
  const kafka = kafkaClient(server);
  await createTopic(kafka, topic, {});
  const producer = kafka.producer();
  await producer.connect();
  let i = 0;
  let bytes = 0;
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
  await producer.disconnect();
  const ends = Array.from({ length: PARTITIONS }, (_, p) => Math.floor(i / PARTITIONS) + (p < i % PARTITIONS ? 1 : 0) - 1);
  return { bytes, ends };
}

export interface DrainResult {
  megabytes: number;
  /** From the restart (includes the start-up and the worker's warm-up). */
  seconds: number;
  mbPerS: number;
  /** From the first commit to caught up: what the pool sustains. */
  steadyMbPerS: number;
  serverCpuSeconds: number;
  cpuSecondsPerMb: number;
  /** CPU of the writer threads (the niced ones; a build without niced writers: the busiest non-main thread). */
  writerCpuSeconds: number;
  /** CPU the rest of the machine used meanwhile, in cores (other work sharing it). */
  otherLoadCores: number;
  /** The server's writer pool size. */
  writerThreads: number;
}

/** CPU seconds and nice value per thread of a process, by thread id (Linux /proc). */
function threadCpuSeconds(pid: number): Map<number, { cpu: number; nice: number }> {
  const out = new Map<number, { cpu: number; nice: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesized name: utime and stime are the 12th and 13th, nice the 17th.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { cpu: (Number(f[11]) + Number(f[12])) / clkTck(), nice: Number(f[16]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU the writer threads used between two samples: the threads niced below the main one. */
function writerCpu(pid: number, before: Map<number, { cpu: number; nice: number }>, after: Map<number, { cpu: number; nice: number }>): number {
  const mainNice = after.get(pid)?.nice ?? 0;
  const used = [...after].filter(([tid]) => tid !== pid).map(([tid, t]) => ({ nice: t.nice, cpu: t.cpu - (before.get(tid)?.cpu ?? 0) }));
  const niced = used.filter((t) => t.nice > mainNice);
  if (niced.length > 0) return niced.reduce((n, t) => n + t.cpu, 0);
  return Math.max(0, ...used.map((t) => t.cpu)); // a build whose single writer is not niced
}

/** Restarts the server with tables on over the backlog and times the drain. */
async function drain(cli: string, dataDir: string, writerThreads: number, topic: string, backlog: { bytes: number; ends: number[] }): Promise<DrainResult> {
  const server = await start(cli, dataDir, writerThreads);
  // From ready: log recovery at start-up is not materialization.
  const machineBefore = machineCpu();
  const ownBefore = process.cpuUsage();
  const cpuBefore = cpuSeconds(server.child.pid!);
  const threadsBefore = threadCpuSeconds(server.child.pid!);
  const startedAt = Date.now();
  try {
    const total = backlog.ends.reduce((n, e) => n + e + 1, 0);
    let first: { at: number; done: number } | undefined;
    for (;;) {
      const c = await committed(server.http, topic);
      const done = backlog.ends.reduce((n, _e, p) => n + ((c[p] ?? -1) + 1), 0);
      if (!first && done > 0) first = { at: Date.now(), done };
      if (backlog.ends.every((e, p) => (c[p] ?? -1) >= e)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const caughtUpAt = Date.now();
    const seconds = (caughtUpAt - startedAt) / 1000;
    const serverCpuSeconds = cpuSeconds(server.child.pid!) - cpuBefore;
    const writerCpuSeconds = writerCpu(server.child.pid!, threadsBefore, threadCpuSeconds(server.child.pid!));
    const machineAfter = machineCpu();
    const own = process.cpuUsage(ownBefore);
    const otherCpu = machineAfter.busy - machineBefore.busy - serverCpuSeconds - (own.user + own.system) / 1e6;
    const megabytes = backlog.bytes / 1e6;
    // Steady state: after the first commit (a fresh worker's JIT and wasm warm-up are behind it).
    const steadyMegabytes = (megabytes * (total - first!.done)) / total;
    const steadySeconds = (caughtUpAt - first!.at) / 1000;
    return {
      megabytes,
      seconds,
      mbPerS: megabytes / seconds,
      steadyMbPerS: steadySeconds > 0 ? steadyMegabytes / steadySeconds : megabytes / seconds,
      serverCpuSeconds,
      cpuSecondsPerMb: serverCpuSeconds / megabytes,
      writerCpuSeconds,
      otherLoadCores: Math.max(0, otherCpu / seconds),
      writerThreads: server.writerThreads,
    };
  } finally {
    await stop(server);
  }
}

export interface MaterializeBenchResult {
  options: MaterializeBenchOptions;
  writerThreads: number;
  freshness: FreshnessResult;
  live: LiveResult;
  drains: DrainResult[];
  details: Detail[];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function entry(scenario: string, metric: string, unit: string, better: Entry['better'], value: number, digits: number): Entry {
  return { scenario, metric, unit, better, lakegate: round(value, digits), kafka: null, ratio: null };
}

/** Runs the freshness and drain measurements against a server of its own. */
export async function measureMaterialization(options: MaterializeBenchOptions = DEFAULT_OPTIONS): Promise<MaterializeBenchResult> {
  const cli = options.cli ?? CLI;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lakegate-bench-mat-'));
  const noTables = path.join(dataDir, 'no-tables.properties');
  writeFileSync(noTables, 'table.format=none\n');
  try {
    let fresh: FreshnessResult | undefined;
    let live: LiveResult | undefined;
    const drains: DrainResult[] = [];
    for (let r = 0; r < options.rounds; r++) {
      // Topics without an explicit table.format are not materialized while this server runs;
      // earlier rounds' topics are already drained, so each restart drains only this round's.
      const server = await start(cli, path.join(dataDir, 'data'), options.writerThreads, noTables);
      let backlog: { bytes: number; ends: number[] };
      try {
        if (r === 0) {
          fresh = await freshness(server, options.seconds, options.rateMb);
          live = await liveIngest(server, options.liveSeconds, options.liveRateMb);
        }
        backlog = await produceBacklog(server, `drain${r}`, options.drainMb);
      } finally {
        await stop(server);
      }
      drains.push(await drain(cli, path.join(dataDir, 'data'), options.writerThreads, `drain${r}`, backlog));
    }
    if (!fresh || !live) throw new Error('--rounds must be at least 1');
    // what the server said it runs (its default is one per core), else what was asked for
    const writerThreads = drains[drains.length - 1]!.writerThreads || options.writerThreads;
    const mbPerS = median(drains.map((d) => d.steadyMbPerS));
    const fromRestart = median(drains.map((d) => d.mbPerS));
    const cpuPerMb = median(drains.map((d) => d.cpuSecondsPerMb));
    const writerMbPerCpuS = median(drains.map((d) => d.megabytes / d.writerCpuSeconds));
    const other = median(drains.map((d) => d.otherLoadCores));
    const liveWhat = `while a producer replaying one pre-encoded request sent JSON (${JSON_COLUMNS}) at ${live.targetMbPerS} MB/s for ${options.liveSeconds} s (acknowledged: ${live.ingestMbPerS.toFixed(1)} MB/s, ${Math.round(live.ingestRecordsPerS)} records/s) on the same machine; ${writerThreads} writer thread(s); the hypervisor's steal meanwhile ${(100 * live.stealShare).toFixed(0)}% of the machine`;
    const details: Detail[] = [
      {
        entry: entry('materialize-json', 'throughput', 'MB/s', 'higher', live.tableMbPerS, 1),
        pairs: [],
        what: `JSON reaching the Iceberg table (committed), from its first commit to its last one during the ingest (${live.commitsDuringIngest} commits), ${liveWhat}`,
      },
      {
        entry: entry('materialize-json-records', 'throughput', 'records/s', 'higher', live.tableRecordsPerS, 0),
        pairs: [],
        what: `as materialize-json, in records`,
      },
      {
        entry: entry('materialize-json-lag', 'lag-at-end', 's', 'lower', live.lagSeconds, 2),
        pairs: [],
        what: `from the ingest's last acknowledgement until the table held every record, ${liveWhat}`,
      },
      {
        entry: entry('materialize-json-drain', 'throughput', 'MB/s', 'higher', mbPerS, 1),
        pairs: [],
        what: `the pool alone (no producer running): JSON (${JSON_COLUMNS}) into Parquet by ${writerThreads} writer thread(s), backlog of ${options.drainMb} MB drained after a restart, sustained rate from the first commit (${fromRestart.toFixed(1)} MB/s counting start-up and warm-up); median of ${drains.length}; other load on the machine meanwhile ${other.toFixed(2)} cores`,
      },
      {
        entry: entry('materialize-json-cpu', 'cpu-s-per-mb', 's/MB', 'lower', cpuPerMb, 4),
        pairs: [],
        what: `lakegate process CPU seconds per MB of JSON while draining (all threads; robust to a shared machine); the writer threads alone: ${writerMbPerCpuS.toFixed(1)} MB per CPU second of theirs; median of ${drains.length}`,
      },
      {
        entry: entry('freshness-p50', 'produce-to-visible', 's', 'lower', fresh.p50Ms / 1000, 2),
        pairs: [],
        what: `acks=all produce -> committed to the table, median of ${fresh.samples} batches at ${fresh.rateMbPerS.toFixed(1)} MB/s of JSON for ${options.seconds} s`,
      },
      {
        entry: entry('freshness-p99', 'produce-to-visible', 's', 'lower', fresh.p99Ms / 1000, 2),
        pairs: [],
        what: `as freshness-p50, 99th percentile (max ${(fresh.maxMs / 1000).toFixed(2)} s)`,
      },
    ];
    return { options, writerThreads, freshness: fresh, live, drains, details };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function markdown(result: MaterializeBenchResult): string {
  const lines = [
    '# lakegate materialization',
    '',
    `Generated by \`npm run bench:materialize\` on ${new Date().toISOString()}, ${os.availableParallelism()} CPUs, ${result.writerThreads} writer thread(s).`,
    '',
    '| scenario | metric | lakegate | unit | better | what |',
    '|---|---|---|---|---|---|',
    ...result.details.map((d) => `| ${d.entry.scenario} | ${d.entry.metric} | ${d.entry.lakegate} | ${d.entry.unit} | ${d.entry.better} | ${d.what} |`),
    '',
    'Drain rounds:',
    '',
    '| MB | seconds from restart | MB/s from restart | MB/s sustained | server CPU s | CPU s/MB | writer threads MB/CPU-s | other load (cores) |',
    '|---|---|---|---|---|---|---|---|',
    ...result.drains.map(
      (d) => `| ${d.megabytes.toFixed(0)} | ${d.seconds.toFixed(2)} | ${d.mbPerS.toFixed(1)} | ${d.steadyMbPerS.toFixed(1)} | ${d.serverCpuSeconds.toFixed(2)} | ${d.cpuSecondsPerMb.toFixed(4)} | ${(d.megabytes / d.writerCpuSeconds).toFixed(1)} | ${d.otherLoadCores.toFixed(2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const base = process.argv.includes('--quick') ? QUICK_OPTIONS : DEFAULT_OPTIONS;
  const options: MaterializeBenchOptions = {
    seconds: arg('seconds', base.seconds),
    rateMb: arg('rate-mb', base.rateMb),
    liveSeconds: arg('live-seconds', base.liveSeconds),
    liveRateMb: arg('live-rate-mb', base.liveRateMb),
    drainMb: arg('drain-mb', base.drainMb),
    rounds: arg('rounds', base.rounds),
    writerThreads: arg('writer-threads', base.writerThreads),
  };
  const result = await measureMaterialization(options);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, 'materialize.json'), JSON.stringify(result.details.map((d) => d.entry), null, 2) + '\n');
  writeFileSync(path.join(RESULTS_DIR, 'materialize.md'), markdown(result));
  console.log(JSON.stringify({ freshness: result.freshness, live: result.live, drains: result.drains }, null, 2));
  for (const d of result.details) console.log(`${d.entry.scenario}: ${d.entry.lakegate} ${d.entry.unit} (${d.what})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
