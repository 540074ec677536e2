/**
 * The lakegate server and the JSON workload the materialization benchmarks share
 * (materialize.ts: drain and freshness; materialize-live.ts: tables built while ingest runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { serverCommand } from './lakegate.js';

const { Kafka, logLevel } = kafkajs;
export const PARTITIONS = 4;
export const JSON_COLUMNS = 'id:long,customer:string,amount:double,ts:timestamptz';

export interface Server {
  child: ChildProcess;
  kafka: number;
  http: number;
  /** The writer pool's size, from the server's ready line (0 when it does not say). */
  writerThreads: number;
}

export async function start(cli: string, dataDir: string, writerThreads: number, configFile?: string): Promise<Server> {
  const args = ['serve', '--host', '127.0.0.1', '--kafka-port', '0', '--http-port', '0', '--data-dir', dataDir];
  if (writerThreads > 0) args.push('--writer-threads', String(writerThreads));
  if (configFile) args.push('--config', configFile);
  // e.g. BENCH_SERVER_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server (workers included).
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  // cli is <root>/dist/src/cli.js.
  const command = serverCommand(resolve(cli, '../../..'), args, nodeOptions);
  const child = spawn(command.cmd, command.args, { stdio: ['ignore', 'pipe', 'inherit'], env: command.env });
  let out = '';
  const ports = await new Promise<{ kafka: number; http: number; writerThreads: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('lakegate did not start'));
    }, 20_000);
    child.stdout!.on('data', (d) => {
      // BENCH_SERVER_LOG=<file> keeps the server's log lines (with LAKEGATE_LOG_LEVEL=debug, every commit's timings).
      if (process.env.BENCH_SERVER_LOG) appendFileSync(process.env.BENCH_SERVER_LOG, d);
      out += d;
      const m = /lakegate ready kafka=[^:]+:(\d+) http=[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const line = out.split('\n').find((l) => l.includes('lakegate ready')) ?? '';
        let pool = 0;
        try {
          pool = Number((JSON.parse(line) as { writerThreads?: number }).writerThreads ?? 0);
        } catch {
          // not a JSON log line: leave it unknown
        }
        resolve({ kafka: Number(m[1]), http: Number(m[2]), writerThreads: pool });
      }
    });
  });
  return { child, ...ports };
}

export async function stop(server: Server): Promise<void> {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

export async function committed(http: number, topic: string): Promise<Array<number | null>> {
  const res = await fetch(`http://127.0.0.1:${http}/admin/tables/${topic}`);
  if (!res.ok) return [];
  const body = (await res.json()) as { partitions: Array<{ partition: number; committedOffset: number | null }> };
  const out: Array<number | null> = [];
  for (const p of body.partitions) out[p.partition] = p.committedOffset;
  return out;
}

export function doc(i: number): string {
  return JSON.stringify({
    id: i,
    customer: `customer-${i % 997}`,
    amount: (i % 10_000) / 100,
    ts: new Date(1_700_000_000_000 + i).toISOString(),
    tags: ['alpha', 'beta', i % 2 ? 'gamma' : 'delta'],
    note: 'the quick brown fox jumps over the lazy dog '.repeat(4),
  });
}

export function kafkaClient(server: Server): InstanceType<typeof Kafka> {
  return new Kafka({ clientId: 'bench-materialize', brokers: [`127.0.0.1:${server.kafka}`], logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: InstanceType<typeof Kafka>, topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, configEntries: Object.entries({ 'value.format': 'json', 'value.json.columns': JSON_COLUMNS, ...configs }).map(([name, value]) => ({ name, value })) }],
  });
  await admin.disconnect();
}
