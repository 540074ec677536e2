import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import type { EncodeBatchInput, RecordInput } from '../../../src/protocol/records/records.js';
import { TaskInputError } from '../../../src/writer/errors.js';
import { materialize } from '../../../src/writer/materialize.js';
import { footer, fieldIds, readRows, task, tempDir, writeSegment } from './support.js';

const T0 = 1_700_000_000_123n; // ms
const b = (s: string) => Buffer.from(s, 'utf8');

/** Five batches, one per codec, the last one LogAppendTime; offsets 0..12. */
function batches(): EncodeBatchInput[] {
  const rec = (i: number, extra: Partial<RecordInput> = {}): RecordInput => ({
    key: i % 2 === 0 ? null : b(`k${i}`),
    value: b(`v${i}`),
    headers: i % 3 === 0 ? [] : [{ key: 'h', value: b(`a${i}`) }, { key: 'h', value: null }, { key: 'trace', value: b(`t${i}`) }],
    timestamp: T0 + BigInt(i) * 1000n,
    ...extra,
  });
  return [
    { baseOffset: 0n, codec: CompressionCodec.None, records: [rec(0), rec(1), rec(2, { value: null })] },
    { baseOffset: 3n, codec: CompressionCodec.Gzip, records: [rec(3), rec(4), rec(5)] },
    { baseOffset: 6n, codec: CompressionCodec.Snappy, records: [rec(6), rec(7, { value: Buffer.from([0xff, 0x00, 0x80]) })] },
    { baseOffset: 8n, codec: CompressionCodec.Lz4, records: [rec(8), rec(9, { value: Buffer.alloc(0) })] },
    { baseOffset: 10n, codec: CompressionCodec.Zstd, logAppendTime: T0 + 99_000n, records: [rec(10), rec(11), rec(12)] },
  ];
}

test('raw: every codec, keys, repeated headers and LogAppendTime land row by row with field ids', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, batches(), 17);
  const result = await materialize(task(segment, `${dir}/out`));

  assert.equal(result.badRecords.length, 0);
  assert.equal(result.rowCount, 13);
  assert.equal(result.lastOffset, 12n);
  assert.equal(result.files.length, 1);
  const [file] = result.files;
  assert.equal(file.path, `${dir}/out/f-0.parquet`);
  assert.equal(file.sizeBytes, statSync(file.path).size);
  assert.equal(file.recordCount, 13);
  assert.equal(file.partitionValue, null);
  assert.equal(file.minOffset, 0n);
  assert.equal(file.maxOffset, 12n);

  const rows = await readRows(file.path);
  assert.equal(rows.length, 13);
  rows.forEach((row, i) => {
    const logAppend = i >= 10;
    assert.equal(row._kafka_partition, 3);
    assert.equal(row._kafka_offset, BigInt(i));
    assert.equal(row._kafka_timestamp, (logAppend ? T0 + 99_000n : T0 + BigInt(i) * 1000n) * 1000n, `timestamp of ${i}`);
    assert.deepEqual(row._kafka_key === null ? null : Buffer.from(row._kafka_key as Uint8Array).toString(), i % 2 === 0 ? null : `k${i}`);
    const headers = (row._kafka_headers as { key: string; value: Uint8Array | null }[]).map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()]);
    assert.deepEqual(headers, i % 3 === 0 ? [] : [['h', `a${i}`], ['h', null], ['trace', `t${i}`]], `headers of ${i}`);
    const value = row.value === null ? null : Buffer.from(row.value as Uint8Array);
    const want = i === 2 ? null : i === 7 ? Buffer.from([0xff, 0x00, 0x80]) : i === 9 ? Buffer.alloc(0) : b(`v${i}`);
    assert.deepEqual(value, want, `value of ${i}`);
  });

  // Field ids in the footer, nested ones included; types as Iceberg wants them.
  assert.deepEqual(
    Object.fromEntries(fieldIds(file.path)),
    {
      _kafka_partition: 1,
      _kafka_offset: 2,
      _kafka_timestamp: 3,
      _kafka_key: 4,
      _kafka_headers: 5,
      '_kafka_headers.list.element': 6,
      '_kafka_headers.list.element.key': 7,
      '_kafka_headers.list.element.value': 8,
      value: 9,
    },
  );
  const meta = footer(file.path);
  const ts = meta.schema.find((e) => e.name === '_kafka_timestamp')!;
  assert.equal(ts.type, 'INT64');
  assert.deepEqual(ts.logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
  assert.equal(meta.schema.find((e) => e.name === '_kafka_partition')!.type, 'INT32');
  assert.equal(meta.schema.find((e) => e.name === '_kafka_offset')!.repetition_type, 'REQUIRED');
  assert.equal(meta.schema.find((e) => e.name === '_kafka_key')!.repetition_type, 'OPTIONAL');
  for (const rg of meta.row_groups) for (const c of rg.columns) assert.equal(c.meta_data!.codec, 'ZSTD');

  // Statistics.
  const s = file.columnStats;
  assert.deepEqual(
    { ...s[1], sizeBytes: undefined },
    { valueCount: 13, nullCount: 0, min: 3, max: 3, sizeBytes: undefined },
  );
  assert.equal(s[2].min, 0n);
  assert.equal(s[2].max, 12n);
  assert.equal(s[3].min, T0 * 1000n);
  assert.equal(s[3].max, (T0 + 99_000n) * 1000n);
  assert.equal(s[3].nullCount, 0);
  assert.equal(s[4].valueCount, 13);
  assert.equal(s[4].nullCount, 7); // even offsets 0..12
  assert.deepEqual(Buffer.from(s[4].min as Uint8Array).toString(), 'k1');
  assert.deepEqual(Buffer.from(s[4].max as Uint8Array).toString(), 'k9');
  assert.equal(s[5], undefined, 'no stats for the list itself');
  // headers on 8 of 13 records (i % 3 != 0), three entries each, one null value each
  assert.deepEqual({ ...s[7], sizeBytes: undefined }, { valueCount: 24, nullCount: 0, sizeBytes: undefined });
  assert.deepEqual({ ...s[8], sizeBytes: undefined }, { valueCount: 24, nullCount: 8, sizeBytes: undefined });
  assert.equal(s[9].valueCount, 13);
  assert.equal(s[9].nullCount, 1);
  assert.deepEqual(s[9].min, new Uint8Array(0), 'empty value is the smallest');
  assert.deepEqual(s[9].max, new Uint8Array([0xff, 0x00, 0x80]), 'unsigned byte order');
  for (const id of [1, 2, 3, 4, 7, 8, 9]) assert.ok((s[id].sizeBytes ?? 0) > 0, `size of column ${id}`);
  const total = Object.values(s).reduce((sum, c) => sum + (c.sizeBytes ?? 0), 0);
  assert.ok(total < file.sizeBytes);
});

test('raw: fromOffset/toOffset cut batches in the middle', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, batches());
  // Start at the second batch's bytes, and cut inside it and inside the fourth.
  const start = segment.batches[1];
  const result = await materialize(
    task(segment, dir, { position: start.position, length: segment.length - start.position, fromOffset: 4n, toOffset: 8n }),
  );
  const rows = await readRows(result.files[0].path);
  assert.deepEqual(rows.map((r) => r._kafka_offset), [4n, 5n, 6n, 7n, 8n]);
  assert.equal(result.lastOffset, 8n);
  assert.equal(result.files[0].minOffset, 4n);
  assert.equal(result.files[0].maxOffset, 8n);
  assert.equal(result.files[0].columnStats[2].min, 4n);
});

test('raw: a range that ends before toOffset fails the task instead of skipping the offsets it lacks', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, batches());
  await assert.rejects(
    materialize(task(segment, `${dir}/out`, { fromOffset: 3n, toOffset: 200n })),
    (err: Error) => err instanceof TaskInputError && err.message.includes(`segment ${segment.path}: the range ends after offset 12 at byte ${segment.length}, before the task's last offset 200`),
  );
  assert.deepEqual(readdirSync(`${dir}/out`), [], 'no file is left behind');
});
