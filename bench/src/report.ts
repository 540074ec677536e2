// Turns the runs into the result entries (JSON), a markdown report and the targets check.
import { availableParallelism } from 'node:os';
import type { GroupResult, RunRecord, ServerName } from './runner.js';
import { BASELINE, describe, LAKEGATE_MODES, type ModeLabel } from './scenarios.js';
import { median } from './util.js';
import { BROKER_HEAP, JVM_PERFORMANCE_OPTS, PERF_HEAP } from './kafka.js';

export interface Entry {
  scenario: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  lakegate: number | null;
  kafka: number | null;
  /** lakegate / kafka, the median of the per-pair ratios */
  ratio: number | null;
}

/** Per-pair detail kept beside an entry (for the markdown and the raw file), not in the JSON. */
export interface Detail {
  entry: Entry;
  pairs: { lakegate: number; kafka: number; ratio: number }[];
  what: string;
}

interface Metric {
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  get: (r: RunRecord) => number;
  digits: number;
}

const M = {
  recs: { metric: 'throughput', unit: 'records/s', better: 'higher', get: (r) => r.perf.recordsPerSec, digits: 0 },
  mbs: { metric: 'throughput-bytes', unit: 'MB/s', better: 'higher', get: (r) => r.perf.mbPerSec, digits: 2 },
  cpu: { metric: 'cpu-s-per-gb', unit: 's/GB', better: 'lower', get: (r) => r.cpuSecondsPerGB, digits: 2 },
  rss: { metric: 'rss-peak', unit: 'MB', better: 'lower', get: (r) => r.peakRssMB, digits: 0 },
  p50: { metric: 'p50-latency', unit: 'ms', better: 'lower', get: (r) => r.perf.p50Ms, digits: 1 },
  p99: { metric: 'p99-latency', unit: 'ms', better: 'lower', get: (r) => r.perf.p99Ms, digits: 1 },
  p999: { metric: 'p99.9-latency', unit: 'ms', better: 'lower', get: (r) => r.perf.p999Ms, digits: 1 },
  // the producer's own view (perf.ts ClientMetrics); NaN when it printed no metrics
  clientRequest: { metric: 'client-request-latency-avg', unit: 'ms', better: 'lower', get: (r) => r.perf.client?.requestLatencyAvgMs ?? NaN, digits: 2 },
  clientQueue: { metric: 'client-queue-time-avg', unit: 'ms', better: 'lower', get: (r) => r.perf.client?.recordQueueTimeAvgMs ?? NaN, digits: 1 },
  // the producer JVMs' steady-state CPU per record (see cpuBudget); NaN for runs recorded before it was measured
  clientCpu: { metric: 'client-cpu-per-record', unit: 'µs', better: 'lower', get: (r) => ((r.perf.producerCoresLate ?? NaN) / r.perf.recordsPerSec) * 1e6, digits: 2 },
} satisfies Record<string, Metric>;

const round = (x: number, d: number) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** `mode`'s runs against `against`'s (Kafka by default), paired by round. */
function detail(scenario: string, what: string, g: GroupResult, mode: ModeLabel, m: Metric, against: ServerName = 'kafka'): Detail {
  const pairs: Detail['pairs'] = [];
  const byRound = (server: ServerName) => new Map(g.runs.filter((r) => r.server === server).map((r) => [r.round, r]));
  const ks = byRound(against);
  for (const [i, l] of byRound(mode)) {
    const k = ks.get(i);
    if (!k) continue;
    pairs.push({ lakegate: m.get(l), kafka: m.get(k), ratio: m.get(l) / m.get(k) });
  }
  return {
    what,
    pairs,
    entry: {
      scenario,
      metric: m.metric,
      unit: m.unit,
      better: m.better,
      lakegate: round(median(pairs.map((p) => p.lakegate)), m.digits),
      kafka: round(median(pairs.map((p) => p.kafka)), m.digits),
      ratio: round(median(pairs.map((p) => p.ratio)), 3),
    },
  };
}

/**
 * lakegate sync against Kafka with flush.messages=1 (--kafka-flush): both fsync before they
 * answer. Not targets; the durability reference for the ones against Kafka's default.
 */
function againstKafkaFlush(g: GroupResult): Detail[] {
  const sfx = '-vs-kafka-flush';
  const label = 'lakegate sync vs Kafka with flush.messages=1';
  if (g.group.kind === 'throughput') {
    return [M.recs, M.mbs, M.cpu, M.rss].map((m) => detail(`${g.group.id}-sync${sfx}`, `${describe(g.group)}; ${label}`, g, 'sync', m, 'kafka-flush'));
  }
  const what = `${describe(g.group)} at ${g.rate} rec/s; ${label}`;
  return [
    // a server slower than the fixed rate falls behind it: its latencies are the producer's queue
    detail(`latency-rate-half-rate${sfx}`, `${what}; the rate each achieved`, g, 'sync', M.recs, 'kafka-flush'),
    detail(`latency-p50-half-rate${sfx}`, what, g, 'sync', M.p50, 'kafka-flush'),
    detail(`latency-p99-half-rate${sfx}`, what, g, 'sync', M.p99, 'kafka-flush'),
    detail(`latency-p99.9-half-rate${sfx}`, what, g, 'sync', M.p999, 'kafka-flush'),
  ];
}

/** Stands in for the materialization figures when a run skipped them (--materialize off). */
export function materializationSkipped(): Detail {
  return {
    what: 'JSON into Iceberg tables (worker pool MB/s, produce -> visible freshness): not measured in this run (--materialize off)',
    pairs: [],
    entry: { scenario: 'materialize-json', metric: 'not measured', unit: 'MB/s', better: 'higher', lakegate: null, kafka: null, ratio: null },
  };
}

/** Every entry of a run; `materialization` holds the lakegate-only table figures (bench/src/materialize.ts). */
export function buildDetails(groups: GroupResult[], materialization?: Detail[]): Detail[] {
  const out: Detail[] = [];
  for (const g of groups) {
    for (const mode of LAKEGATE_MODES) {
      const label = `lakegate ${mode.label} vs Kafka`;
      if (g.group.kind === 'throughput') {
        const sc = `${g.group.id}-${mode.label}`;
        for (const m of [M.recs, M.mbs, M.cpu, M.rss, M.clientCpu]) out.push(detail(sc, `${describe(g.group)}; ${label}`, g, mode.label, m));
      } else {
        const sfx = mode.label === 'sync' ? '' : `-${mode.label}`;
        const what = `${describe(g.group)} at ${g.rate} rec/s; ${label}`;
        out.push(detail(`latency-p50-half-rate${sfx}`, what, g, mode.label, M.p50));
        out.push(detail(`latency-p99-half-rate${sfx}`, what, g, mode.label, M.p99));
        out.push(detail(`latency-p99.9-half-rate${sfx}`, what, g, mode.label, M.p999));
        // where the latency went, as the producer saw it (not targets)
        out.push(detail(`latency-client-request-half-rate${sfx}`, `${what}; producer metric request-latency-avg`, g, mode.label, M.clientRequest));
        out.push(detail(`latency-client-queue-half-rate${sfx}`, `${what}; producer metric record-queue-time-avg`, g, mode.label, M.clientQueue));
      }
    }
  }
  for (const g of groups) if (g.runs.some((r) => r.server === 'kafka-flush')) out.push(...againstKafkaFlush(g));
  const base = groups.find((g) => g.group.id === BASELINE);
  if (base) {
    for (const mode of LAKEGATE_MODES) {
      const sfx = mode.label === 'sync' ? '' : `-${mode.label}`;
      const what = `during ${BASELINE}-${mode.label}`;
      out.push(detail(`rss-peak${sfx}`, what, base, mode.label, M.rss));
      out.push(detail(`cpu-s-per-gb${sfx}`, what, base, mode.label, M.cpu));
    }
  }
  out.push(...(materialization?.length ? materialization : [materializationSkipped()]));
  return out;
}

export interface Target {
  scenario: string;
  unit: string;
  text: string;
  check: (e: Entry) => boolean;
}

export const TARGETS: Target[] = [
  { scenario: `${BASELINE}-sync`, unit: 'records/s', text: 'lakegate >= 1.0x Kafka', check: (e) => (e.ratio ?? 0) >= 1.0 },
  { scenario: `${BASELINE}-relaxed`, unit: 'records/s', text: 'lakegate >= 1.3x Kafka', check: (e) => (e.ratio ?? 0) >= 1.3 },
  { scenario: 'latency-p99-half-rate', unit: 'ms', text: 'lakegate <= Kafka', check: (e) => (e.ratio ?? Infinity) <= 1.0 },
  { scenario: 'rss-peak', unit: 'MB', text: 'lakegate <= 300 MB and <= Kafka', check: (e) => (e.lakegate ?? Infinity) <= 300 && (e.ratio ?? Infinity) <= 1 },
  { scenario: 'cpu-s-per-gb', unit: 's/GB', text: 'lakegate <= Kafka', check: (e) => (e.ratio ?? Infinity) <= 1 },
  // lakegate only (Kafka has no tables): absolute targets
  { scenario: 'materialize-json', unit: 'MB/s', text: 'lakegate >= 50 MB/s of JSON into the table while ingest runs', check: (e) => (e.lakegate ?? 0) >= 50 },
  { scenario: 'freshness-p99', unit: 's', text: 'lakegate <= 5 s at 10 MB/s of JSON', check: (e) => (e.lakegate ?? Infinity) <= 5 },
];

const fmt = (x: number | null, d = 2) =>
  x === null ? 'n/a' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toFixed(d)));

export interface ReportMeta {
  title: string;
  command: string;
  started: string;
  minutes: number;
  env: Record<string, string>;
  settings: string[];
  loadNote: string;
  files: { json: string; svg: string; runs: string };
}

export function markdown(details: Detail[], groups: GroupResult[], meta: ReportMeta): string {
  const L: string[] = [];
  L.push(`# ${meta.title}`, '');
  L.push(`\`${meta.command}\`, started ${meta.started}, ${meta.minutes.toFixed(1)} min. ` +
    `JSON: [${meta.files.json}](${meta.files.json}), chart: [${meta.files.svg}](${meta.files.svg}), every run: [${meta.files.runs}](${meta.files.runs}).`, '');
  L.push('| | |', '|---|---|');
  for (const [k, v] of Object.entries(meta.env)) L.push(`| ${k} | ${v} |`);
  L.push('');
  if (meta.loadNote) L.push(`> ${meta.loadNote}`, '');
  L.push(`![throughput and latency, lakegate beside Kafka](${meta.files.svg})`, '');

  const byName = new Map(details.map((d) => [`${d.entry.scenario}|${d.entry.unit}`, d]));
  L.push('## Targets', '');
  L.push('| scenario | lakegate | Kafka | ratio (median of pairs) | target | met |', '|---|---|---|---|---|---|');
  for (const t of TARGETS) {
    const d = byName.get(`${t.scenario}|${t.unit}`);
    if (!d) {
      L.push(`| \`${t.scenario}\` | not run | | | ${t.text} | |`);
      continue;
    }
    const e = d.entry;
    if (e.lakegate === null) {
      L.push(`| \`${t.scenario}\` | not measured | | | ${t.text} | |`);
      continue;
    }
    const kafka = e.kafka === null ? 'no tables' : `${fmt(e.kafka)} ${e.unit}`;
    L.push(`| \`${t.scenario}\` | ${fmt(e.lakegate)} ${e.unit} | ${kafka} | ${fmt(e.ratio, 3)} | ${t.text} | ${t.check(e) ? 'yes' : '**no**'} |`);
  }
  L.push('');
  L.push(...cpuBudget(groups));

  L.push('## All results', '');
  L.push('ratio = lakegate / Kafka, the median of the per-pair ratios; lakegate and Kafka columns are medians of the runs.', '');
  L.push('| scenario | metric | lakegate | Kafka | ratio | better | per-pair ratios |', '|---|---|---|---|---|---|---|');
  for (const d of details) {
    const e = d.entry;
    // two significant digits below 0.1, where two decimals would print 0.00 (against Kafka flushing)
    const pr = d.pairs.map((p) => (Math.abs(p.ratio) >= 0.1 ? p.ratio.toFixed(2) : p.ratio.toPrecision(2))).join(', ');
    L.push(`| \`${e.scenario}\` | ${e.metric} (${e.unit}) | ${fmt(e.lakegate)} | ${fmt(e.kafka)} | ${fmt(e.ratio, 3)} | ${e.better} | ${pr} |`);
  }
  L.push('');
  L.push('## Scenarios', '');
  L.push('| group | workload | records per run | runs (pairs) |', '|---|---|---|---|');
  for (const g of groups) {
    const rate = g.rate > 0 ? ` at ${g.rate.toLocaleString('en-US')} rec/s` : ' as fast as possible';
    L.push(`| \`${g.group.id}\` | ${describe(g.group)}${rate} (${g.group.what}) | ${g.records.toLocaleString('en-US')} | ${g.runs.filter((r) => r.server === 'kafka').length} |`);
  }
  L.push('');
  L.push('## Method', '');
  for (const s of meta.settings) L.push(`- ${s}`);
  L.push('');
  return L.join('\n');
}

/**
 * Where the CPU went in the baseline throughput group. The producer runs on the same cores as
 * the server, so when the machine is the limit a server's rate depends on the producer's CPU
 * per record as much as on its own; the estimate says what ratio a server using no CPU at all
 * would reach. Per-record costs are steady-state: cores in the run's late window
 * (PerfResult.lateWindowMs) over ProducerPerformance's steady-state records/s.
 */
function cpuBudget(groups: GroupResult[]): string[] {
  const g = groups.find((x) => x.group.id === BASELINE);
  if (!g) return [];
  const rows: { name: ServerName; recs: number; busy: number; producerCores: number; serverCores: number; producerUs: number; serverUs: number }[] = [];
  for (const name of ['kafka', ...LAKEGATE_MODES.map((m) => m.label)] as ServerName[]) {
    const runs = g.runs.filter((r) => r.server === name && r.perf.producerCoresLate !== undefined && r.usage.coresLate !== undefined);
    if (runs.length === 0) continue;
    const med = (f: (r: RunRecord) => number) => median(runs.map(f));
    rows.push({
      name,
      recs: med((r) => r.perf.recordsPerSec),
      busy: med((r) => r.machineBusy),
      producerCores: med((r) => r.perf.producerCoresLate!),
      serverCores: med((r) => r.usage.coresLate!),
      producerUs: med(M.clientCpu.get),
      serverUs: med((r) => (r.usage.coresLate! / r.perf.recordsPerSec) * 1e6),
    });
  }
  const label = (name: ServerName) => (name === 'kafka' ? 'Kafka' : `lakegate ${name}`);
  const kafka = rows.find((r) => r.name === 'kafka');
  if (!kafka || rows.length < 2) return [];
  const L = ['## CPU budget of the throughput targets', ''];
  L.push(
    `The producer shares the machine's ${availableParallelism()} cores with the server. In \`${BASELINE}\`, medians of the runs; cores are measured over 55-95% of each run's wall time, past the producer JVM's JIT warm-up, and per record means those cores over the steady-state records/s:`,
    '',
  );
  L.push('| server | records/s | machine busy (whole run) | producer cores | server cores | producer CPU per record | server CPU per record |', '|---|---|---|---|---|---|---|');
  for (const r of rows) {
    L.push(`| ${label(r.name)} | ${fmt(r.recs)} | ${Math.round(r.busy * 100)}% | ${r.producerCores.toFixed(2)} | ${r.serverCores.toFixed(2)} | ${r.producerUs.toFixed(1)} µs | ${r.serverUs.toFixed(1)} µs |`);
  }
  L.push('');
  const ceilings = rows
    .filter((r) => r !== kafka)
    .map((r) => `${((kafka.producerUs + kafka.serverUs) / r.producerUs).toFixed(2)}x at the producer's cost against ${label(r.name)}`);
  L.push(
    `Estimate, for a machine that is the limit (as busy as in Kafka's runs): a server that used no CPU at all would reach (Kafka's producer + server CPU per record) / (the producer's CPU per record against it) of Kafka's rate: ${ceilings.join('; ')}.`,
    '',
  );
  return L;
}

/** How the numbers were made, for the report. */
export function methodNotes(seconds: number, clientWarmSeconds: number, warmSeconds: number, lakegateWarmSeconds: number, groupWarmSeconds: number, runsFile: string, kafkaFlush = false): string[] {
  return [
    `Servers: one fresh Kafka (new log dir formatted with \`StorageTool format --standalone\`), one fresh lakegate \`--fsync before-ack\` ("sync", the default) and one fresh lakegate \`--fsync os\` ("relaxed"), each with a new data dir, serve every group of the invocation. All three stay up; only one is driven at a time, in the order Kafka, sync, relaxed, round after round. Pair i = (Kafka run i, lakegate run i).`,
    ...(kafkaFlush
      ? [
          `Durability reference (\`--kafka-flush\`): in the groups with targets, each round also runs "kafka-flush" right after Kafka: the same broker, with the run's topic created with \`flush.messages=1\`, so Kafka fsyncs each partition's log on every append before it answers, as "sync" lakegate makes its journal write durable before it acks. The \`*-vs-kafka-flush\` entries pair lakegate sync with it (ratio = lakegate / Kafka with flush.messages=1); they are not targets. At the latency group's fixed rate a server that cannot keep up falls behind, and its latency is then the producer's queue: \`latency-rate-half-rate-vs-kafka-flush\` gives the rate each achieved.`,
        ]
      : []),
    `Fairness: Kafka does not fsync per request by default (flush.messages/flush.ms unset; the OS writes back). "sync" lakegate answers acks=1/all once its journal write is durable (group commit; an O_DIRECT | O_DSYNC write on Linux, else write + fdatasync); "relaxed" lakegate answers once the write is in the OS and fdatasyncs only when a segment rolls, as Kafka does by default (\`--fsync os\`). Both are compared with the same Kafka run. CPU: the OS's writeback of dirty pages runs in kernel threads and counts for neither server, except that "sync" lakegate writes its journal to the disk and syncs its segments at checkpoints in its own threads, so its CPU figure includes work Kafka's does not.`,
    `Kafka: the stock KRaft \`config/server.properties\` of 4.x (num.network.threads=3, num.io.threads=8, 1 GiB segments, ...) with loopback ports; JVM as \`kafka-server-start.sh\` runs it: ${[...BROKER_HEAP, ...JVM_PERFORMANCE_OPTS].join(' ')}, GC log to a file, INFO logging to the captured console.`,
    `Client: \`org.apache.kafka.tools.ProducerPerformance\` from the same kafka-tools jar, one JVM per producer process (${PERF_HEAP.join(' ')} and the same G1 flags, as \`kafka-producer-perf-test.sh\`), \`--producer-props bootstrap.servers=... acks=... compression.type=...\` (acks=1 adds enable.idempotence=false; acks=all keeps the Java default, idempotence on), every other producer setting at its default. The payload is ProducerPerformance's: one random A-Z record reused for every record.`,
    `Warm-up (never measured): each server is first driven at full speed with the first group's workload, Kafka for ${warmSeconds} s and lakegate for ${lakegateWarmSeconds} s (JIT of Kafka's JVM and lakegate's V8, page cache, heap growth; Kafka's CPU per GB falls 2-3x over its first half minute, and its rate at the end sizes the runs), and for ${groupWarmSeconds} s more before any group whose workload differs from the previous one. Records per run: Kafka's rate over the last 5 s of the latest warm-up x (${clientWarmSeconds} s + ${seconds} s), the same count for both servers; the first ${clientWarmSeconds} s worth are the client's warm-up (below).`,
    `Each run: a fresh topic with the group's partition count created through the same admin client on both servers (kafkajs CreateTopics), \`sync\` so the previous run's writeback does not land in it, a wait for the machine to be quiet (it is shared), the run, then DeleteTopics. The per-run "other work" share in ${runsFile} says how much foreign CPU use overlapped each run.`,
    `Throughput: ProducerPerformance's records/sec and MB/sec (several processes: summed). Latency: its send-to-ack percentiles (worst process), including the producer's own batching (linger.ms=5). Both come from its steady-state summary: the first ${clientWarmSeconds} s worth of each run's records are \`--warmup-records\` and left out. Each run is a fresh producer JVM whose JIT compiler keeps one of the two cores busy for about its first 10 s; measured inside that window, the servers were judged on a client that starved them of CPU (lakegate sync's p99 at half rate: a median of 520 ms inside it, 6-10 ms after it). Server CPU and RSS cover the whole run, warm-up included.`,
    `Latency scenario: fixed rate = half the median Kafka records/s of ${BASELINE}, same workload; records = rate x (${clientWarmSeconds} s + ${seconds} s), the first ${clientWarmSeconds} s worth not measured. Its \`latency-client-*\` entries are the producer's own metrics over the whole run (\`--print-metrics\`): request-latency-avg (a produce request's round trip) and record-queue-time-avg (a batch's wait in the producer before a request carries it). The producer keeps at most 5 requests in flight on its one connection, so it can send at most 5 requests per round trip; when the round trip grows, records queue, and the queue time is most of the latency.`,
    `Server CPU: utime+stime (+ reaped children) of the server process from /proc/<pid>/stat between producer start and exit, divided by the payload produced (records x record size, 1 GB = 10^9 B). Peak RSS: the highest VmRSS sampled every 100 ms during the run.`,
    `rss-peak / cpu-s-per-gb (the targets) are measured during ${BASELINE}-sync, the "-relaxed" ones during ${BASELINE}-relaxed; every throughput scenario also lists its own.`,
    `Ratios: lakegate / Kafka for every pair, then the median; the lakegate and Kafka columns are medians of their runs. "better" says which direction wins.`,
    `Tables: Kafka only keeps a log. With \`--tables off\` (the default) lakegate's benchmark topics are created with \`table.format=none\`, so both servers do the same job; \`--tables on\` keeps lakegate's default and measures ingest while lakegate also materializes every topic into Iceberg. The "lakegate tables" line above says which this run used.`,
    `Materialization (lakegate only, after the Kafka comparison, its own server and data dir): bench/src/materialize.ts. materialize-json: a producer on the same machine that replays one pre-encoded Produce request (bench/src/replay-producer.ts: next to no client CPU) sends JSON (4 partitions, typed columns declared) at a fixed rate into a materialized topic; MB/s and records/s of it committed to the Iceberg table, from the table's first commit to its last one while the ingest ran, and materialize-json-lag, how long after the last acknowledgement the table held every record. materialize-json-drain: the pool alone, a JSON backlog produced with tables off, then the server restarted with tables on; MB/s from the first table commit until the table holds every record. freshness: acks=all batches every 100 ms at 10 MB/s of JSON; a record is visible at the first admin-API poll (every 25 ms) whose committed table offset covers it.`,
  ];
}
