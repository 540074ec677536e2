import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, mkdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager, ProducerIdAllocator, PRODUCER_ID_FILE } from '../../../src/log/index.js';
import { JOURNAL_FILE_BYTES } from '../../../src/log/log-manager.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { makeBatch, opts, tempDir } from './helpers.js';

test('LogManager creates <topic>-<partition> dirs, recovers them on open, deletes topics', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let m = await LogManager.open(dir, opts());
    const [a, b] = await Promise.all([m.getOrCreate('orders', 0), m.getOrCreate('orders', 0)]);
    assert.equal(a, b, 'concurrent getOrCreate opens the partition once');
    const p1 = await m.getOrCreate('orders', 1, { segmentBytes: 4096 });
    assert.equal(p1.options.segmentBytes, 4096);
    const other = await m.getOrCreate('my.topic_with-dashes-2', 3);
    assert.equal(m.get('orders', 2), undefined);
    for (const log of [a, p1, other]) for (let i = 0; i < 3; i++) await log.append(makeBatch().buf, makeBatch().header, {});
    assert.deepEqual((await readdir(dir)).sort(), ['journal', 'my.topic_with-dashes-2-3', 'orders-0', 'orders-1'], 'the partition dirs and the sync journal');
    assert.deepEqual((await readdir(join(dir, 'orders-0'))).filter((f) => !f.includes('producers')).sort(), [
      '00000000000000000000.index',
      '00000000000000000000.log',
      '00000000000000000000.timeindex',
      'recovery-checkpoint.json',
    ]);
    await m.close();

    m = await LogManager.open(dir, opts());
    assert.equal(m.all().length, 3);
    assert.equal(m.get('my.topic_with-dashes-2', 3)!.logEndOffset, 3n);
    assert.equal(m.get('orders', 1)!.options.segmentBytes, opts().segmentBytes, 'overrides come from the caller, not the disk');
    assert.equal((await m.getOrCreate('orders', 1, { segmentBytes: 4096 })).options.segmentBytes, 4096);
    await m.deleteTopic('orders');
    assert.equal(m.get('orders', 0), undefined);
    assert.deepEqual((await readdir(dir)).sort(), ['journal', 'my.topic_with-dashes-2-3']);
    const fresh = await m.getOrCreate('orders', 0);
    assert.equal(fresh.logEndOffset, 0n);
    await m.close();
  } finally {
    await cleanup();
  }
});

test('a topic re-created while its deletion is still running gets a new, empty directory that keeps what it acknowledges', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let m = await LogManager.open(dir, opts());
    const old = await m.getOrCreate('again', 0);
    for (let i = 0; i < 3; i++) await old.append(makeBatch().buf, makeBatch().header, {});
    const deletion = m.deleteTopic('again');
    // Asked for before the deletion (a journal checkpoint, a rename, a removal) is done.
    const fresh = await m.getOrCreate('again', 0);
    await deletion;
    assert.notEqual(fresh, old);
    assert.equal(fresh.logEndOffset, 0n, "none of the deleted topic's records");
    await fresh.append(makeBatch().buf, makeBatch().header, {});
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('again')), ['again-0']);
    await m.close();
    m = await LogManager.open(dir, opts());
    assert.equal(m.get('again', 0)?.logEndOffset, 1n, 'the acknowledged append survived');
    await m.close();
  } finally {
    await cleanup();
  }
});

test('batches replayed from the journal under another fsync policy are synced before the journal drops them', async () => {
  const { dir, cleanup } = await tempDir();
  const crashed = `${dir}-crashed`;
  try {
    const m = await LogManager.open(dir, opts());
    const log = await m.getOrCreate('replayed', 0);
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ tag: `b${i}` }).buf, makeBatch().header, {});
    // The state a power loss could leave: acknowledged batches in the journal, the segment's
    // page cache gone.
    await cp(dir, crashed, { recursive: true });
    await m.close();
    await truncate(join(crashed, 'replayed-0', '00000000000000000000.log'), 0);

    const reopened = await LogManager.open(crashed, opts({ fsync: 'os' }));
    const back = reopened.get('replayed', 0)!;
    assert.equal(back.logEndOffset, 5n, 'replayed from the journal');
    assert.ok(back.stats.fdatasyncs > 0, 'and synced before the journal checkpoint moved past them');
    await reopened.close();
  } finally {
    await rm(crashed, { recursive: true, force: true });
    await cleanup();
  }
});

test('one log that failed on a write does not fail the sync journal of the others while its data still syncs', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const m = await LogManager.open(dir, opts());
    const a = await m.getOrCreate('a', 0);
    const b = await m.getOrCreate('b', 0);
    await a.append(makeBatch().buf, makeBatch().header, {});
    // As a write error (ENOSPC, say) fails it: later appends are refused, earlier data stays.
    (a as unknown as { fail(err: unknown, lost: unknown[]): void }).fail(new Error('injected write failure'), []);
    await assert.rejects(a.append(makeBatch().buf, makeBatch().header, {}), /injected write failure/);
    // Past two journal checkpoints (one per journal file).
    const big = makeBatch({ valueSize: 256 * 1024 });
    const appends = Math.ceil((2.5 * JOURNAL_FILE_BYTES) / big.buf.length);
    for (let i = 0; i < appends; i++) await b.append(big.buf, big.header, {});
    assert.equal(b.logEndOffset, BigInt(appends));
    const c = await m.getOrCreate('c', 0);
    await c.append(makeBatch().buf, makeBatch().header, {});
    await m.close().catch(() => {});
  } finally {
    await cleanup();
  }
});

test('a journal checkpoint syncs each segment written since the last one, up to its size', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const m = await LogManager.open(dir, opts());
    const log = await m.getOrCreate('paced', 0);
    const big = makeBatch({ valueSize: 600 * 1024 });
    for (let i = 0; i < 5; i++) await log.append(big.buf, big.header, {});
    type Internals = { active: { size: number; syncedSize: number }; stats: { fdatasyncs: number } };
    const seg = (log as unknown as Internals).active;
    assert.equal(seg.syncedSize, 0, 'acknowledged through the journal, not yet synced in the segment');
    const before = log.stats.fdatasyncs;
    await (m as unknown as { journal: { checkpointNow(): Promise<void> } }).journal.checkpointNow();
    assert.equal(log.stats.fdatasyncs, before + 1);
    assert.equal(seg.syncedSize, seg.size, 'the checkpoint paced its write-back from 0 to the size');
    assert.ok(seg.size >= 5 * big.buf.length);
    await log.append(big.buf, big.header, {});
    await (m as unknown as { journal: { checkpointNow(): Promise<void> } }).journal.checkpointNow();
    assert.equal(seg.syncedSize, seg.size, 'and the next one from there');
    await m.close();
  } finally {
    await cleanup();
  }
});

test('a failed log syncs what the journal vouched for before its handles close at shutdown', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const m = await LogManager.open(dir, opts());
    const a = await m.getOrCreate('failing', 0);
    await a.append(makeBatch().buf, makeBatch().header, {});
    const before = a.stats.fdatasyncs;
    (a as unknown as { fail(err: unknown, lost: unknown[]): void }).fail(new Error('injected write failure'), []);
    // The journal checkpoint at shutdown drops the journal's copy: the segment must be synced first.
    await m.close().catch(() => {});
    assert.equal(a.stats.fdatasyncs, before + 1, 'its segment was synced at close');
  } finally {
    await cleanup();
  }
});

test('journal batches past a gap in the log are dropped at replay, not a refusal to start', async () => {
  const { dir, cleanup } = await tempDir();
  const crashed = `${dir}-crashed`;
  try {
    // A batch too large for a journal file is made durable by a segment fdatasync; the next
    // group's journal record can be durable first. A power loss can then leave the journal
    // with the next batch and the segment without the large one (neither was acknowledged).
    const m = await LogManager.open(dir, opts());
    const log = await m.getOrCreate('gap', 0);
    const large = makeBatch({ valueSize: JOURNAL_FILE_BYTES + 1024 });
    await log.append(large.buf, large.header, {});
    await log.append(makeBatch({ tag: 'next' }).buf, makeBatch().header, {});
    await cp(dir, crashed, { recursive: true });
    await m.close();
    // The copy is of the state after both syncs; an empty segment stands for a power loss
    // that came before the large batch's fdatasync but after the next batch's journal sync.
    await truncate(join(crashed, 'gap-0', '00000000000000000000.log'), 0);

    const reopened = await LogManager.open(crashed, opts());
    assert.equal(reopened.get('gap', 0)!.logEndOffset, 0n, 'the batch after the lost one is not replayed at a wrong offset');
    const l = reopened.get('gap', 0)!;
    await l.append(makeBatch().buf, makeBatch().header, {});
    assert.equal(l.logEndOffset, 1n, 'and the log takes appends');
    await reopened.close();
  } finally {
    await rm(crashed, { recursive: true, force: true });
    await cleanup();
  }
});

test('LogManager refuses names that are not legal Kafka topics and finishes interrupted deletes', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'gone-0.123-delete'), { recursive: true });
    const m = await LogManager.open(dir, opts());
    assert.deepEqual(await readdir(dir), ['journal'], 'only the sync journal');
    for (const bad of ['', '..', 'a/b', 'x'.repeat(250), 'spaces are bad']) {
      await assert.rejects(m.getOrCreate(bad, 0), (e: KafkaError) => e.code === ErrorCode.INVALID_TOPIC_EXCEPTION);
    }
    await assert.rejects(m.getOrCreate('ok', -1), (e: KafkaError) => e.code === ErrorCode.INVALID_PARTITIONS);
    await m.close();
  } finally {
    await cleanup();
  }
});

test('ProducerIdAllocator: unique ids, concurrent callers, no reuse after reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let ids = await ProducerIdAllocator.open(dir, 10n);
    const first = await Promise.all(Array.from({ length: 25 }, () => ids.allocate()));
    assert.equal(new Set(first).size, 25);
    assert.deepEqual(
      [...first].sort((x, y) => Number(x - y)),
      Array.from({ length: 25 }, (_, i) => BigInt(i)),
    );
    // The block end is on disk before any id of the block is used.
    assert.deepEqual(JSON.parse(await readFile(join(dir, PRODUCER_ID_FILE), 'utf8')), { nextBlockStart: '30' });
    ids = await ProducerIdAllocator.open(dir, 10n);
    assert.equal(await ids.allocate(), 30n);
  } finally {
    await cleanup();
  }
});
