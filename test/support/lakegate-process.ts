/**
 * Runs the real `lakegate serve` as a child process for integration tests: loopback only,
 * a free port, a fresh data dir, and always stopped (SIGTERM, or SIGKILL to simulate a crash).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/src/cli.js, next to dist/test/support/ in the build output. */
export const CLI = path.resolve(here, '../../src/cli.js');
/** bin/lakegate, the launcher users run (npm start): the server under its V8 settings. */
export const LAUNCHER = path.resolve(here, '../../../bin/lakegate');

export interface LakegateProcess {
  port: number;
  httpPort: number;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export function freshDataDir(prefix = 'lakegate-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startLakegate(
  opts: {
    dataDir?: string;
    port?: number;
    httpPort?: number;
    args?: string[];
    env?: Record<string, string>;
    /** Set by bash's ulimit before the server starts: open descriptors (-n), largest file in KiB (-f). */
    limits?: { openFiles?: number; fileSizeKiB?: number };
  } = {},
): Promise<LakegateProcess> {
  const dataDir = opts.dataDir ?? freshDataDir();
  const args = ['serve', '--host', '127.0.0.1', '--kafka-port', String(opts.port ?? 0), '--http-port', String(opts.httpPort ?? 0), '--data-dir', dataDir, ...(opts.args ?? [])];
  const env = { ...process.env, ...opts.env };
  // exec keeps the pid: signals sent to the child reach the server itself.
  const ulimits = [
    ...(opts.limits?.openFiles !== undefined ? [`ulimit -n ${opts.limits.openFiles}`] : []),
    ...(opts.limits?.fileSizeKiB !== undefined ? [`ulimit -f ${opts.limits.fileSizeKiB}`] : []),
  ];
  const child =
    ulimits.length === 0
      ? spawn(LAUNCHER, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn('/bin/bash', ['-c', `${ulimits.join(' && ')} && exec "$0" "$@"`, LAUNCHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const ports = await new Promise<{ port: number; httpPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lakegate did not start within 20 s:\n${out}`)), 20_000);
    const onData = () => {
      const m = /lakegate ready kafka=[^:]+:(\d+) http=[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve({ port: Number(m[1]), httpPort: Number(m[2]) });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lakegate exited with ${code} before it was ready:\n${out}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { ...ports, dataDir, child, output: () => out, stop: () => stopWith('SIGTERM'), kill9: () => stopWith('SIGKILL') };
}

export interface DumpedRecord {
  offset: number;
  timestamp: number;
  timestampType: string;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

/** Runs `lakegate dump-log --json` and parses its lines. */
export function dumpLog(dataDir: string, topic: string, partition: number): DumpedRecord[] {
  const res = spawnSync(process.execPath, [CLI, 'dump-log', '--data-dir', dataDir, '--topic', topic, '--partition', String(partition), '--json'], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`dump-log failed (${res.status}): ${res.stderr}`);
  return res.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as DumpedRecord);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
