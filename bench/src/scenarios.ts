// What the benchmark runs. A group is one workload; each group starts fresh servers
// (Kafka, lakegate syncing before ack, lakegate with relaxed syncing) and runs them in turn,
// round after round, so every lakegate run has a Kafka run next to it (its pair).
export interface Group {
  /** scenario names are `${id}-sync` and `${id}-relaxed` */
  id: string;
  kind: 'throughput' | 'latency';
  recordSize: number;
  partitions: number;
  acks: 'all' | '1';
  compression: 'none' | 'lz4' | 'zstd';
  processes: number;
  /** part of `--quick` (the four targets) */
  quick: boolean;
  /** what this group varies against the baseline */
  what: string;
}

/** The whole workload of a group, in words. */
export function describe(g: Group): string {
  const size = g.recordSize >= 1024 ? `${g.recordSize / 1024} KiB` : `${g.recordSize} B`;
  const acks = g.acks === 'all' ? 'acks=all (idempotent)' : 'acks=1 (not idempotent)';
  const comp = g.compression === 'none' ? 'no compression' : g.compression;
  const procs = g.processes === 1 ? '1 producer' : `${g.processes} producer processes`;
  return `${size} records, ${g.partitions} partition${g.partitions > 1 ? 's' : ''}, ${acks}, ${comp}, ${procs}`;
}

const base = { kind: 'throughput', recordSize: 1024, partitions: 8, acks: 'all', compression: 'none', processes: 1, quick: false } as const;

export const BASELINE = 'throughput-1k-8p-acksall';
export const LATENCY = 'latency-half-rate';

export const GROUPS: Group[] = [
  { ...base, id: BASELINE, quick: true, what: 'the baseline' },
  { ...base, id: 'throughput-100b-8p-acksall', recordSize: 100, what: 'record size 100 B' },
  { ...base, id: 'throughput-1k-1p-acksall', partitions: 1, what: '1 partition' },
  { ...base, id: 'throughput-1k-8p-acks1', acks: '1', what: 'acks=1' },
  { ...base, id: 'throughput-1k-8p-acksall-lz4', compression: 'lz4', what: 'lz4 compression' },
  { ...base, id: 'throughput-1k-8p-acksall-zstd', compression: 'zstd', what: 'zstd compression' },
  { ...base, id: 'throughput-1k-64p-acksall', partitions: 64, what: 'scaling: 64 partitions' },
  { ...base, id: 'throughput-1k-8p-acksall-4proc', processes: 4, what: 'scaling: 4 producer processes' },
  { ...base, id: 'throughput-1k-8p-acksall-16proc', processes: 16, what: 'scaling: 16 producer processes' },
  {
    ...base,
    id: LATENCY,
    kind: 'latency',
    quick: true,
    what: `latency at a fixed rate, half of Kafka's median max rate in ${BASELINE}`,
  },
];

export type ModeLabel = 'sync' | 'relaxed';
export interface LakegateMode {
  label: ModeLabel;
  fsync: 'before-ack' | 'interval' | 'os';
  what: string;
}

/** Which lakegate variants run next to Kafka, and the label each scenario carries. */
export const LAKEGATE_MODES: readonly LakegateMode[] = [
  { label: 'sync', fsync: 'before-ack', what: 'lakegate default: the journal write is durable before the ack (durable against power loss)' },
  { label: 'relaxed', fsync: 'os', what: "lakegate --fsync os: ack once written to the OS, fdatasync only at segment roll and shutdown (Kafka's default: flush.messages/flush.ms unset)" },
];
