/**
 * Identity partitioning (of the Kafka partition, or of a typed JSON column) and the
 * `name=value` data directories every partitioned table writes, read back from the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { TaskInputError } from '../../../src/writer/errors.js';
import { materialize } from '../../../src/writer/materialize.js';
import type { JsonColumnSpec } from '../../../src/writer/task.js';
import { jsonSchema, readRows, task, tempDir, writeSegment } from './support.js';

const json = (doc: unknown) => ({ value: Buffer.from(JSON.stringify(doc)), timestamp: 1_700_000_000_000n });

/** The file's directory, relative to the task's output directory. */
const directoryOf = (outputDir: string, file: string) => path.relative(outputDir, path.dirname(file));

test('identity: every file holds one Kafka partition, named _kafka_partition=<n>', async () => {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [{ value: Buffer.from('a'), timestamp: 1n }, { value: Buffer.from('b'), timestamp: 2n }] }]);
  const out = `${dir}/out`;
  const result = await materialize(task(segment, out, { partition: 7, partitionBy: 'identity' }));
  assert.deepEqual(result.files.map((f) => [f.partitionValue, f.recordCount, directoryOf(out, f.path)]), [[7, 2, '_kafka_partition=7']]);
  assert.deepEqual((await readRows(result.files[0].path)).map((r) => r._kafka_partition), [7, 7]);
});

test('identity:<string column>: one file per value, null for a missing field, escaped directory names', async () => {
  const dir = tempDir();
  const specs: JsonColumnSpec[] = [{ fieldId: 10, name: 'region', path: 'region', type: 'string' }];
  const segment = writeSegment(dir, [
    { baseOffset: 0n, records: [json({ region: 'eu', n: 0 }), json({ region: 'us', n: 1 }), json({ n: 2 }), json({ region: 'a b/c', n: 3 }), json({ region: 'eu', n: 4 })] },
  ]);
  const out = `${dir}/out`;
  const result = await materialize(task(segment, out, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs), partitionBy: 'identity:region' }));
  assert.deepEqual(
    result.files.map((f) => [f.partitionValue, f.recordCount, directoryOf(out, f.path)]),
    [
      [null, 1, 'region=null'],
      ['a b/c', 1, 'region=a%20b%2Fc'],
      ['eu', 2, 'region=eu'],
      ['us', 1, 'region=us'],
    ],
  );
  for (const f of result.files) {
    const rows = await readRows(f.path);
    for (const r of rows) {
      const region = r.region === null || r.region === undefined ? null : Buffer.from(r.region as Uint8Array).toString('utf8');
      assert.equal(region, f.partitionValue, `rows of ${f.path}`);
    }
  }
});

test('identity:<long and date columns>: exact values; dates and hours name directories as yyyy-MM-dd[-HH]', async () => {
  const dir = tempDir();
  const specs: JsonColumnSpec[] = [
    { fieldId: 10, name: 'account', path: 'account', type: 'long' },
    { fieldId: 11, name: 'ship', path: 'ship', type: 'date' },
  ];
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [json({ account: 9007199254740991, ship: '2024-03-01' }), json({ account: -5, ship: '2024-02-29' })] }]);
  const base = { valueFormat: 'json' as const, jsonColumns: specs, schema: jsonSchema(specs) };
  const byAccount = await materialize(task(segment, `${dir}/a`, { ...base, partitionBy: 'identity:account' }));
  assert.deepEqual(byAccount.files.map((f) => [f.partitionValue, directoryOf(`${dir}/a`, f.path)]), [[-5n, 'account=-5'], [9007199254740991n, 'account=9007199254740991']]);
  const byShip = await materialize(task(segment, `${dir}/s`, { ...base, partitionBy: 'identity:ship' }));
  assert.deepEqual(byShip.files.map((f) => [f.partitionValue, directoryOf(`${dir}/s`, f.path)]), [[19782, 'ship=2024-02-29'], [19783, 'ship=2024-03-01']]);
  const byHour = await materialize(task(segment, `${dir}/h`, { ...base, partitionBy: 'hour' }));
  assert.deepEqual(byHour.files.map((f) => directoryOf(`${dir}/h`, f.path)), ['_kafka_timestamp_hour=2023-11-14-22']);
});

test('hour: a timestamp whose hour does not fit an Iceberg int is a bad record, not a file the table cannot list', async () => {
  const dir = tempDir();
  const at = (timestamp: bigint) => ({ value: Buffer.from('{}'), timestamp });
  // 8e15 ms still fits int64 microseconds, but its hour (2,222,222,222) is above 2^31-1.
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [at(1_700_000_000_000n), at(8_000_000_000_000_000n), at(-8_000_000_000_000_000n), at(7_700_000_000_000_000n)] }]);
  const result = await materialize(task(segment, `${dir}/h`, { valueFormat: 'json', jsonColumns: [], schema: jsonSchema([]), partitionBy: 'hour' }));
  assert.deepEqual(result.badRecords.map((b) => [b.offset, b.reason]), [
    [1n, "timestamp 8000000000000000 ms is beyond what the table's hour partition (an int) can hold"],
    [2n, "timestamp -8000000000000000 ms is beyond what the table's hour partition (an int) can hold"],
  ]);
  assert.deepEqual(result.files.map((f) => f.partitionValue).sort(), [472222, 2138888888].sort());
  // By day the same timestamps fit.
  const byDay = await materialize(task(segment, `${dir}/d`, { valueFormat: 'json', jsonColumns: [], schema: jsonSchema([]), partitionBy: 'day' }));
  assert.equal(byDay.badRecords.length, 0);
});

test('identity on a column with more distinct values than open blocks: bounded blocks, every row in the file of its value', async () => {
  const dir = tempDir();
  const specs: JsonColumnSpec[] = [{ fieldId: 10, name: 'customer', path: 'customer', type: 'long' }];
  const records = Array.from({ length: 200 }, (_, n) => json({ customer: n % 40, n }));
  const segment = writeSegment(dir, [{ baseOffset: 0n, records }]);
  const out = `${dir}/out`;
  const result = await materialize(task(segment, out, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs), partitionBy: 'identity:customer' }), { maxOpenBlocks: 4 });
  assert.equal(result.rowCount, 200);
  assert.ok(result.files.length > 40, `values spread over more files than values (${result.files.length}) once blocks are evicted`);
  const offsets: bigint[] = [];
  for (const f of result.files) {
    assert.equal(directoryOf(out, f.path), `customer=${f.partitionValue}`);
    for (const r of await readRows(f.path)) {
      assert.equal(r.customer, f.partitionValue);
      offsets.push(r._kafka_offset as bigint);
    }
  }
  assert.deepEqual(offsets.sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: 200 }, (_, i) => BigInt(i)));
});

test('identity on a column that is not declared, or of a type without exact values, is a task input error', async () => {
  const dir = tempDir();
  const specs: JsonColumnSpec[] = [{ fieldId: 10, name: 'amount', path: 'amount', type: 'double' }];
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [json({ amount: 1.5 })] }]);
  const base = { valueFormat: 'json' as const, jsonColumns: specs, schema: jsonSchema(specs) };
  await assert.rejects(materialize(task(segment, `${dir}/x`, { ...base, partitionBy: 'identity:amount' })), TaskInputError);
  await assert.rejects(materialize(task(segment, `${dir}/y`, { ...base, partitionBy: 'identity:nope' })), TaskInputError);
});
