import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLog, ProducerStateManager, incrementSequence } from '../../../src/log/index.js';
import { PRODUCER_ID_EXPIRATION_MS } from '../../../src/log/producer-state.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { headersIn, makeBatch, opts, tempDir, type BatchSpec } from './helpers.js';

const MAX = 0x7fffffff;

async function withLog(fn: (log: PartitionLog, dir: string) => Promise<void>, o = opts()) {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, o);
    try {
      await fn(log, dir);
    } finally {
      await log.close().catch(() => {});
    }
  } finally {
    await cleanup();
  }
}

function append(log: PartitionLog, spec: BatchSpec) {
  const b = makeBatch(spec);
  return log.append(b.buf, b.header, {});
}

const code = (c: number) => (e: unknown) => e instanceof KafkaError && e.code === c;

test('sequence arithmetic wraps from Int32.MAX to 0', () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(MAX, 1), 0);
  assert.equal(incrementSequence(MAX - 1, 3), 1);
  assert.equal(incrementSequence(MAX - 2, 2), MAX);
});

test('non-idempotent batches (producerId -1) are never checked', async () => {
  await withLog(async (log) => {
    for (let i = 0; i < 3; i++) assert.equal((await append(log, { tag: 'x' })).duplicate, false);
    assert.equal(log.logEndOffset, 3n);
  });
});

test('unknown producer: any first sequence; then exact continuation is required', async () => {
  await withLog(async (log) => {
    assert.equal((await append(log, { producerId: 7n, epoch: 3, seq: 42, records: 2 })).baseOffset, 0n);
    assert.equal((await append(log, { producerId: 7n, epoch: 3, seq: 44, records: 1 })).baseOffset, 2n);
    await assert.rejects(append(log, { producerId: 7n, epoch: 3, seq: 46 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    await assert.rejects(append(log, { producerId: 7n, epoch: 3, seq: 40 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.logEndOffset, 3n, 'refused batches take no offsets');
    // Another producer is independent.
    assert.equal((await append(log, { producerId: 8n, epoch: 0, seq: 1000 })).baseOffset, 3n);
  });
});

test('a retry of any of the last five batches is a duplicate with the original offset; older is out of order', async () => {
  await withLog(async (log) => {
    const firsts: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      await append(log, { tag: 'filler' }); // interleave another (non-idempotent) writer
      firsts.push((await append(log, { producerId: 1n, epoch: 0, seq: i * 2, records: 2 })).baseOffset);
    }
    const end = log.logEndOffset;
    for (let i = 1; i < 6; i++) {
      const r = await append(log, { producerId: 1n, epoch: 0, seq: i * 2, records: 2 });
      assert.deepEqual(r, { baseOffset: firsts[i], logAppendTimeMs: -1n, logStartOffset: 0n, duplicate: true });
    }
    assert.equal(log.logEndOffset, end, 'duplicates write nothing');
    // The first batch fell out of the five-batch window.
    await assert.rejects(append(log, { producerId: 1n, epoch: 0, seq: 0, records: 2 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    // A batch overlapping a cached one but not matching it exactly is not a duplicate.
    await assert.rejects(append(log, { producerId: 1n, epoch: 0, seq: 10, records: 1 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal((await append(log, { producerId: 1n, epoch: 0, seq: 12 })).duplicate, false);
  });
});

test('a retry of a batch still in flight resolves only when the original is durable', async () => {
  await withLog(async (log) => {
    const first = append(log, { producerId: 2n, epoch: 0, seq: 0, records: 3 });
    const retry = append(log, { producerId: 2n, epoch: 0, seq: 0, records: 3 });
    assert.equal(log.highWatermark, 0n);
    const r = await retry;
    assert.equal(log.highWatermark >= 3n, true);
    assert.deepEqual(r, { ...(await first), duplicate: true });
    assert.equal(headersIn(await log.read(0n, 1 << 20)).length, 1);
  });
});

test('a duplicate reports the original LogAppendTime', async () => {
  await withLog(async (log) => {
    const b = makeBatch({ producerId: 3n, epoch: 0, seq: 0 });
    const r1 = await log.append(b.buf, b.header, { logAppendTimeMs: 111n });
    const again = makeBatch({ producerId: 3n, epoch: 0, seq: 0 });
    const r2 = await log.append(again.buf, again.header, { logAppendTimeMs: 999n });
    assert.equal(r1.logAppendTimeMs, 111n);
    assert.deepEqual(r2, { ...r1, duplicate: true });
  });
});

test('epochs: older is fenced, newer must start at 0 and resets the cache', async () => {
  await withLog(async (log) => {
    await append(log, { producerId: 5n, epoch: 2, seq: 0 });
    await append(log, { producerId: 5n, epoch: 2, seq: 1 });
    await assert.rejects(append(log, { producerId: 5n, epoch: 1, seq: 2 }), code(ErrorCode.INVALID_PRODUCER_EPOCH));
    await assert.rejects(append(log, { producerId: 5n, epoch: 3, seq: 2 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal((await append(log, { producerId: 5n, epoch: 3, seq: 0 })).baseOffset, 2n);
    // The epoch-2 batch with sequence 1 is no longer a duplicate (cache was reset) and epoch 2 is fenced.
    await assert.rejects(append(log, { producerId: 5n, epoch: 2, seq: 1 }), code(ErrorCode.INVALID_PRODUCER_EPOCH));
    // Epoch 3's seq 0 is a duplicate, seq 1 follows.
    assert.equal((await append(log, { producerId: 5n, epoch: 3, seq: 0 })).duplicate, true);
    assert.equal((await append(log, { producerId: 5n, epoch: 3, seq: 1 })).baseOffset, 3n);
  });
});

test('sequences wrap around Int32.MAX, duplicates across the wrap are detected', async () => {
  await withLog(async (log) => {
    await append(log, { producerId: 9n, epoch: 0, seq: MAX - 3, records: 2 }); // MAX-3..MAX-2
    const straddling = await append(log, { producerId: 9n, epoch: 0, seq: MAX - 1, records: 3 }); // MAX-1, MAX, 0
    const after = await append(log, { producerId: 9n, epoch: 0, seq: 1, records: 1 });
    assert.equal(after.baseOffset, straddling.baseOffset + 3n);
    assert.deepEqual(await append(log, { producerId: 9n, epoch: 0, seq: MAX - 1, records: 3 }), { ...straddling, duplicate: true });
    await assert.rejects(append(log, { producerId: 9n, epoch: 0, seq: 3 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal((await append(log, { producerId: 9n, epoch: 0, seq: 2 })).duplicate, false);
  });
  // Exactly at MAX: the next sequence is 0.
  const m = new ProducerStateManager();
  const h = makeBatch({ producerId: 1n, epoch: 0, seq: MAX }).header;
  m.record(h, 0n, -1n);
  assert.equal(m.check(makeBatch({ producerId: 1n, epoch: 0, seq: 0 }).header), null);
  assert.throws(() => m.check(makeBatch({ producerId: 1n, epoch: 0, seq: 1 }).header), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
});

test('a producer id with a negative sequence is refused as INVALID_RECORD', async () => {
  await withLog(async (log) => {
    await assert.rejects(append(log, { producerId: 4n, epoch: 0, seq: -1 }), code(ErrorCode.INVALID_RECORD));
  });
});

test('producer state survives a clean close, a crash, and a roll (snapshot plus replay)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const o = opts({ segmentBytes: 600 });
    let log = await PartitionLog.open(dir, 't', 0, o);
    const originals: bigint[] = [];
    for (let i = 0; i < 30; i++) originals.push((await append(log, { producerId: 11n, epoch: 4, seq: i, tag: `s${i}` })).baseOffset);
    assert.ok(log.segmentCount > 2);
    await log.close();

    log = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(log.stats.openedClean, true);
    assert.deepEqual(await append(log, { producerId: 11n, epoch: 4, seq: 29, tag: 's29' }), {
      baseOffset: originals[29],
      logAppendTimeMs: -1n,
      logStartOffset: 0n,
      duplicate: true,
    });
    originals.push((await append(log, { producerId: 11n, epoch: 4, seq: 30 })).baseOffset);
    await log.abort(); // no clean-shutdown record: recovery replays from the last roll snapshot

    log = await PartitionLog.open(dir, 't', 0, o);
    assert.equal(log.stats.openedClean, false);
    assert.equal((await append(log, { producerId: 11n, epoch: 4, seq: 26 })).baseOffset, originals[26]);
    assert.equal((await append(log, { producerId: 11n, epoch: 4, seq: 30 })).baseOffset, originals[30]);
    await assert.rejects(append(log, { producerId: 11n, epoch: 4, seq: 32 }), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    await assert.rejects(append(log, { producerId: 11n, epoch: 3, seq: 0 }), code(ErrorCode.INVALID_PRODUCER_EPOCH));
    assert.equal((await append(log, { producerId: 11n, epoch: 4, seq: 31 })).duplicate, false);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a producer that appended nothing for producer.id.expiration.ms (24 h) is forgotten, as Kafka forgets it', () => {
  const m = new ProducerStateManager();
  const batch = (producerId: bigint, seq: number) => makeBatch({ producerId, epoch: 0, seq, records: 2 }).header;
  m.record(batch(1n, 0), 0n, -1n);
  m.record(batch(2n, 0), 2n, -1n);
  assert.throws(() => m.check(batch(1n, 7)), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  // Producer 1 was last seen a day and a minute ago; producer 2 just now.
  m.entry(1n)!.lastSeenMs = Date.now() - PRODUCER_ID_EXPIRATION_MS - 60_000;
  const snap = m.snapshot();
  assert.deepEqual(snap.producers.map((p) => p.producerId), [2n], 'the snapshot at a roll leaves it out');
  assert.equal(m.size, 1);
  assert.equal(m.check(batch(1n, 7)), null, 'an expired producer is unknown again: any sequence is accepted');
  assert.throws(() => m.check(batch(2n, 7)), code(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER), 'the live one is still checked');
  // A snapshot from before expiry existed carries no lastSeenMs: the producer counts as seen now.
  const old = ProducerStateManager.fromSnapshot({ producers: [{ producerId: 9n, epoch: 0, batches: [] }] });
  old.expire(Date.now());
  assert.equal(old.size, 1);
  old.expire(Date.now() + PRODUCER_ID_EXPIRATION_MS + 1);
  assert.equal(old.size, 0);
});
