/**
 * BaseOffset is not under the batch CRC: a segment whose BaseOffset bytes were damaged still
 * decodes, with every record under a wrong offset. The log's offsets are dense, so a task
 * checks that each batch starts where the previous one ended and that its range reaches
 * toOffset; a batch that does not fails the task, naming the segment, the byte and the
 * offsets, instead of writing rows twice, under wrong offsets, or not at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BatchLayout, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';
import type { RecordInput } from '../../../src/protocol/records/records.js';
import { TaskInputError } from '../../../src/writer/errors.js';
import { materialize } from '../../../src/writer/materialize.js';
import { task, tempDir, writeSegment, type SegmentLayout } from './support.js';

const recs = (n: number, tag: string): RecordInput[] => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}${i}`), timestamp: 1n }));

/** Offsets 0..1, 2..4, 5..6 and 7 in four batches. */
function fourBatches(dir: string): SegmentLayout {
  return writeSegment(dir, [
    { baseOffset: 0n, records: recs(2, 'a') },
    { baseOffset: 2n, records: recs(3, 'b') },
    { baseOffset: 5n, records: recs(2, 'c') },
    { baseOffset: 7n, records: recs(1, 'd') },
  ]);
}

/** Rewrites one header field of batch `index` in the segment file (BaseOffset: the CRC still matches). */
function damage(segment: SegmentLayout, index: number, edit: (batch: Buffer) => void): number {
  const bytes = readFileSync(segment.path);
  const { position, size } = segment.batches[index];
  edit(bytes.subarray(position, position + size));
  writeFileSync(segment.path, bytes);
  return position;
}

const setBaseOffset = (offset: bigint) => (batch: Buffer) => batch.writeBigInt64BE(offset, BatchLayout.BASE_OFFSET);

async function rejectsWith(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof TaskInputError, `${err.name}: ${err.message}`);
    assert.ok(err.message.includes(message), err.message);
    return true;
  });
}

test('a BaseOffset moved back (its rows would repeat offsets) fails the task with the segment, byte and offsets', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  const at = damage(segment, 1, setBaseOffset(0n));
  await rejectsWith(materialize(task(segment, `${dir}/out`)), `segment ${segment.path}: the batch at byte ${at} has BaseOffset 0, expected offset 2`);
  assert.deepEqual(readdirSync(`${dir}/out`), [], 'no data file is left behind');
});

test('a BaseOffset moved forward by one (its rows would overlap the next batch) fails the task', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  const at = damage(segment, 1, setBaseOffset(3n));
  await rejectsWith(materialize(task(segment, `${dir}/out`)), `the batch at byte ${at} has BaseOffset 3, expected offset 2`);
});

test('a BaseOffset past toOffset in the middle of the range fails the task instead of ending it early', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  const at = damage(segment, 2, setBaseOffset(1000n));
  await rejectsWith(materialize(task(segment, `${dir}/out`, { toOffset: 7n })), `the batch at byte ${at} has BaseOffset 1000, expected offset 5`);
});

test('a first batch that starts past fromOffset fails the task', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  const at = damage(segment, 0, setBaseOffset(1n));
  await rejectsWith(materialize(task(segment, `${dir}/out`, { fromOffset: 0n })), `the batch at byte ${at} has BaseOffset 1, expected a batch holding offset 0`);
});

test('after a batch that does not decode, the next batch must start within the offsets it claims', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  damage(segment, 1, (batch) => (batch[batch.length - 1] ^= 0x55)); // its CRC fails: offsets 2..4 are bad records
  const at = damage(segment, 2, setBaseOffset(9n));
  await rejectsWith(materialize(task(segment, `${dir}/out`)), `the batch at byte ${at} has BaseOffset 9, expected an offset in 3..5`);
});

test('a last batch that does not decode and claims to end before toOffset fails the task', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  // The range ends with the third batch (offsets 5..6); it is broken and claims only 5..5.
  damage(segment, 2, (batch) => {
    batch[batch.length - 1] ^= 0x55;
    batch.writeInt32BE(0, BatchLayout.LAST_OFFSET_DELTA);
  });
  const length = segment.batches[3].position - segment.batches[0].position;
  await rejectsWith(materialize(task(segment, `${dir}/out`, { length, toOffset: 6n })), `the range ends after offset 5 at byte ${length}, before the task's last offset 6`);
});

/** Sets record `index`'s OffsetDelta in an uncompressed batch (one-byte varints) and re-signs the CRC. */
function setOffsetDelta(index: number, delta: number) {
  return (batch: Buffer) => {
    let pos = BatchLayout.RECORDS;
    for (let i = 0; i < index; i++) pos += 1 + (batch[pos]! >> 1); // one-byte length varint: skip the record
    // Record: length, attributes, TimestampDelta (0: one byte), then OffsetDelta.
    batch[pos + 3] = delta << 1;
    batch.writeUInt32BE(computeBatchCrc(batch), BatchLayout.CRC);
  };
}

test('records whose offset deltas repeat or skip (the CRC signs them) are bad records, not rows under wrong offsets', async () => {
  const dir = tempDir();
  const segment = fourBatches(dir);
  damage(segment, 1, setOffsetDelta(2, 1)); // batch 2..4: deltas 0, 1, 1
  damage(segment, 2, setOffsetDelta(1, 3)); // batch 5..6: deltas 0, 3
  const result = await materialize(task(segment, `${dir}/out`));
  assert.deepEqual(result.badRecords.map((b) => b.offset), [2n, 3n, 4n, 5n, 6n]);
  assert.match(result.badRecords[0]!.reason, /offsets 2\.\.4\) cannot be decoded: record 2 has offset delta 1, not 2/);
  assert.match(result.badRecords[3]!.reason, /record 1 has offset delta 3, not 1/);
  assert.equal(result.rowCount, 3, 'offsets 0, 1 and 7 land');
  assert.equal(result.lastOffset, 7n);
});
