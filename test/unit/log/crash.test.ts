import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { LogManager, ProducerIdAllocator } from '../../../src/log/index.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { CRASH_LOG_OPTIONS } from './crash-child.js';
import { tempDir } from './helpers.js';

interface Ack {
  offset: bigint;
  n: number;
  pid: bigint;
  seq: number;
}

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/** Runs the child until it has printed `lines` lines of `kind` (plus a random extra), then SIGKILLs it. */
function runAndKill(args: string[], kind: string, lines: number): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], {
      env: { ...process.env, LAKEGATE_CRASH_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const got: string[][] = [];
    let stderr = '';
    const target = lines + Math.floor(Math.random() * lines);
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parts = line.split(' ');
      if (parts[0] === kind) got.push(parts);
      if (got.length === target) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${stderr}`));
      // Lines the child wrote before dying are still in the pipe: let readline drain them.
      else setTimeout(() => resolve(got), 50);
    });
  });
}

test('kill -9 during before-ack appends: every acknowledged batch survives exactly once', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const acked = new Map<string, Ack>();
    for (let run = 1; run <= 3; run++) {
      for (const a of await runAndKill(['append', dir, String(run)], 'ACK', 400)) {
        acked.set(a[1]!, { offset: BigInt(a[2]!), n: Number(a[3]), pid: BigInt(a[4]!), seq: Number(a[5]) });
      }
      const logs = await LogManager.open(dir, CRASH_LOG_OPTIONS);
      const log = logs.get('crash', 0)!;
      assert.ok(log, 'the partition is recovered by LogManager.open');
      const seen = new Map<string, bigint[]>();
      let expected = 0n;
      for await (const { header, bytes } of log.batches()) {
        assert.equal(header.baseOffset, expected, 'offsets are contiguous');
        expected = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        const { records } = decodeRecordBatch(bytes);
        const tag = records[0]!.value!.toString().split('-')[0]!;
        records.forEach((r, j) => assert.ok(r.value!.toString().startsWith(`${tag}-${j}`)));
        seen.set(tag, [...(seen.get(tag) ?? []), header.baseOffset]);
      }
      assert.equal(expected, log.logEndOffset);
      for (const [tag, where] of seen) assert.equal(where.length, 1, `${tag} stored ${where.length} times`);
      for (const [tag, a] of acked) assert.deepEqual(seen.get(tag), [a.offset], `acknowledged ${tag} must be at ${a.offset}`);

      // A producer retrying its last acknowledged batch after the restart gets the original offset.
      const lastByProducer = new Map<bigint, [string, Ack]>();
      for (const [tag, x] of acked) if (x.pid >= 0n && tag.startsWith(`r${run}p`)) lastByProducer.set(x.pid, [tag, x]);
      assert.ok(lastByProducer.size > 0);
      for (const [tag, x] of lastByProducer.values()) {
        const retry = encodeRecordBatch({
          records: Array.from({ length: x.n }, (_, j) => ({ value: Buffer.from(`${tag}-${j}`) })),
          producerId: x.pid,
          producerEpoch: 0,
          baseSequence: x.seq,
        });
        const r = await log.append(retry, readRecordBatchHeader(retry), {});
        assert.equal(r.duplicate, true, `retry of ${tag}`);
        assert.equal(r.baseOffset, x.offset);
      }
      await logs.close();
    }
    assert.ok(acked.size >= 1200);
  } finally {
    await cleanup();
  }
});

test('kill -9 while allocating producer ids: ids are never handed out twice', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const seen = new Set<bigint>();
    for (let run = 0; run < 3; run++) {
      for (const [, id] of await runAndKill(['ids', dir], 'PID', 120)) {
        const v = BigInt(id!);
        assert.ok(!seen.has(v), `id ${v} handed out twice`);
        seen.add(v);
      }
    }
    const ids = await ProducerIdAllocator.open(dir, 50n);
    const next = await ids.allocate();
    for (const v of seen) assert.ok(next > v);
  } finally {
    await cleanup();
  }
});
