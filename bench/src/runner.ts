// Servers, warm-ups and the measured runs: rounds of Kafka, (Kafka flushing every message,)
// lakegate (sync), lakegate (relaxed), a fresh topic per run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopic, deleteTopic } from './admin.js';
import { startKafka, type KafkaDist } from './kafka.js';
import { startLakegate } from './lakegate.js';
import { runPerf, warmUp, type PerfConfig, type PerfResult } from './perf.js';
import { machineCpu, ProcSampler, type Usage } from './procstat.js';
import { describe, LAKEGATE_MODES, type Group, type LakegateMode } from './scenarios.js';
import { log, median, run, sleep, stop, type Spawned } from './util.js';

export type ServerName = 'kafka' | 'kafka-flush' | 'sync' | 'relaxed';

/**
 * The durability reference (--kafka-flush): the same broker, with topics that fsync on every
 * append (topic config flush.messages=1), as "sync" lakegate does before each ack. Kafka's
 * default (the 'kafka' runs) leaves the writing to the OS.
 */
export const KAFKA_FLUSH_CONFIGS: Readonly<Record<string, string>> = { 'flush.messages': '1' };

/**
 * Records a run sends before the ones it measures (ProducerPerformance --warmup-records), as
 * seconds at the rate the run is sized for. Every run is a fresh producer JVM, and its JIT
 * compiler keeps one of this machine's two cores busy for about its first 10 s (measured:
 * C1/C2 compiler threads, 9-10 CPU-seconds, up to 190 deoptimizations a second). Measured
 * inside that window, a server was judged on how it copes with a client starving it of CPU:
 * lakegate sync's p99 at half rate was 48 ms to 1.16 s there (median 520 ms of 11 runs) and
 * 6-10 ms after it.
 */
export const DEFAULT_CLIENT_WARM_SECONDS = 10;

/** Records of a run: `seconds` measured after `clientWarmSeconds` of client warm-up, both at `rate`. */
export function runRecords(rate: number, seconds: number, clientWarmSeconds: number, minMeasured: number): { records: number; warmupRecords: number } {
  const measured = Math.max(minMeasured, Math.round(rate * seconds));
  const warmupRecords = Math.round(rate * clientWarmSeconds);
  return { records: measured + warmupRecords, warmupRecords };
}

export interface RunRecord {
  group: string;
  round: number;
  server: ServerName;
  perf: PerfResult;
  usage: Usage;
  /** payload bytes produced (records x record size) */
  bytes: number;
  cpuSecondsPerGB: number;
  peakRssMB: number;
  /** 1-minute load average before and after the run */
  load: [number, number];
  /** fraction of all CPUs busy during the run, from /proc/stat (server + producer + anything else) */
  machineBusy: number;
  /** CPU seconds used during the run by everything but the server and the producer(s) */
  otherCpuSeconds: number;
  /** ... as a fraction of the machine's CPU time during the run */
  otherShare: number;
  /** of the machine's CPU during the run, the share the hypervisor stole (part of otherShare) */
  stealShare?: number;
  /** seconds spent waiting for the machine to be quiet before the run, and how busy it was then */
  quietWait: { seconds: number; busy: number };
}

export interface GroupResult {
  group: Group;
  records: number;
  /** the fixed rate of a latency group (records/s), -1 for max */
  rate: number;
  runs: RunRecord[];
}

export interface RunOptions {
  kafka: KafkaDist;
  workDir: string;
  pairs: number;
  /** measured seconds of a run (after the client warm-up) */
  seconds: number;
  /** seconds of records each run sends first, left out of its statistics (the producer JVM's JIT) */
  clientWarmSeconds: number;
  lakegateRoot: string;
  /** half of this is the latency groups' rate; measured here when undefined */
  kafkaMaxRate?: number;
  /** node --cpu-prof directory for the lakegate servers */
  cpuProfDir?: string;
  /** first warm-up of each server: this many seconds at full speed with the first group's workload */
  warmSeconds: number;
  /** warm-up before a group whose workload differs from the one before it */
  groupWarmSeconds: number;
  /** wait up to this many seconds before a run for the machine to be quiet (others' work) */
  quietWaitSeconds: number;
  /**
   * lakegate's table materialization during the runs: 'off' creates lakegate's topics with
   * table.format=none (a log only, like Kafka); 'on' leaves lakegate's default (Iceberg).
   */
  tables: 'off' | 'on';
  /** set when a lakegate refused table.format (a revision without tables) */
  tablesUnsupported?: boolean;
  /** also run 'kafka-flush' (KAFKA_FLUSH_CONFIGS) in the groups that carry targets (Group.quick) */
  kafkaFlush?: boolean;
}

export interface Server {
  name: ServerName;
  bootstrap: string;
  proc: Spawned;
  /** The directory holding the server's partition directories (<topic>-<partition>). */
  logDir: string;
}

/**
 * Waits until a deleted topic's partition directories (Kafka renames them to
 * `<topic>-<n>.<id>-delete` first) are gone, then for the disk: deleting gigabytes is disk work
 * that must not overlap the next measured run.
 */
async function waitTopicFilesGone(logDir: string, topic: string, timeoutMs = 60_000): Promise<void> {
  const prefix = `${topic}-`;
  const until = Date.now() + timeoutMs;
  while (readdirSync(logDir).some((f) => f.startsWith(prefix))) {
    if (Date.now() > until) {
      log(`  ${topic}: its files are still in ${logDir} after ${timeoutMs / 1000} s; going on`);
      break;
    }
    await sleep(200);
  }
  await run('sync', []);
}

function loadavg(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * The machine is shared: waits (up to maxSeconds) until less than a quarter of its CPU is busy
 * over one second, so that no other work overlaps the run. Returns the wait and the last load.
 */
async function waitQuiet(maxSeconds: number): Promise<{ seconds: number; busy: number }> {
  const t0 = performance.now();
  let busy = 0;
  for (;;) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    busy = (b.busy - a.busy) / Math.max(1e-9, b.total - a.total);
    const waited = (performance.now() - t0) / 1000;
    if (busy < 0.25 || waited >= maxSeconds) return { seconds: Math.round(waited), busy: Number(busy.toFixed(2)) };
  }
}

/** Writeback of the previous run's data must not land in the next run. */
async function settle(o: RunOptions): Promise<{ seconds: number; busy: number }> {
  await run('sync', []);
  await sleep(500);
  return waitQuiet(o.quietWaitSeconds);
}

/** Starts the servers: Kafka and one lakegate per sync mode, each with a fresh data dir. */
export async function startServers(o: RunOptions, dir: string, modes: readonly LakegateMode[] = LAKEGATE_MODES, withKafka = true): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    if (withKafka) {
      const k = await startKafka(o.kafka, join(dir, 'kafka'), join(dir, 'kafka.log'));
      servers.push({ name: 'kafka', bootstrap: k.bootstrap, proc: k.proc, logDir: join(k.dir, 'data') });
      // the same broker process: only its topics' flush setting differs
      if (o.kafkaFlush) servers.push({ name: 'kafka-flush', bootstrap: k.bootstrap, proc: k.proc, logDir: join(k.dir, 'data') });
    }
    for (const m of modes) {
      const l = await startLakegate(join(dir, `lakegate-${m.label}`), join(dir, `lakegate-${m.label}.log`), {
        root: o.lakegateRoot,
        fsync: m.fsync,
        cpuProfDir: o.cpuProfDir,
      });
      servers.push({ name: m.label, bootstrap: l.bootstrap, proc: l.proc, logDir: join(l.dir, 'data', 'log') });
    }
    return servers;
  } catch (err) {
    await stopServers(servers);
    throw err;
  }
}

export async function stopServers(servers: { proc: Spawned }[]): Promise<void> {
  for (const proc of new Set(servers.map((s) => s.proc))) await stop(proc);
}

/**
 * Creates a run's topic; lakegate gets table.format=none unless tables are on, 'kafka-flush'
 * gets KAFKA_FLUSH_CONFIGS.
 */
export async function makeTopic(s: { name: ServerName; bootstrap: string }, o: RunOptions, topic: string, partitions: number): Promise<void> {
  if (s.name === 'kafka-flush') {
    if (!(await createTopic(s.bootstrap, topic, partitions, { ...KAFKA_FLUSH_CONFIGS }))) throw new Error(`Kafka refused ${JSON.stringify(KAFKA_FLUSH_CONFIGS)} for ${topic}`);
    return;
  }
  const configs: Record<string, string> = s.name !== 'kafka' && o.tables === 'off' ? { 'table.format': 'none' } : {};
  const applied = await createTopic(s.bootstrap, topic, partitions, configs);
  if (Object.keys(configs).length && !applied && !o.tablesUnsupported) {
    o.tablesUnsupported = true;
    log('  this lakegate has no table.format config (no tables to turn off)');
  }
}

async function measuredRun(g: Group, s: Server, o: RunOptions, c: PerfConfig, round: number): Promise<RunRecord> {
  await makeTopic(s, o, c.topic, g.partitions);
  const quietWait = await settle(o);
  if (quietWait.busy >= 0.25 && o.quietWaitSeconds > 0) log(`  machine still ${Math.round(quietWait.busy * 100)}% busy after ${quietWait.seconds} s; running anyway`);
  const load0 = loadavg();
  const cpu0 = machineCpu();
  const sampler = new ProcSampler(s.proc.pid);
  sampler.start();
  const perf = await runPerf(o.kafka, s.bootstrap, c);
  const usage = sampler.stop(perf.lateWindowMs);
  const cpu1 = machineCpu();
  const otherCpuSeconds = Math.max(0, cpu1.busy - cpu0.busy - usage.cpuSeconds - perf.producerCpuSeconds);
  const bytes = perf.records * g.recordSize;
  await deleteTopic(s.bootstrap, c.topic);
  await waitTopicFilesGone(s.logDir, c.topic);
  const rec: RunRecord = {
    group: g.id,
    round,
    server: s.name,
    perf,
    usage,
    bytes,
    cpuSecondsPerGB: usage.cpuSeconds / (bytes / 1e9),
    peakRssMB: usage.peakRssBytes / 1e6,
    load: [load0, loadavg()],
    machineBusy: (cpu1.busy - cpu0.busy) / Math.max(1e-9, cpu1.total - cpu0.total),
    otherCpuSeconds,
    otherShare: otherCpuSeconds / Math.max(1e-9, cpu1.total - cpu0.total),
    stealShare: (cpu1.steal - cpu0.steal) / Math.max(1e-9, cpu1.total - cpu0.total),
    quietWait,
  };
  log(
    `  ${g.id} #${round} ${s.name.padEnd(11)} ${Math.round(perf.recordsPerSec)} rec/s ${perf.mbPerSec} MB/s ` +
      `p50/p99/p99.9 ${perf.p50Ms}/${perf.p99Ms}/${perf.p999Ms} ms  cpu ${rec.cpuSecondsPerGB.toFixed(1)} s/GB  ` +
      `rss ${rec.peakRssMB.toFixed(0)} MB  other work ${Math.round(rec.otherShare * 100)}% of CPU (steal ${Math.round((rec.stealShare ?? 0) * 100)}%)` +
      (perf.client ? `  client: request ${perf.client.requestLatencyAvgMs.toFixed(1)} ms, queue ${perf.client.recordQueueTimeAvgMs.toFixed(1)} ms avg` : ''),
  );
  return rec;
}

/** Two groups with the same workload shape need no warm-up between them. */
export function sameWorkload(a: Group, b: Group): boolean {
  return a.recordSize === b.recordSize && a.partitions === b.partitions && a.acks === b.acks && a.compression === b.compression && a.processes === b.processes;
}

/**
 * Drives every server at full speed with the group's workload for `seconds` (lakegate's for
 * `lakegateSeconds`; not measured): JIT (Kafka's JVM, lakegate's V8), page cache, first
 * allocations. Returns Kafka's records/s over the last 5 s, which sizes the measured runs; the
 * warm-up's own producer JVM compiles through its first ~10 s, so Kafka's needs to be longer.
 */
export async function warmAll(g: Group, o: RunOptions, servers: Server[], seconds: number, lakegateSeconds = seconds): Promise<number> {
  let kafkaRate = 0;
  // 'kafka-flush' is the same JVM as 'kafka', warm from its run
  for (const s of servers.filter((x) => x.name !== 'kafka-flush')) {
    const topic = `bench-warmup-${g.id}`;
    await makeTopic(s, o, topic, g.partitions);
    const secs = s.name === 'kafka' ? seconds : lakegateSeconds;
    const rate = await warmUp(o.kafka, s.bootstrap, { topic, recordSize: g.recordSize, acks: g.acks, compression: g.compression, processes: g.processes }, secs);
    await deleteTopic(s.bootstrap, topic);
    await waitTopicFilesGone(s.logDir, topic);
    if (s.name === 'kafka') kafkaRate = rate;
    log(`  warm-up ${s.name}: ${secs} s, ${Math.round(rate)} rec/s at the end`);
  }
  return kafkaRate;
}

/**
 * Runs one group on already warm servers: rounds of Kafka, lakegate sync, lakegate relaxed
 * (and Kafka flushing every message after Kafka, in the groups with targets), a fresh topic
 * per run. `kafkaWarmRate` (Kafka's rate in a warm-up of this workload) sizes
 * throughput runs; latency runs use half of `o.kafkaMaxRate`.
 */
export async function runGroup(g: Group, o: RunOptions, servers: Server[], kafkaWarmRate: number): Promise<GroupResult> {
  log(`${g.id}: ${describe(g)} (${g.what})`);
  const perfBase = { recordSize: g.recordSize, acks: g.acks, compression: g.compression, processes: g.processes };
  const minRecords = g.processes * 20_000;
  let rate = -1;
  let { records, warmupRecords } = runRecords(kafkaWarmRate, o.seconds, o.clientWarmSeconds, minRecords);
  if (g.kind === 'latency') {
    let max = o.kafkaMaxRate;
    if (max === undefined) {
      const kafka = servers.find((s) => s.name === 'kafka')!;
      const rates: number[] = [];
      for (let i = 0; i < o.pairs; i++) {
        const r = await measuredRun(g, kafka, o, { ...perfBase, topic: `bench-max-${i}`, records, warmupRecords, throughput: -1 }, i);
        rates.push(r.perf.recordsPerSec);
      }
      max = median(rates);
      o.kafkaMaxRate = max;
    }
    rate = Math.round(max / 2);
    ({ records, warmupRecords } = runRecords(rate, o.seconds, o.clientWarmSeconds, minRecords));
    log(`  fixed rate ${rate} rec/s (half of Kafka's ${Math.round(max)}), ${records} records per run, the first ${warmupRecords} not measured`);
  } else {
    log(`  ${records} records per run, the first ${warmupRecords} not measured`);
  }
  records = Math.ceil(records / g.processes) * g.processes;
  const runs: RunRecord[] = [];
  // 'kafka-flush' runs take minutes each (it fsyncs every partition of every request): only
  // where the targets are
  const inGroup = servers.filter((s) => s.name !== 'kafka-flush' || g.quick);
  for (let round = 0; round < o.pairs; round++) {
    for (const s of inGroup) {
      runs.push(await measuredRun(g, s, o, { ...perfBase, topic: `bench-${g.id}-${round}`, records, warmupRecords, throughput: rate }, round));
    }
  }
  return { group: g, records, rate, runs };
}
