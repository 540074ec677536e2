import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEADER_EPOCH, PartitionLog, OffsetIndex } from '../../../src/log/index.js';
import { hasValidCrc } from '../../../src/protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../../src/protocol/records/records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { headersIn, makeBatch, opts, tempDir } from './helpers.js';

test('append assigns contiguous offsets and read returns the batches as written', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts());
    assert.equal(log.logStartOffset, 0n);
    assert.equal(log.logEndOffset, 0n);
    const b1 = makeBatch({ records: 3, tag: 'a' });
    const b2 = makeBatch({ records: 2, tag: 'b' });
    const r1 = await log.append(b1.buf, b1.header, {});
    const r2 = await log.append(b2.buf, b2.header, {});
    assert.deepEqual(r1, { baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, duplicate: false });
    assert.equal(r2.baseOffset, 3n);
    assert.equal(log.logEndOffset, 5n);
    assert.equal(log.highWatermark, 5n);

    const all = await log.read(0n, 1 << 20);
    assert.deepEqual(all, Buffer.concat([b1.buf, b2.buf]));
    const decoded = decodeRecordBatch(all.subarray(b1.buf.length));
    assert.deepEqual(
      decoded.records.map((r) => r.offset),
      [3n, 4n],
    );
    // An offset inside a batch returns the whole batch holding it.
    assert.deepEqual(headersIn(await log.read(4n, 1 << 20)).map((h) => h.baseOffset), [3n]);
    // maxBytes smaller than the first batch still returns that one batch, and only whole batches.
    assert.deepEqual(headersIn(await log.read(0n, 1)).map((h) => h.baseOffset), [0n]);
    assert.equal((await log.read(0n, b1.buf.length + 10)).length, b1.buf.length);
    assert.equal((await log.read(5n, 100)).length, 0);
    await assert.rejects(log.read(6n, 100), (e: KafkaError) => e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('LogAppendTime is stamped, reported and keeps a valid CRC', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts());
    const b = makeBatch({ records: 2 });
    const r = await log.append(b.buf, b.header, { logAppendTimeMs: 1234n });
    assert.equal(r.logAppendTimeMs, 1234n);
    const { header, records } = decodeRecordBatch(await log.read(0n, 1000));
    assert.equal(header.maxTimestamp, 1234n);
    assert.deepEqual(records.map((x) => x.timestamp), [1234n, 1234n]);
    // Every record carries the append time: -3 answers with the first of them, as Kafka does.
    assert.deepEqual(await log.maxTimestamp(), { offset: 0n, timestamp: 1234n });
    await log.close();
  } finally {
    await cleanup();
  }
});

test('rolls segments by size, reads across them, and reopens cleanly without scanning', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const o = opts({ segmentBytes: 1000, indexIntervalBytes: 150 });
    const log = await PartitionLog.open(dir, 't', 0, o);
    const sizes: number[] = [];
    let offsets = 0n;
    for (let i = 0; i < 60; i++) {
      const b = makeBatch({ records: 1 + (i % 3), tag: `b${i}`, valueSize: 20 + (i % 7) * 10 });
      sizes.push(b.buf.length);
      const r = await log.append(b.buf, b.header, {});
      assert.equal(r.baseOffset, offsets);
      offsets += BigInt(b.header.lastOffsetDelta + 1);
    }
    assert.ok(log.segmentCount > 3, `expected several segments, got ${log.segmentCount}`);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    assert.equal(files.length, log.segmentCount);
    assert.equal(files[0], '00000000000000000000.log');
    for (const f of files) {
      const st = await readFile(join(dir, f));
      assert.ok(st.length <= 1000, `${f} is ${st.length} bytes`);
    }
    // Every offset is found, through each segment's index.
    for (let off = 0n; off < offsets; off++) {
      const hs = headersIn(await log.read(off, 1));
      assert.equal(hs.length, 1);
      assert.ok(hs[0]!.baseOffset <= off && off <= hs[0]!.baseOffset + BigInt(hs[0]!.lastOffsetDelta));
    }
    // Reading everything by following the returned batches visits each batch once, in order.
    const seen: bigint[] = [];
    for (let off = 0n; off < offsets; ) {
      const hs = headersIn(await log.read(off, 500));
      assert.ok(hs.length > 0);
      for (const h of hs) seen.push(h.baseOffset);
      const last = hs[hs.length - 1]!;
      off = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
    }
    assert.equal(seen.length, 60);
    const viaGenerator: bigint[] = [];
    for await (const { header, bytes } of log.batches()) {
      viaGenerator.push(header.baseOffset);
      assert.equal(bytes.length, header.length + 12);
    }
    assert.deepEqual(viaGenerator, seen);
    await log.close();

    const again = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(again.stats.openedClean, true);
    assert.equal(again.logEndOffset, offsets);
    assert.equal(again.segmentCount, files.length);
    const r = await again.append(makeBatch().buf, makeBatch().header, {});
    assert.equal(r.baseOffset, offsets);
    await again.close();
  } finally {
    await cleanup();
  }
});

test('offset index files hold (relative offset, position) pairs that point at batch starts', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ segmentBytes: 4000, indexIntervalBytes: 200 }));
    for (let i = 0; i < 80; i++) {
      const b = makeBatch({ records: 2, valueSize: 40 });
      await log.append(b.buf, b.header, {});
    }
    const bases = log.segmentBaseOffsets();
    await log.close();
    assert.ok(bases.length >= 2);
    for (const base of bases) {
      const name = base.toString().padStart(20, '0');
      const logBytes = await readFile(join(dir, `${name}.log`));
      const idxBytes = await readFile(join(dir, `${name}.index`));
      assert.ok(idxBytes.length > 0 && idxBytes.length % 8 === 0);
      const idx = OffsetIndex.parse(idxBytes, logBytes.length);
      assert.ok(idx);
      for (let p = 0; p < idxBytes.length; p += 8) {
        const rel = idxBytes.readInt32BE(p);
        const pos = idxBytes.readInt32BE(p + 4);
        assert.equal(logBytes.readBigInt64BE(pos), base + BigInt(rel));
      }
      // Entries are about indexIntervalBytes apart.
      const positions = [];
      for (let p = 0; p < idxBytes.length; p += 8) positions.push(idxBytes.readInt32BE(p + 4));
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! - positions[i - 1]! >= 200);
      const tidx = await readFile(join(dir, `${name}.timeindex`));
      assert.ok(tidx.length > 0 && tidx.length % 12 === 0);
    }
  } finally {
    await cleanup();
  }
});

test('offsetForTimestamp finds the first record at or after t, in the first batch whose MaxTimestamp >= t; maxTimestamp finds the largest', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const o = opts({ segmentBytes: 2000, indexIntervalBytes: 100 });
    const log = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(await log.offsetForTimestamp(0n), null);
    assert.equal(await log.maxTimestamp(), null);
    // Timestamps rise by 10 per batch, except one out-of-order spike at batch 25. Batch i holds
    // offsets 2i and 2i+1 at tsOf(i) - 1 and tsOf(i).
    const tsOf = (i: number) => (i === 25 ? 10_000_000n : 1000n + BigInt(i) * 10n);
    for (let i = 0; i < 60; i++) {
      const b = makeBatch({ records: 2, timestamp: tsOf(i) - 1n, valueSize: 30 });
      await log.append(b.buf, b.header, {});
    }
    const check = async (l: PartitionLog) => {
      assert.deepEqual(await l.offsetForTimestamp(0n), { offset: 0n, timestamp: 999n });
      assert.deepEqual(await l.offsetForTimestamp(999n), { offset: 0n, timestamp: 999n });
      // Inside a batch: the record, not the batch (Kafka's answer).
      assert.deepEqual(await l.offsetForTimestamp(1000n), { offset: 1n, timestamp: 1000n });
      assert.deepEqual(await l.offsetForTimestamp(1001n), { offset: 2n, timestamp: 1009n });
      assert.deepEqual(await l.offsetForTimestamp(1200n), { offset: 41n, timestamp: 1200n });
      // Past the regular timestamps the spike's batch is the first whose maximum qualifies.
      assert.deepEqual(await l.offsetForTimestamp(1245n), { offset: 50n, timestamp: 9_999_999n });
      assert.deepEqual(await l.offsetForTimestamp(1589n), { offset: 50n, timestamp: 9_999_999n });
      assert.deepEqual(await l.offsetForTimestamp(10_000_000n), { offset: 51n, timestamp: 10_000_000n });
      assert.deepEqual(await l.offsetForTimestamp(10_000_001n), null);
      assert.deepEqual(await l.maxTimestamp(), { offset: 51n, timestamp: 10_000_000n });
    };
    await check(log);
    assert.ok(log.segmentCount >= 3);
    await log.close();
    const clean = await PartitionLog.open(dir, 't', 0, o);
    await check(clean);
    await clean.abort();
    const unclean = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(unclean.stats.openedClean, false);
    await check(unclean);
    await unclean.close();
  } finally {
    await cleanup();
  }
});

test('timestamps in a later segment are found by scanning after the time index', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ segmentBytes: 700, indexIntervalBytes: 64 }));
    for (let i = 0; i < 40; i++) {
      const b = makeBatch({ timestamp: 5000n + BigInt(i) * 100n });
      await log.append(b.buf, b.header, {});
    }
    for (let i = 0; i < 40; i++) {
      assert.deepEqual(await log.offsetForTimestamp(5000n + BigInt(i) * 100n - 50n), {
        offset: BigInt(i),
        timestamp: 5000n + BigInt(i) * 100n,
      });
    }
    await log.close();
  } finally {
    await cleanup();
  }
});

test('bad input is refused with KafkaErrors and does not consume offsets', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts());
    const b = makeBatch();
    await assert.rejects(
      log.append(b.buf.subarray(0, b.buf.length - 1), b.header, {}),
      (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE,
    );
    assert.equal(log.logEndOffset, 0n);
    await log.close();
    await assert.rejects(log.append(b.buf, b.header, {}), (e: KafkaError) => e.code === ErrorCode.KAFKA_STORAGE_ERROR);
  } finally {
    await cleanup();
  }
});

test('rolls the active segment once it is older than segmentMs', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ segmentMs: 250 }));
    // Both appends are decided synchronously, right after the segment was created.
    const a = makeBatch();
    const b = makeBatch();
    await Promise.all([log.append(a.buf, a.header, {}), log.append(b.buf, b.header, {})]);
    assert.equal(log.segmentCount, 1);
    await new Promise((r) => setTimeout(r, 300));
    const c = makeBatch();
    const r = await log.append(c.buf, c.header, {});
    assert.deepEqual(log.segmentBaseOffsets(), [0n, 2n]);
    assert.equal(r.baseOffset, 2n);
    assert.equal(log.stats.segmentRolls, 1);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('append stamps the leader epoch over the producer\'s -1, outside the CRC', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts());
    const b = makeBatch({ records: 2 });
    assert.equal(b.buf.readInt32BE(12), -1, 'the producer sent no epoch');
    await log.append(b.buf, b.header, {});
    const stored = await log.read(0n, 1 << 20);
    const { header } = decodeRecordBatch(stored);
    assert.equal(header.partitionLeaderEpoch, LEADER_EPOCH);
    assert.equal(hasValidCrc(stored), true);
    await log.close();
  } finally {
    await cleanup();
  }
});
