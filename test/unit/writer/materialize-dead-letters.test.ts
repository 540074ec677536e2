/**
 * Dead letters from the worker: records that cannot be rows become rows of a second file with
 * their raw key, value, headers, timestamp, the value's schema id and the reason; a corrupt
 * batch's records keep their offsets and the batch's timestamp; offsets the dead-letter table
 * already holds are not written again; the dead-letter block is bounded like table files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { BatchLayout } from '../../../src/protocol/records/batch-header.js';
import type { RecordInput } from '../../../src/protocol/records/records.js';
import { deadLetterSchema, wireSchemaId } from '../../../src/writer/dead-letters.js';
import { materialize } from '../../../src/writer/materialize.js';
import type { JsonColumnSpec, MaterializeTask } from '../../../src/writer/task.js';
import { fieldIds, jsonSchema, readRows, task, tempDir, writeSegment, type SegmentLayout } from './support.js';

const T0 = 1_700_000_000_000n;
const specs: JsonColumnSpec[] = [{ fieldId: 10, name: 'n', path: 'n', type: 'long' }];

function jsonTask(segment: SegmentLayout, dir: string, committedThrough: bigint | null, overrides: Partial<MaterializeTask> = {}): MaterializeTask {
  return task(segment, `${dir}/main`, {
    schema: jsonSchema(specs),
    valueFormat: 'json',
    jsonColumns: specs,
    deadLetters: { schema: deadLetterSchema(), outputDir: `${dir}/dlq`, committedThrough },
    ...overrides,
  });
}

/** Offsets 0..5: 1 is not JSON, 3 has a mistyped field, 4 is a tombstone. */
function mixedRecords(): RecordInput[] {
  const value = (i: number) => (i === 1 ? Buffer.from([0x00, 0x00, 0x00, 0x00, 0x07, 0xff]) : i === 3 ? Buffer.from('{"n":"x"}') : Buffer.from(`{"n":${i}}`));
  return Array.from({ length: 6 }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: i === 4 ? null : value(i),
    headers: [{ key: 'h', value: Buffer.from(`v${i}`) }],
    timestamp: T0 + BigInt(i),
  }));
}

test('bad JSON records become dead-letter rows with raw bytes, coordinates and reasons; good ones stay rows', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: mixedRecords() }]);
  const result = await materialize(jsonTask(segment, dir, null));

  assert.deepEqual(result.badRecords.map((b) => b.offset), [1n, 3n, 4n]);
  assert.equal(result.rowCount, 3);
  assert.deepEqual((await readRows(result.files[0].path)).map((r) => r._kafka_offset), [0n, 2n, 5n]);
  assert.equal(result.deadLetterFiles.length, 1);
  const [file] = result.deadLetterFiles;
  assert.equal(file.path, `${dir}/dlq/f-dlq-0.parquet`);
  assert.equal(file.recordCount, 3);
  assert.deepEqual([file.minOffset, file.maxOffset], [1n, 4n]);
  assert.deepEqual(
    [...fieldIds(file.path)].filter(([name]) => !name.startsWith('_kafka')),
    [['value', 9], ['schema_id', 10], ['error', 11]],
  );
  const rows = await readRows(file.path);
  assert.deepEqual(rows.map((r) => r._kafka_offset), [1n, 3n, 4n]);
  assert.ok(rows.every((r) => r._kafka_partition === 3));
  assert.deepEqual(rows.map((r) => r._kafka_timestamp), [1n, 3n, 4n].map((o) => (T0 + o) * 1000n));
  assert.deepEqual(rows.map((r) => Buffer.from(r._kafka_key as Uint8Array).toString()), ['k1', 'k3', 'k4']);
  assert.deepEqual(rows.map((r) => (r._kafka_headers as { key: string; value: Uint8Array }[]).map((h) => [h.key, Buffer.from(h.value).toString()])), [[['h', 'v1']], [['h', 'v3']], [['h', 'v4']]]);
  assert.deepEqual(Buffer.from(rows[0].value as Uint8Array), Buffer.from([0x00, 0x00, 0x00, 0x00, 0x07, 0xff]));
  assert.equal(Buffer.from(rows[1].value as Uint8Array).toString(), '{"n":"x"}');
  assert.equal(rows[2].value, null);
  // A JSON topic has no schema ids, even for a value that happens to start with a zero byte.
  assert.deepEqual(rows.map((r) => r.schema_id), [null, null, null]);
  const errors = rows.map((r) => Buffer.from(r.error as Uint8Array).toString());
  assert.deepEqual(errors, result.badRecords.map((b) => b.reason));
  assert.match(errors[0], /UTF-8/);
  assert.match(errors[1], /"n"/);
  assert.match(errors[2], /tombstone/);
});

test('dead letters at or below the committed offset are reported but not written again', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: mixedRecords() }]);
  const partly = await materialize(jsonTask(segment, dir, 3n, { filePrefix: 'g' }));
  assert.deepEqual(partly.badRecords.map((b) => b.offset), [1n, 3n, 4n], 'still reported');
  assert.deepEqual((await readRows(partly.deadLetterFiles[0].path)).map((r) => r._kafka_offset), [4n]);
  const none = await materialize(jsonTask(segment, dir, 4n, { filePrefix: 'h' }));
  assert.deepEqual(none.deadLetterFiles, []);
  assert.equal(none.rowCount, 3, 'the rows of the range are written regardless');
});

test('a corrupt batch: one dead letter per offset with the batch timestamp and no bytes', async () => {
  const dir = tempDir();
  const recs = (n: number): RecordInput[] => Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`{"n":${i}}`), timestamp: T0 }));
  const segment = writeSegment(dir, [
    { baseOffset: 0n, records: recs(2) },
    { baseOffset: 2n, records: recs(3) },
    { baseOffset: 5n, records: recs(1) },
  ]);
  const bytes = readFileSync(segment.path);
  const b1 = segment.batches[1];
  bytes[b1.position + b1.size - 2] ^= 0x55; // CRC no longer matches
  writeFileSync(segment.path, bytes);
  assert.equal(bytes.readBigInt64BE(b1.position + BatchLayout.BASE_TIMESTAMP), T0);

  const result = await materialize(jsonTask(segment, dir, null));
  assert.equal(result.rowCount, 3);
  const rows = await readRows(result.deadLetterFiles[0].path);
  assert.deepEqual(rows.map((r) => r._kafka_offset), [2n, 3n, 4n]);
  assert.ok(rows.every((r) => r._kafka_timestamp === T0 * 1000n && r._kafka_key === null && r.value === null));
  assert.match(Buffer.from(rows[0].error as Uint8Array).toString(), /cannot be decoded: .*CRC/);
});

test('many large dead letters are written out in bounded files, none lost', async () => {
  const dir = tempDir();
  const big = Buffer.alloc(40_000, 0x61); // "aaaa...": not JSON
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: Array.from({ length: 10 }, () => ({ value: big, timestamp: T0 })) }]);
  const result = await materialize(jsonTask(segment, dir, null), { maxFileBytes: 100_000 });
  assert.ok(result.deadLetterFiles.length >= 3, `${result.deadLetterFiles.length} files`);
  const offsets: bigint[] = [];
  for (const f of result.deadLetterFiles) {
    for (const r of await readRows(f.path)) {
      assert.deepEqual(Buffer.from(r.value as Uint8Array), big);
      offsets.push(r._kafka_offset as bigint);
    }
  }
  assert.deepEqual(offsets, Array.from({ length: 10 }, (_, i) => BigInt(i)));
});

test('wireSchemaId reads the Confluent wire-format id, null without the magic byte or the 4 id bytes', () => {
  assert.equal(wireSchemaId(Buffer.from([0, 0, 0, 1, 2, 9])), 258);
  assert.equal(wireSchemaId(Buffer.from([0, 0, 0, 1, 2])), 258);
  assert.equal(wireSchemaId(Buffer.from([0, 0, 0, 1])), null);
  assert.equal(wireSchemaId(Buffer.from([1, 0, 0, 1, 2])), null);
  assert.equal(wireSchemaId(null), null);
  assert.equal(wireSchemaId(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]).subarray(0)), -1);
});
