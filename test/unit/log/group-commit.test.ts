import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommitter, PartitionLog } from '../../../src/log/index.js';
import { headersIn, makeBatch, opts, tempDir } from './helpers.js';

test('concurrent appends share writes and fdatasyncs, and get offsets in call order', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ fsync: 'before-ack' }));
    const N = 500;
    const batches = Array.from({ length: N }, (_, i) => makeBatch({ records: 2, tag: `p${i}` }));
    const results = await Promise.all(batches.map((b) => log.append(b.buf, b.header, {})));
    assert.deepEqual(
      results.map((r) => r.baseOffset),
      Array.from({ length: N }, (_, i) => BigInt(i * 2)),
    );
    assert.ok(log.stats.fdatasyncs <= 5, `expected a handful of fdatasyncs for ${N} appends, got ${log.stats.fdatasyncs}`);
    assert.equal(log.stats.batchesWritten, N);
    assert.ok(log.groupCommitStats.largestGroup >= 100);

    // A steady stream: callers arriving while a sync is in flight ride the next one.
    const before = log.stats.fdatasyncs;
    const waves: Promise<unknown>[] = [];
    for (let w = 0; w < 20; w++) {
      for (let i = 0; i < 25; i++) {
        const b = makeBatch({ tag: `w${w}-${i}` });
        waves.push(log.append(b.buf, b.header, {}));
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(waves);
    const used = log.stats.fdatasyncs - before;
    assert.ok(used < 500 / 5, `500 appends in 20 waves used ${used} fdatasyncs`);
    const hs = headersIn(await log.read(0n, 1 << 24));
    assert.equal(hs.length, N + 500);
    hs.forEach((h, i) => i > 0 && assert.equal(h.baseOffset, hs[i - 1]!.baseOffset + BigInt(hs[i - 1]!.lastOffsetDelta) + 1n));
    await log.close();
  } finally {
    await cleanup();
  }
});

test("'before-ack': the high watermark only covers synced data; an append resolves after its sync", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ fsync: 'before-ack' }));
    const b = makeBatch({ records: 4 });
    const p = log.append(b.buf, b.header, {});
    assert.equal(log.logEndOffset, 4n);
    assert.equal(log.highWatermark, 0n);
    assert.equal((await log.read(0n, 1000)).length, 0);
    await p;
    assert.equal(log.highWatermark, 4n);
    assert.equal(log.stats.fdatasyncs, 1);
    await log.close();
  } finally {
    await cleanup();
  }
});

test("'interval': appends resolve without fdatasync; a timer syncs in the background", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const interval = 150;
    const log = await PartitionLog.open(dir, 't', 0, opts({ fsync: 'interval', fsyncIntervalMs: interval }));
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      const b = makeBatch();
      await log.append(b.buf, b.header, {});
    }
    const elapsed = Date.now() - started;
    assert.equal(log.highWatermark, 50n);
    const before = log.stats.fdatasyncs;
    // Only the timer syncs: at most one per elapsed interval, never one per append.
    assert.ok(before <= Math.ceil(elapsed / interval) + 1, `${before} syncs in ${elapsed} ms of appends`);
    await new Promise((r) => setTimeout(r, interval * 3));
    assert.ok(log.stats.fdatasyncs > before, 'the timer should have synced the dirty segment');
    const idle = log.stats.fdatasyncs;
    await new Promise((r) => setTimeout(r, interval * 3));
    assert.equal(log.stats.fdatasyncs, idle, 'nothing new written, nothing to sync');
    await log.flush();
    await log.close();
  } finally {
    await cleanup();
  }
});

test("'os': appends resolve without fdatasync and nothing syncs until flush or close", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ fsync: 'os', fsyncIntervalMs: 50 }));
    for (let i = 0; i < 50; i++) {
      const b = makeBatch();
      await log.append(b.buf, b.header, {});
    }
    assert.equal(log.highWatermark, 50n, 'written batches are readable at once');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(log.stats.fdatasyncs, 0, 'no sync on the write path and no timer');
    await log.flush();
    assert.equal(log.stats.fdatasyncs, 1, 'flush makes the segment durable');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('acks=0 callers may drop the promise: a refused append is not an unhandled rejection', async () => {
  const { dir, cleanup } = await tempDir();
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts());
    const b = makeBatch({ producerId: 1n, epoch: 0, seq: 0 });
    void log.append(b.buf, b.header, {});
    const bad = makeBatch({ producerId: 1n, epoch: 0, seq: 7 });
    void log.append(bad.buf, bad.header, {});
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(unhandled, 0);
    await log.close();
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await cleanup();
  }
});

test('GroupCommitter: barriers split groups, a failure rejects in-flight and queued items', async () => {
  const groups: number[][] = [];
  const lost: number[] = [];
  let failAt = -1;
  const gc = new GroupCommitter<number>(
    async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      if (items.includes(failAt)) throw new Error('disk on fire');
      groups.push(items);
    },
    (_err, l) => lost.push(...l),
  );
  const order: string[] = [];
  for (let i = 0; i < 3; i++) gc.push(i);
  gc.pushBarrier(async () => {
    order.push(`barrier after ${groups.flat().length}`);
  });
  gc.push(3);
  gc.push(4);
  await gc.drain();
  assert.deepEqual(groups, [[0, 1, 2], [3, 4]]);
  assert.deepEqual(order, ['barrier after 3']);

  failAt = 6;
  gc.push(5);
  await new Promise((r) => setTimeout(r, 1));
  gc.push(6);
  gc.push(7);
  await gc.drain();
  assert.deepEqual(groups.slice(2), [[5]]);
  assert.deepEqual(lost, [6, 7]);
});
