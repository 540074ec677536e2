import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, open, readFile, readdir, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FILE, PartitionLog, SNAPSHOT_SUFFIX, type LogOptions } from '../../../src/log/index.js';
import { hasValidCrc } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { headersIn, makeBatch, opts, tempDir } from './helpers.js';

const seg0 = '00000000000000000000';

interface Written {
  dir: string;
  cleanup: () => Promise<void>;
  /** [baseOffset, endOffset, file position, size] of every batch, in order. */
  batches: { base: bigint; end: bigint; size: number }[];
  o: LogOptions;
}

/** Writes n idempotent batches (producer 1, epoch 0, seq = batch index), then stops like a crash. */
async function writeThenCrash(n: number, o: LogOptions = opts()): Promise<Written> {
  const { dir, cleanup } = await tempDir();
  const log = await PartitionLog.open(dir, 't', 0, o);
  const batches: Written['batches'] = [];
  for (let i = 0; i < n; i++) {
    const b = makeBatch({ records: 1 + (i % 3), producerId: 1n, epoch: 0, seq: seqOf(i), tag: `b${i}` });
    const r = await log.append(b.buf, b.header, {});
    batches.push({ base: r.baseOffset, end: r.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n, size: b.buf.length });
  }
  await log.abort();
  return { dir, cleanup, batches, o };
}

function seqOf(i: number): number {
  let s = 0;
  for (let j = 0; j < i; j++) s += 1 + (j % 3);
  return s;
}

/** Asserts the reopened log holds exactly the first `keep` batches, contiguous and readable. */
async function assertKeeps(log: PartitionLog, w: Written, keep: number): Promise<void> {
  const end = keep === 0 ? 0n : w.batches[keep - 1]!.end;
  assert.equal(log.logEndOffset, end);
  assert.equal(log.highWatermark, end);
  const seen: bigint[] = [];
  for await (const { header, bytes } of log.batches()) {
    assert.ok(hasValidCrc(bytes));
    seen.push(header.baseOffset);
  }
  assert.deepEqual(seen, w.batches.slice(0, keep).map((b) => b.base));
  for (let i = 0; i < keep; i++) {
    assert.equal(headersIn(await log.read(w.batches[i]!.base, 1))[0]!.baseOffset, w.batches[i]!.base);
  }
  // The log continues right after what it kept, and the producer continues its sequence.
  const next = makeBatch({ producerId: 1n, epoch: 0, seq: seqOf(keep) });
  assert.equal((await log.append(next.buf, next.header, {})).baseOffset, end);
}

async function flipByte(path: string, position: number): Promise<void> {
  const h = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await h.read(b, 0, 1, position);
  b[0] = b[0]! ^ 0xff;
  await h.write(b, 0, 1, position);
  await h.close();
}

function positionOf(w: Written, i: number): number {
  return w.batches.slice(0, i).reduce((s, b) => s + b.size, 0);
}

test('a file truncated mid-batch keeps every complete batch', async () => {
  const w = await writeThenCrash(10);
  try {
    await truncate(join(w.dir, `${seg0}.log`), positionOf(w, 7) + 30);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    assert.equal(log.stats.recoveryTruncatedBytes, 30);
    assert.equal((await stat(join(w.dir, `${seg0}.log`))).size, positionOf(w, 7));
    await assertKeeps(log, w, 7);
    // The truncated batch's sequence is not in the producer state: a retry of it is new data.
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('a file truncated inside the 12-byte prefix of a batch is cut at the batch start', async () => {
  const w = await writeThenCrash(5);
  try {
    await truncate(join(w.dir, `${seg0}.log`), positionOf(w, 4) + 5);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    await assertKeeps(log, w, 4);
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('a flipped CRC byte in the tail drops that batch and everything after it', async () => {
  const w = await writeThenCrash(10);
  try {
    await flipByte(join(w.dir, `${seg0}.log`), positionOf(w, 8) + 17); // CRC field of batch 8
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    await assertKeeps(log, w, 8);
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('a flipped byte in a record body is caught by the CRC', async () => {
  const w = await writeThenCrash(6);
  try {
    await flipByte(join(w.dir, `${seg0}.log`), positionOf(w, 5) + w.batches[5]!.size - 3);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    await assertKeeps(log, w, 5);
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('garbage appended after the last batch is cut off', async () => {
  for (const garbage of [
    Buffer.from('this is not a record batch at all, just noise'),
    Buffer.alloc(4096), // preallocated zeros: Length 0 is not a batch
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 99, 0x7f, 0xff, 0xff, 0xff]), // absurd Length
  ]) {
    const w = await writeThenCrash(4);
    try {
      await appendFile(join(w.dir, `${seg0}.log`), garbage);
      const log = await PartitionLog.open(w.dir, 't', 0, w.o);
      assert.equal(log.stats.recoveryTruncatedBytes, garbage.length);
      await assertKeeps(log, w, 4);
      await log.close();
    } finally {
      await w.cleanup();
    }
  }
});

test('a valid batch with a non-contiguous BaseOffset ends the log', async () => {
  const w = await writeThenCrash(3);
  try {
    const stray = encodeRecordBatch({ records: [{ value: Buffer.from('x') }], baseOffset: 1000n });
    assert.ok(hasValidCrc(stray));
    await appendFile(join(w.dir, `${seg0}.log`), stray);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    await assertKeeps(log, w, 3);
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('a batch truncated by recovery is not remembered by the producer state', async () => {
  const w = await writeThenCrash(5);
  try {
    await truncate(join(w.dir, `${seg0}.log`), positionOf(w, 4) + 10);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    // The retry of batch 4 is accepted as new data at the offset it had before the crash.
    const retry = makeBatch({ records: 1 + (4 % 3), producerId: 1n, epoch: 0, seq: seqOf(4), tag: 'b4' });
    const r = await log.append(retry.buf, retry.header, {});
    assert.equal(r.duplicate, false);
    assert.equal(r.baseOffset, w.batches[4]!.base);
    // And batch 3 is still recognised as a duplicate.
    const dup = makeBatch({ records: 1 + (3 % 3), producerId: 1n, epoch: 0, seq: seqOf(3), tag: 'b3' });
    assert.deepEqual(await log.append(dup.buf, dup.header, {}), { ...r, baseOffset: w.batches[3]!.base, duplicate: true });
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('deleted or corrupt index files are rebuilt, after a clean close and after a crash', async () => {
  const o = opts({ segmentBytes: 800, indexIntervalBytes: 100 });
  for (const damage of ['delete', 'garbage', 'shifted', 'torn'] as const) {
    for (const clean of [true, false]) {
      const { dir, cleanup } = await tempDir();
      try {
        let log = await PartitionLog.open(dir, 't', 0, o);
        const bases: bigint[] = [];
        for (let i = 0; i < 40; i++) {
          const b = makeBatch({ records: 2, timestamp: 10_000n + BigInt(i) * 10n, valueSize: 30 });
          bases.push((await log.append(b.buf, b.header, {})).baseOffset);
        }
        const segs = log.segmentBaseOffsets();
        assert.ok(segs.length >= 3);
        if (clean) await log.close();
        else await log.abort();
        for (const base of segs) {
          const name = base.toString().padStart(20, '0');
          for (const suffix of ['.index', '.timeindex']) {
            const p = join(dir, name + suffix);
            const old = await readFile(p);
            if (damage === 'delete') await unlink(p);
            if (damage === 'garbage') await writeFile(p, Buffer.from('garbage garbage garbage!'));
            if (damage === 'torn' && old.length > 0) await writeFile(p, old.subarray(0, old.length - 3));
            if (damage === 'shifted' && suffix === '.index' && old.length > 0) {
              const s = Buffer.from(old);
              for (let q = 0; q < s.length; q += 8) s.writeInt32BE(s.readInt32BE(q + 4) + 7, q + 4);
              await writeFile(p, s);
            }
          }
        }
        log = await PartitionLog.open(dir, 't', 0, o);
        assert.equal(log.logEndOffset, 80n, `${damage}/${clean}`);
        for (const base of bases) {
          for (const off of [base, base + 1n]) {
            assert.equal(headersIn(await log.read(off, 1))[0]!.baseOffset, base, `${damage}/${clean} offset ${off}`);
          }
        }
        for (let i = 0; i < 40; i++) {
          assert.deepEqual(await log.offsetForTimestamp(10_000n + BigInt(i) * 10n), { offset: BigInt(2 * i), timestamp: 10_000n + BigInt(i) * 10n });
          assert.deepEqual(await log.offsetForTimestamp(10_001n + BigInt(i) * 10n), { offset: BigInt(2 * i + 1), timestamp: 10_001n + BigInt(i) * 10n });
        }
        assert.deepEqual(await log.maxTimestamp(), { offset: 79n, timestamp: 10_391n });
        await log.close();
        // After the repair a clean reopen trusts the rewritten files.
        log = await PartitionLog.open(dir, 't', 0, o);
        assert.equal(log.stats.openedClean, true);
        assert.equal(headersIn(await log.read(41n, 1))[0]!.baseOffset, 40n);
        await log.close();
      } finally {
        await cleanup();
      }
    }
  }
});

test('a clean-shutdown record does not hide a tail modified afterwards', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let log = await PartitionLog.open(dir, 't', 0, opts());
    for (let i = 0; i < 5; i++) await log.append(makeBatch().buf, makeBatch().header, {});
    await log.close();
    await appendFile(join(dir, `${seg0}.log`), Buffer.from('junk after a clean close'));
    log = await PartitionLog.open(dir, 't', 0, opts());
    assert.equal(log.stats.openedClean, false);
    assert.equal(log.logEndOffset, 5n);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('damage in an older segment (no checkpoint) cuts the log there and removes later segments', async () => {
  const o = opts({ segmentBytes: 500 });
  const w = await writeThenCrash(30, o);
  try {
    await unlink(join(w.dir, CHECKPOINT_FILE));
    const logs = (await readdir(w.dir)).filter((f) => f.endsWith('.log')).sort();
    assert.ok(logs.length >= 4);
    // Find the batch that starts the second segment and damage the one after it.
    const secondBase = BigInt(logs[1]!.slice(0, 20));
    const idx = w.batches.findIndex((b) => b.base === secondBase);
    await flipByte(join(w.dir, logs[1]!), w.batches[idx]!.size + 20);
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    assert.equal(log.segmentCount, 2);
    const left = (await readdir(w.dir)).filter((f) => f.endsWith('.log') || f.endsWith('index'));
    assert.equal(left.length, 6);
    await assertKeeps(log, w, idx + 1);
    await log.close();
  } finally {
    await w.cleanup();
  }
});

test('producer state is rebuilt by scanning when snapshots are missing or corrupt', async () => {
  const o = opts({ segmentBytes: 400 });
  for (const damage of ['delete', 'corrupt'] as const) {
    const w = await writeThenCrash(20, o);
    try {
      const snaps = (await readdir(w.dir)).filter((f) => f.endsWith(SNAPSHOT_SUFFIX));
      assert.ok(snaps.length >= 1);
      for (const s of snaps) {
        if (damage === 'delete') await unlink(join(w.dir, s));
        else await writeFile(join(w.dir, s), '{"version":1,"offset":');
      }
      const log = await PartitionLog.open(w.dir, 't', 0, w.o);
      const last = makeBatch({ records: 1 + (19 % 3), producerId: 1n, epoch: 0, seq: seqOf(19), tag: 'b19' });
      const r = await log.append(last.buf, last.header, {});
      assert.equal(r.duplicate, true);
      assert.equal(r.baseOffset, w.batches[19]!.base);
      const stale = makeBatch({ producerId: 1n, epoch: 0, seq: seqOf(10) });
      await assert.rejects(log.append(stale.buf, stale.header, {}), (e: KafkaError) => e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      await log.close();
    } finally {
      await w.cleanup();
    }
  }
});

test('a crash right after a roll (empty new segment) recovers to the same end', async () => {
  const o = opts({ segmentBytes: 300 });
  const w = await writeThenCrash(12, o);
  try {
    const log = await PartitionLog.open(w.dir, 't', 0, w.o);
    const segs = log.segmentBaseOffsets();
    await log.abort();
    // Simulate the crash window between creating the next segment and writing to it.
    const nextBase = w.batches[11]!.end;
    await writeFile(join(w.dir, `${nextBase.toString().padStart(20, '0')}.log`), Buffer.alloc(0));
    const again = await PartitionLog.open(w.dir, 't', 0, w.o);
    assert.equal(again.segmentCount, segs.length + 1);
    await assertKeeps(again, w, 12);
    await again.close();
  } finally {
    await w.cleanup();
  }
});

test('a segment rebuilt by recovery keeps its maximum timestamp in the time index for later clean opens', async () => {
  const { dir, cleanup } = await tempDir();
  const o = opts({ segmentBytes: 1000, fsync: 'os' });
  try {
    let log = await PartitionLog.open(dir, 't', 0, o);
    // Three small batches (below one index interval, so no time-index entry of their own), then
    // one large enough to roll: segment 0 holds offsets 0-2, segment 3 offset 3.
    for (let i = 0; i < 3; i++) {
      const b = makeBatch({ timestamp: BigInt(1000 * (i + 1)), tag: `a${i}` });
      await log.append(b.buf, b.header, {});
    }
    const big = makeBatch({ timestamp: 4000n, valueSize: 900 });
    await log.append(big.buf, big.header, {});
    assert.deepEqual(log.segmentBaseOffsets(), [0n, 3n]);
    await log.abort();
    // The crash window inside a roll: the new segment exists, the recovery point is still 0, so
    // the next open rescans segment 0 and writes its indexes again.
    await writeFile(join(dir, CHECKPOINT_FILE), JSON.stringify({ recoveryPoint: '0', clean: null }));
    log = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(log.stats.openedClean, false);
    await log.close();
    // A clean open trusts the rewritten index files.
    log = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(log.stats.openedClean, true);
    assert.deepEqual(await log.offsetForTimestamp(500n), { offset: 0n, timestamp: 1000n });
    assert.deepEqual(await log.offsetForTimestamp(2500n), { offset: 2n, timestamp: 3000n });
    assert.deepEqual(await log.maxTimestamp(), { offset: 3n, timestamp: 4000n });
    await log.close();
  } finally {
    await cleanup();
  }
});
