// Kafka's own load generator, org.apache.kafka.tools.ProducerPerformance, run as
// kafka-producer-perf-test.sh runs it; one or several processes at once.
import { toolJvmArgs, PERF_HEAP, type KafkaDist } from './kafka.js';
import { run } from './util.js';
import { tryCpuSeconds } from './procstat.js';

export interface PerfConfig {
  topic: string;
  records: number;
  recordSize: number;
  /** records/s across all processes; -1 = as fast as possible */
  throughput: number;
  acks: 'all' | '1';
  compression: 'none' | 'lz4' | 'zstd';
  processes: number;
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
}

// "100000 records sent, 49975.0 records/sec (48.80 MB/sec), 389.15 ms avg latency, 651.00 ms max
//  latency, 400 ms 50th, 600 ms 95th, 640 ms 99th, 650 ms 99.9th."
const SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export function parseSummary(out: string): Omit<PerfResult, 'wallSeconds' | 'producerCpuSeconds'> | undefined {
  const m = SUMMARY.exec(out);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  return { records: n[0], recordsPerSec: n[1], mbPerSec: n[2], avgMs: n[3], maxMs: n[4], p50Ms: n[5], p95Ms: n[6], p99Ms: n[7], p999Ms: n[8] };
}

function oneProcess(k: KafkaDist, bootstrap: string, c: PerfConfig, records: number, throughput: number, onSpawn: (pid: number) => void) {
  const props = [`bootstrap.servers=${bootstrap}`, `acks=${c.acks}`, `compression.type=${c.compression}`];
  // acks=all keeps the Java default (idempotence on); acks=1 requires idempotence off
  if (c.acks === '1') props.push('enable.idempotence=false');
  const args = [
    ...toolJvmArgs(k, PERF_HEAP),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic', c.topic,
    '--num-records', String(records),
    '--record-size', String(c.recordSize),
    '--throughput', String(throughput),
    '--producer-props', ...props,
  ];
  return run('java', args, { timeoutMs: 900_000, onSpawn });
}

/**
 * Runs `processes` ProducerPerformance JVMs at once, splitting records (and a fixed rate)
 * evenly. Throughput is the sum of the processes' records/sec; latency percentiles are the
 * worst process's (exact for one process).
 */
export async function runPerf(k: KafkaDist, bootstrap: string, c: PerfConfig): Promise<PerfResult> {
  const per = Math.ceil(c.records / c.processes);
  const rate = c.throughput < 0 ? -1 : Math.max(1, Math.round(c.throughput / c.processes));
  const t0 = performance.now();
  const cpu = new Map<number, number>();
  const poll = () => {
    for (const pid of cpu.keys()) {
      const s = tryCpuSeconds(pid);
      if (s !== undefined) cpu.set(pid, s);
    }
  };
  const timer = setInterval(poll, 100);
  const outs = await Promise.all(
    Array.from({ length: c.processes }, () => oneProcess(k, bootstrap, c, per, rate, (pid) => cpu.set(pid, 0))),
  ).finally(() => clearInterval(timer));
  const wallSeconds = (performance.now() - t0) / 1000;
  const producerCpuSeconds = [...cpu.values()].reduce((a, b) => a + b, 0);
  const parsed = outs.map((o) => {
    const s = parseSummary(o.stdout);
    if (o.code !== 0 || !s) {
      throw new Error(`ProducerPerformance failed (exit ${o.code}) against ${bootstrap}:\n${o.stdout.slice(-1500)}\n${o.stderr.slice(-3000)}`);
    }
    return s;
  });
  const sum = (f: (s: (typeof parsed)[number]) => number) => parsed.reduce((a, s) => a + f(s), 0);
  const max = (f: (s: (typeof parsed)[number]) => number) => Math.max(...parsed.map(f));
  return {
    records: sum((s) => s.records),
    recordsPerSec: sum((s) => s.recordsPerSec),
    mbPerSec: Number(sum((s) => s.mbPerSec).toFixed(2)),
    avgMs: sum((s) => s.avgMs * s.records) / sum((s) => s.records),
    maxMs: max((s) => s.maxMs),
    p50Ms: max((s) => s.p50Ms),
    p95Ms: max((s) => s.p95Ms),
    p99Ms: max((s) => s.p99Ms),
    p999Ms: max((s) => s.p999Ms),
    wallSeconds,
    producerCpuSeconds,
  };
}
