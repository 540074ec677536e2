import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { BatchLayout, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import type { RecordInput } from '../../../src/protocol/records/records.js';
import { TaskInputError } from '../../../src/writer/errors.js';
import { materialize } from '../../../src/writer/materialize.js';
import type { JsonColumnSpec } from '../../../src/writer/task.js';
import { jsonSchema, readRows, task, tempDir, writeSegment } from './support.js';

const HOUR = 3_600_000n;
const H0 = 472_222n; // an hour number: 2023-11-14T22:00Z
const v = (s: string) => Buffer.from(s);

test('partition by hour: one file per hour of the Kafka timestamp, with the hour as partition value', async () => {
  const dir = tempDir();
  const at = (hour: bigint, minute: bigint): RecordInput => ({ value: v(`${hour}:${minute}`), timestamp: (H0 + hour) * HOUR + minute * 60_000n });
  const segment = writeSegment(dir, [
    { baseOffset: 0n, records: [at(0n, 0n), at(0n, 59n), at(1n, 0n)] },
    { baseOffset: 3n, codec: CompressionCodec.Lz4, records: [at(2n, 30n), at(1n, 30n), at(0n, 1n)] }, // late records
  ]);
  const result = await materialize(task(segment, dir, { partitionBy: 'hour' }));
  assert.deepEqual(
    result.files.map((f) => [f.partitionValue, f.recordCount, f.minOffset, f.maxOffset, f.path.endsWith(`f-${result.files.indexOf(f)}.parquet`)]),
    [
      [Number(H0), 3, 0n, 5n, true],
      [Number(H0) + 1, 2, 2n, 4n, true],
      [Number(H0) + 2, 1, 3n, 3n, true],
    ],
  );
  for (const f of result.files) {
    const rows = await readRows(f.path);
    for (const r of rows) assert.equal(BigInt(r._kafka_timestamp as bigint) / 3_600_000_000n, BigInt(f.partitionValue!));
    const ts = f.columnStats[3];
    assert.equal(BigInt(ts.min as bigint) / 3_600_000_000n, BigInt(f.partitionValue!));
  }
  assert.deepEqual((await readRows(result.files[0].path)).map((r) => r._kafka_offset), [0n, 1n, 5n]);

  const byDay = await materialize(task(segment, `${dir}/day`, { partitionBy: 'day' }));
  // hours 22 and 23 fall on day 19675, hour 24 on the next
  assert.deepEqual(byDay.files.map((f) => [f.partitionValue, f.recordCount]), [[19675, 5], [19676, 1]]);
});

test('pre-epoch timestamps floor to negative hours', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [{ value: v('x'), timestamp: -1n }] }]);
  const result = await materialize(task(segment, dir, { partitionBy: 'hour' }));
  assert.equal(result.files[0].partitionValue, -1);
  assert.equal(result.files[0].columnStats[3].min, -1000n);
});

test('a corrupt batch makes each of its records bad, bounded by its neighbours; the batches around it still land', async () => {
  const dir = tempDir();
  const recs = (n: number, tag: string): RecordInput[] => Array.from({ length: n }, (_, i) => ({ value: v(`${tag}${i}`), timestamp: 1n }));
  const segment = writeSegment(dir, [
    { baseOffset: 0n, records: recs(2, 'a') },
    { baseOffset: 2n, codec: CompressionCodec.Gzip, records: recs(3, 'b') }, // CRC broken below
    { baseOffset: 5n, codec: CompressionCodec.Zstd, records: recs(2, 'c') }, // CRC fixed up, zstd body broken
    { baseOffset: 7n, records: recs(1, 'd') },
  ]);
  const bytes = readFileSync(segment.path);
  const b1 = segment.batches[1];
  bytes[b1.position + b1.size - 3] ^= 0x55;
  // ...and its LastOffsetDelta claims far more records than it has: the next batch bounds it.
  bytes.writeInt32BE(1000, b1.position + BatchLayout.LAST_OFFSET_DELTA);
  const b2 = segment.batches[2];
  bytes.fill(0x42, b2.position + BatchLayout.RECORDS + 4, b2.position + b2.size);
  const batch2 = bytes.subarray(b2.position, b2.position + b2.size);
  batch2.writeUInt32BE(computeBatchCrc(batch2), BatchLayout.CRC);
  writeFileSync(segment.path, bytes);

  const result = await materialize(task(segment, dir, { fromOffset: 3n }));
  assert.deepEqual(result.badRecords.map((r) => r.offset), [3n, 4n, 5n, 6n]);
  assert.match(result.badRecords[0].reason, /record batch at byte \d+ \(offsets 2\.\.1002\) cannot be decoded: .*CRC/);
  assert.match(result.badRecords[2].reason, /offsets 5\.\.6\) cannot be decoded: .*zstd/);
  assert.deepEqual((await readRows(result.files[0].path)).map((r) => r._kafka_offset), [7n]);
  assert.equal(result.lastOffset, 7n);
});

test('files split when a block outgrows the byte budget; every row lands exactly once', async () => {
  const dir = tempDir();
  const inputs = Array.from({ length: 20 }, (_, b) => ({
    baseOffset: BigInt(b * 50),
    codec: CompressionCodec.Snappy,
    records: Array.from({ length: 50 }, (_, i) => ({ value: Buffer.alloc(1000, b * 50 + i), timestamp: BigInt(b * 50 + i) })),
  }));
  const segment = writeSegment(dir, inputs);
  const result = await materialize(task(segment, dir, { rowGroupSize: 100 }), { maxFileBytes: 200_000, readChunkBytes: 10_000 });
  assert.ok(result.files.length >= 5, `${result.files.length} files`);
  assert.equal(result.rowCount, 1000);
  const offsets: bigint[] = [];
  for (const f of result.files) {
    const rows = await readRows(f.path);
    assert.equal(rows.length, f.recordCount);
    offsets.push(...rows.map((r) => r._kafka_offset as bigint));
  }
  assert.deepEqual(offsets, Array.from({ length: 1000 }, (_, i) => BigInt(i)));
});

test('string bounds compare as UTF-8 bytes, not UTF-16 units', async () => {
  const dir = tempDir();
  const spec: JsonColumnSpec[] = [{ fieldId: 10, name: 's', path: 's', type: 'string' }];
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: ['～', '😀', 'z'].map((s) => ({ value: Buffer.from(JSON.stringify({ s })) })) }]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: spec, schema: jsonSchema(spec) }));
  const s = result.files[0].columnStats[10];
  assert.equal(s.min, 'z');
  assert.equal(s.max, '😀'); // f0 9f 98 80 > ef bd 9e, though '～' > '😀' in JS
});

test('a range that is not whole batches, or a missing segment, is a TaskInputError', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [{ value: v('a') }] }, { baseOffset: 1n, records: [{ value: v('b') }] }]);
  await assert.rejects(materialize(task(segment, dir, { length: segment.length - 5 })), (err: Error) => err instanceof TaskInputError && /ends inside the batch/.test(err.message));
  await assert.rejects(materialize(task(segment, dir, { position: 3 })), TaskInputError);
  await assert.rejects(materialize(task({ ...segment, path: `${dir}/nope.log` }, dir)), /cannot open segment/);
  await assert.rejects(materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: [{ fieldId: 42, name: 'x', path: 'x', type: 'int' }] })), /not in schema|must be string/);
});
