// Kafka's own load generator, org.apache.kafka.tools.ProducerPerformance, run as
// kafka-producer-perf-test.sh runs it; one or several processes at once.
import { toolJvmArgs, PERF_HEAP, type KafkaDist } from './kafka.js';
import { spawn } from 'node:child_process';
import { run } from './util.js';
import { CpuSeries, tryCpuSeconds } from './procstat.js';

export interface PerfConfig {
  topic: string;
  records: number;
  recordSize: number;
  /** records/s across all processes; -1 = as fast as possible */
  throughput: number;
  acks: 'all' | '1';
  compression: 'none' | 'lz4' | 'zstd';
  processes: number;
  /** leading records (all processes) left out of the statistics, when ProducerPerformance can */
  warmupRecords?: number;
}

export interface PerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** wall time of the whole run, JVM start to exit of the last process */
  wallSeconds: number;
  /** CPU seconds the producer JVMs used (sampled every 100 ms, so slightly low) */
  producerCpuSeconds: number;
  /**
   * The run's late window, 55-95% of its wall time (performance.now() ms of the harness
   * process): past the producer JVM's first seconds of JIT compiling and the warm-up records at
   * the runs' lengths, before its exit. Its CPU there is a steady-state cost.
   */
  lateWindowMs?: [number, number];
  /** cores the producer JVMs used in lateWindowMs */
  producerCoresLate?: number;
  /** the statistics above are ProducerPerformance's steady-state line (after the warm-up records) */
  steadyState: boolean;
  /** the producer's own metrics (--print-metrics), when it printed them */
  client?: ClientMetrics;
}

/**
 * Where a record's latency went, from the Java producer's metrics over the whole run (warm-up
 * records included): waiting in the producer's accumulator for a request to carry it, and the
 * request's round trip. The producer keeps at most 5 requests in flight per connection
 * (max.in.flight.requests.per.connection), so a longer round trip lowers the rate it can send
 * at, and records queue behind it.
 */
export interface ClientMetrics {
  /** producer-metrics request-latency-avg: send of a produce request to its response (ms) */
  requestLatencyAvgMs: number;
  /** producer-metrics record-queue-time-avg: a batch's time in the accumulator (ms) */
  recordQueueTimeAvgMs: number;
  /** producer-metrics records-per-request-avg */
  recordsPerRequestAvg: number;
}

// "100000 records sent, 49975.0 records/sec (48.80 MB/sec), 389.15 ms avg latency, 651.00 ms max
//  latency, 400 ms 50th, 600 ms 95th, 640 ms 99th, 650 ms 99.9th."
// With --warmup-records a second line follows: "80000 steady state records sent, ..." (same fields).
const SUMMARY =
  /(\d+) (steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/g;

const CLIENT_METRIC = /^producer-metrics:([a-z-]+):\{client-id=[^}]*\}\s*:\s*([-\d.E]+|NaN)$/gm;

/** The client metrics ProducerPerformance --print-metrics printed, if it printed them all. */
export function parseClientMetrics(out: string): ClientMetrics | undefined {
  const m = new Map<string, number>();
  for (const x of out.matchAll(CLIENT_METRIC)) m.set(x[1]!, Number(x[2]));
  const get = (name: string) => m.get(name);
  const req = get('request-latency-avg');
  const queue = get('record-queue-time-avg');
  const perRequest = get('records-per-request-avg');
  if (req === undefined || queue === undefined || perRequest === undefined) return undefined;
  return { requestLatencyAvgMs: req, recordQueueTimeAvgMs: queue, recordsPerRequestAvg: perRequest };
}

/** The steady-state summary line if there is one, else the whole-run one. */
export function parseSummary(out: string): (Omit<PerfResult, 'wallSeconds' | 'producerCpuSeconds' | 'records'> & { records: number }) | undefined {
  const all = [...out.matchAll(SUMMARY)];
  const m = all.find((x) => x[2]) ?? all[0];
  if (!m) return undefined;
  const n = [m[1], ...m.slice(3)].map(Number);
  return { records: n[0], recordsPerSec: n[1], mbPerSec: n[2], avgMs: n[3], maxMs: n[4], p50Ms: n[5], p95Ms: n[6], p99Ms: n[7], p999Ms: n[8], steadyState: !!m[2] };
}

function perfArgs(k: KafkaDist, bootstrap: string, c: PerfConfig, records: number, throughput: number, warmup: number): string[] {
  const props = [`bootstrap.servers=${bootstrap}`, `acks=${c.acks}`, `compression.type=${c.compression}`];
  // acks=all keeps the Java default (idempotence on); acks=1 requires idempotence off
  if (c.acks === '1') props.push('enable.idempotence=false');
  return [
    ...toolJvmArgs(k, PERF_HEAP),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic', c.topic,
    '--num-records', String(records),
    '--record-size', String(c.recordSize),
    '--throughput', String(throughput),
    ...(warmup > 0 ? ['--warmup-records', String(warmup)] : []),
    '--print-metrics', // at exit, after the summary lines (a killed warm-up prints none)
    '--producer-props', ...props,
  ];
}

function oneProcess(k: KafkaDist, bootstrap: string, c: PerfConfig, records: number, throughput: number, warmup: number, onSpawn: (pid: number) => void) {
  return run('java', perfArgs(k, bootstrap, c, records, throughput, warmup), { timeoutMs: 900_000, onSpawn });
}

/**
 * Runs `processes` ProducerPerformance JVMs at once, splitting records (and a fixed rate)
 * evenly. Throughput is the sum of the processes' records/sec; latency percentiles are the
 * worst process's (exact for one process).
 */
export async function runPerf(k: KafkaDist, bootstrap: string, c: PerfConfig): Promise<PerfResult> {
  const per = Math.ceil(c.records / c.processes);
  const rate = c.throughput < 0 ? -1 : Math.max(1, Math.round(c.throughput / c.processes));
  const warmup = k.warmupRecords && c.warmupRecords ? Math.floor(c.warmupRecords / c.processes) : 0;
  const t0 = performance.now();
  const cpu = new Map<number, number>();
  const totalCpu = () => [...cpu.values()].reduce((a, b) => a + b, 0);
  const series = new CpuSeries();
  const poll = () => {
    for (const pid of cpu.keys()) {
      const s = tryCpuSeconds(pid);
      if (s !== undefined) cpu.set(pid, s);
    }
    series.add(totalCpu());
  };
  const timer = setInterval(poll, 100);
  const outs = await Promise.all(
    Array.from({ length: c.processes }, () => oneProcess(k, bootstrap, c, per, rate, warmup, (pid) => cpu.set(pid, 0))),
  ).finally(() => clearInterval(timer));
  const wallSeconds = (performance.now() - t0) / 1000;
  const producerCpuSeconds = totalCpu();
  const lateWindowMs: [number, number] = [t0 + 0.55 * wallSeconds * 1000, t0 + 0.95 * wallSeconds * 1000];
  const parsed = outs.map((o) => {
    const s = parseSummary(o.stdout);
    if (o.code !== 0 || !s) {
      throw new Error(`ProducerPerformance failed (exit ${o.code}) against ${bootstrap}:\n${o.stdout.slice(-1500)}\n${o.stderr.slice(-3000)}`);
    }
    return { ...s, client: parseClientMetrics(o.stdout) };
  });
  const sum = (f: (s: (typeof parsed)[number]) => number) => parsed.reduce((a, s) => a + f(s), 0);
  const max = (f: (s: (typeof parsed)[number]) => number) => Math.max(...parsed.map(f));
  return {
    // every record sent (what the server ingested), warm-up included
    records: per * c.processes,
    recordsPerSec: sum((s) => s.recordsPerSec),
    mbPerSec: Number(sum((s) => s.mbPerSec).toFixed(2)),
    avgMs: Number((sum((s) => s.avgMs * s.records) / sum((s) => s.records)).toFixed(2)),
    maxMs: max((s) => s.maxMs),
    p50Ms: max((s) => s.p50Ms),
    p95Ms: max((s) => s.p95Ms),
    p99Ms: max((s) => s.p99Ms),
    p999Ms: max((s) => s.p999Ms),
    wallSeconds,
    producerCpuSeconds,
    lateWindowMs,
    producerCoresLate: series.coresBetween(...lateWindowMs),
    steadyState: parsed.every((s) => s.steadyState),
    client: worstClient(parsed.map((s) => s.client)),
  };
}

/** Several processes: the worst latencies and the mean request size; undefined if any lacks them. */
function worstClient(all: (ClientMetrics | undefined)[]): ClientMetrics | undefined {
  if (all.length === 0 || all.some((c) => c === undefined)) return undefined;
  const cs = all as ClientMetrics[];
  return {
    requestLatencyAvgMs: Math.max(...cs.map((c) => c.requestLatencyAvgMs)),
    recordQueueTimeAvgMs: Math.max(...cs.map((c) => c.recordQueueTimeAvgMs)),
    recordsPerRequestAvg: cs.reduce((a, c) => a + c.recordsPerRequestAvg, 0) / cs.length,
  };
}

// progress lines, every 5 s: "123456 records sent, 24567.8 records/sec (23.99 MB/sec), 600.1 ms avg latency, 900.0 ms max latency."
const PROGRESS = /^(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency\.$/gm;

/**
 * One ProducerPerformance process at full speed until it has run `seconds` and printed at least
 * two progress lines (JVM start-up on a busy machine can take a while), then killed. Returns the
 * records/s of its last 5-second progress window.
 */
function warmOne(k: KafkaDist, bootstrap: string, c: PerfConfig, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', perfArgs(k, bootstrap, c, 1_000_000_000, -1, 0), { stdio: ['ignore', 'pipe', 'pipe'] });
    const t0 = performance.now();
    let out = '';
    let err = '';
    let last = 0;
    let lines = 0;
    const check = () => {
      const elapsed = (performance.now() - t0) / 1000;
      if ((elapsed >= seconds && lines >= 2) || elapsed >= seconds + 90) child.kill('SIGKILL');
    };
    const timer = setInterval(check, 200);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const cut = out.lastIndexOf('\n') + 1; // complete lines only
      for (const m of out.slice(0, cut).matchAll(PROGRESS)) {
        last = Number(m[2]);
        lines++;
      }
      out = out.slice(cut);
    });
    child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-4000)));
    child.once('error', reject);
    child.once('exit', () => {
      clearInterval(timer);
      if (lines === 0) reject(new Error(`warm-up against ${bootstrap} printed no progress in ${seconds + 90} s:\n${err}`));
      else resolve(last);
    });
  });
}

/**
 * Drives a server at full speed for at least `seconds` (processes are stopped then), as a
 * warm-up. Returns the records/s of the last 5-second progress window, summed over processes.
 */
export async function warmUp(k: KafkaDist, bootstrap: string, c: Omit<PerfConfig, 'records' | 'throughput' | 'warmupRecords'>, seconds: number): Promise<number> {
  const rates = await Promise.all(Array.from({ length: c.processes }, () => warmOne(k, bootstrap, { ...c, records: 0, throughput: -1 }, seconds)));
  return rates.reduce((a, b) => a + b, 0);
}
