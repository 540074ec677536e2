import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { materialize } from '../../../src/writer/materialize.js';
import { jsonSchemaFormat } from '../../../src/writer/json-schema-format.js';
import { BodyProblem } from '../../../src/writer/typed-format.js';
import type { JsonColumnSpec } from '../../../src/writer/task.js';
import { footer, fieldIds, jsonSchema, readRows, task, tempDir, writeSegment } from './support.js';

const specs: JsonColumnSpec[] = [
  { fieldId: 10, name: 'id', path: 'id', type: 'long' },
  { fieldId: 11, name: 'price', path: 'price', type: 'double' },
  { fieldId: 12, name: 'name', path: 'name', type: 'string' },
  { fieldId: 13, name: 'ok', path: 'ok', type: 'boolean' },
  { fieldId: 14, name: 'at', path: 'at', type: 'timestamptz' },
  { fieldId: 15, name: 'day', path: 'day', type: 'date' },
  { fieldId: 16, name: 'qty', path: 'quantity', type: 'int' },
];

const T = 1_700_000_000_000n;
const doc = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8');

test('json: typed columns convert, bad records are reported with offsets and reasons, good rows still land', async () => {
  const dir = tempDir();
  const values: (Buffer | null)[] = [
    /* 0 */ doc({ id: 1, price: 9.5, name: 'apple', ok: true, at: '2024-03-01T12:00:00.123456Z', day: '2024-03-01', quantity: 3, extra: { nested: [1] } }),
    /* 1 */ doc({ id: -9007199254740991, price: -1e300, name: '𝄞 clef', ok: false, at: 1_700_000_000_001, day: '1969-12-31', quantity: -2147483648 }),
    /* 2 */ doc({}),
    /* 3 */ Buffer.from([0x7b, 0xff, 0x7d]), // invalid UTF-8
    /* 4 */ Buffer.from('{"id": 1,', 'utf8'), // not JSON
    /* 5 */ doc({ price: 'cheap' }), // type mismatch
    /* 6 */ doc({ quantity: 1.5 }), // fraction for int
    /* 7 */ null, // tombstone
    /* 8 */ doc([1, 2]), // not an object
    /* 9 */ doc({ at: '2024-02-30T00:00:00Z' }), // no such day
    /* 10 */ doc({ id: 2, name: 'é', at: '2024-03-01 13:30:00+01:30', day: null, ok: null }),
    /* 11 */ Buffer.from('{"id": 12345678901234567890}', 'utf8'), // beyond int64
    /* 12 */ Buffer.from('  {"name":"\\ud83d\\ude00 \\u0000"}  ', 'utf8'),
  ];
  const segment = writeSegment(dir, [
    { baseOffset: 100n, codec: CompressionCodec.Zstd, records: values.slice(0, 7).map((value, i) => ({ value, timestamp: T + BigInt(i) })) },
    { baseOffset: 107n, codec: CompressionCodec.Gzip, records: values.slice(7).map((value, i) => ({ value, key: Buffer.from('k'), timestamp: T + BigInt(7 + i) })) },
  ]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs) }));

  const bad = new Map(result.badRecords.map((r) => [Number(r.offset) - 100, r.reason]));
  assert.deepEqual([...bad.keys()], [3, 4, 5, 6, 7, 8, 9, 11]);
  for (const r of result.badRecords) assert.equal(r.partition, 3);
  assert.equal(bad.get(3), 'value is not valid UTF-8');
  assert.match(bad.get(4)!, /^value is not valid JSON: /);
  assert.match(bad.get(5)!, /field "price" \(column price, double\): expected a number, got string "cheap"/);
  assert.match(bad.get(6)!, /field "quantity" \(column qty, int\): expected a 32-bit integer, got number 1.5/);
  assert.match(bad.get(7)!, /null \(a tombstone\)/);
  assert.match(bad.get(8)!, /JSON array, not an object/);
  assert.match(bad.get(9)!, /field "at" \(column at, timestamptz\): expected an ISO-8601 timestamp/);
  assert.match(bad.get(11)!, /field "id" \(column id, long\): expected an integer within the 64-bit long range, got number 12345678901234567890/);

  assert.equal(result.rowCount, 5);
  assert.equal(result.lastOffset, 112n);
  const [file] = result.files;
  const rows = await readRows(file.path);
  assert.deepEqual(rows.map((r) => r._kafka_offset), [100n, 101n, 102n, 110n, 112n]);
  assert.equal(rows[0].value, values[0]!.toString('utf8'), 'the document is kept byte for byte');
  assert.equal(rows[4].value, values[12]!.toString('utf8'));
  const typed = rows.map((r) => [r.id, r.price, r.name, r.ok, r.at, r.day, r.qty]);
  assert.deepEqual(typed, [
    [1n, 9.5, 'apple', true, 1709294400123456n, 19783, 3],
    [-9007199254740991n, -1e300, '𝄞 clef', false, 1_700_000_000_001_000n, -1, -2147483648],
    [null, null, null, null, null, null, null],
    [2n, null, 'é', null, 1709294400000000n, null, null],
    [null, null, '😀 \u0000', null, null, null, null],
  ]);

  const ids = fieldIds(file.path);
  for (const s of specs) assert.equal(ids.get(s.name), s.fieldId);
  const types = Object.fromEntries(footer(file.path).schema.map((e) => [e.name, [e.type, e.logical_type?.type ?? e.converted_type]]));
  assert.deepEqual(types.id, ['INT64', undefined]);
  assert.deepEqual(types.price, ['DOUBLE', undefined]);
  assert.deepEqual(types.name, ['BYTE_ARRAY', 'STRING']);
  assert.deepEqual(types.value, ['BYTE_ARRAY', 'STRING']);
  assert.deepEqual(types.day, ['INT32', 'DATE']);
  assert.deepEqual(types.at, ['INT64', 'TIMESTAMP']);

  const s = file.columnStats;
  assert.deepEqual(pick(s[10]), { valueCount: 5, nullCount: 2, min: -9007199254740991n, max: 2n });
  assert.deepEqual(pick(s[11]), { valueCount: 5, nullCount: 3, nanCount: 0, min: -1e300, max: 9.5 });
  // UTF-8 byte order: 'apple' < 'é' (c3 a9) < '𝄞' (f0 9d) < '😀' (f0 9f).
  assert.deepEqual(pick(s[12]), { valueCount: 5, nullCount: 1, min: 'apple', max: '😀 \u0000' });
  assert.deepEqual(pick(s[13]), { valueCount: 5, nullCount: 3, min: false, max: true });
  assert.deepEqual(pick(s[14]), { valueCount: 5, nullCount: 2, min: 1_700_000_000_001_000n, max: 1709294400123456n });
  assert.deepEqual(pick(s[15]), { valueCount: 5, nullCount: 3, min: -1, max: 19783 });
  assert.deepEqual(pick(s[16]), { valueCount: 5, nullCount: 3, min: -2147483648, max: 3 });
  assert.equal(s[9].valueCount, 5);
  assert.equal(s[9].nullCount, 0);
  assert.equal(s[9].min, values[12]!.toString('utf8'), 'space (0x20) sorts before {');
  assert.equal(s[4].nullCount, 3, 'keys only on the second batch');
});

function pick(s: { valueCount: number; nullCount: number; nanCount?: number; min?: unknown; max?: unknown }) {
  const { sizeBytes: _ignored, ...rest } = s as typeof s & { sizeBytes?: number };
  return rest;
}

test('json: a required typed column rejects records that lack it', async () => {
  const dir = tempDir();
  const spec: JsonColumnSpec[] = [{ fieldId: 10, name: 'id', path: 'id', type: 'long' }];
  const schema = jsonSchema(spec);
  schema.columns[schema.columns.length - 1].required = true;
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [{ value: doc({ id: 1 }) }, { value: doc({ id: null }) }, { value: doc({}) }] }]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: spec, schema }));
  assert.equal(result.rowCount, 1);
  assert.deepEqual(
    result.badRecords.map((r) => [r.offset, r.reason]),
    [
      [1n, 'field "id" (column id) is required but null'],
      [2n, 'field "id" (column id) is required but missing'],
    ],
  );
});

test('json: a column in the schema that nothing fills any more is written as nulls', async () => {
  const dir = tempDir();
  const schema = jsonSchema([{ fieldId: 10, name: 'old', path: 'old', type: 'string' }]);
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: [{ value: doc({ old: 'x' }) }, { value: doc({}) }] }]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: [], schema }));
  const rows = await readRows(result.files[0].path);
  assert.deepEqual(rows.map((r) => r.old), [null, null]);
  assert.deepEqual(result.files[0].columnStats[10].valueCount, 2);
  assert.deepEqual(result.files[0].columnStats[10].nullCount, 2);
});

test('json: bounds of a double column with both zeros are -0.0 and 0.0, in either order', async () => {
  const dir = tempDir();
  const specs: JsonColumnSpec[] = [{ fieldId: 10, name: 'd', path: 'd', type: 'double' }];
  for (const [first, second] of [['0.0', '-0.0'], ['-0.0', '0.0']]) {
    const doc = (d: string) => ({ value: Buffer.from(`{"d":${d}}`), timestamp: 1_700_000_000_000n });
    const sub = tempDir();
    const segment = writeSegment(sub, [{ baseOffset: 0n, records: [doc(first), doc(second)] }]);
    const result = await materialize(task(segment, `${dir}/${first}`, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs), partitionBy: 'none' }));
    const s = result.files[0].columnStats[10];
    // Iceberg orders -0.0 before 0.0: an upper bound of -0.0 would let a scan for d = 0.0 skip the file.
    assert.ok(Object.is(s.min, -0), `${first}, ${second}: min is -0.0 (${String(s.min)})`);
    assert.ok(Object.is(s.max, 0), `${first}, ${second}: max is 0.0`);
  }
});

/** Each record's verdict: its row's value of `column`, or its bad-record reason. */
async function verdicts(specs: JsonColumnSpec[], texts: string[], column: string): Promise<unknown[]> {
  const dir = tempDir();
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: texts.map((text) => ({ value: Buffer.from(text), timestamp: T })) }]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs), partitionBy: 'none' }));
  const reasons = new Map(result.badRecords.map((r) => [Number(r.offset), r.reason]));
  const rows = result.files.length === 0 ? [] : await readRows(result.files[0].path);
  const values = new Map(rows.map((r) => [Number(r._kafka_offset), r[column]]));
  return texts.map((_, i) => reasons.get(i) ?? values.get(i));
}

test('json: integer columns take integers by their digits (1.0, 1e3), not fractions a double rounds away; double refuses 1e400', async () => {
  const numbers: JsonColumnSpec[] = [
    { fieldId: 10, name: 'id', path: 'id', type: 'long' },
    { fieldId: 11, name: 'qty', path: 'qty', type: 'int' },
    { fieldId: 12, name: 'price', path: 'price', type: 'double' },
  ];
  const cases: Array<[string, string, unknown]> = [
    ['id', '1.0', 1n],
    ['id', '1e3', 1000n],
    ['id', '1.5e1', 15n],
    ['id', '100e-2', 1n],
    ['id', '-9007199254740991.000', -9007199254740991n],
    ['id', '0e-400', 0n],
    ['id', '1.0000000000000001', 'field "id" (column id, long): expected an integer, got number 1.0000000000000001'],
    ['id', '1e-400', 'field "id" (column id, long): expected an integer, got number 1e-400'],
    ['id', '12e-1', 'field "id" (column id, long): expected an integer, got number 12e-1'],
    ['id', '1e400', 'field "id" (column id, long): expected an integer within the 64-bit long range, got number 1e400'],
    ['qty', '2147483647.0', 2147483647],
    ['qty', '-2.147483648E9', -2147483648],
    ['qty', '1.0000000000000001', 'field "qty" (column qty, int): expected a 32-bit integer, got number 1.0000000000000001'],
    ['qty', '1e-400', 'field "qty" (column qty, int): expected a 32-bit integer, got number 1e-400'],
    ['qty', '2147483648', 'field "qty" (column qty, int): expected a 32-bit integer, got number 2147483648'],
    ['price', '1e-400', 0],
    ['price', '1.7976931348623157e308', 1.7976931348623157e308],
    ['price', '1e400', 'field "price" (column price, double): expected a number within double range, got number 1e400'],
    ['price', '-1e400', 'field "price" (column price, double): expected a number within double range, got number -1e400'],
  ];
  for (const column of ['id', 'qty', 'price']) {
    const mine = cases.filter(([c]) => c === column);
    const got = await verdicts(numbers, mine.map(([c, text]) => `{"${c}":${text}}`), column);
    assert.deepEqual(got, mine.map(([, , expected]) => expected), column);
  }
});

test('json: long and double columns judge numbers as the JSON Schema path does for integer and number', async () => {
  const texts = [
    '0', '-0', '1', '1.0', '1e3', '1E+3', '1.5e1', '100e-2', '-0.0e5', '0e-400', '9007199254740991', '9007199254740991.000',
    '1.0000000000000001', '1e-400', '12e-1', '0.5', '-1.25', '100e-3', '1e400', '-1e400', '1.7976931348623157e308',
    '1.7976931348623159e308', '4.9e-324', '2e-324',
  ];
  const schema = { type: 'object', properties: { l: { type: 'integer' }, d: { type: 'number' } } };
  const reader = jsonSchemaFormat.bodyReader(1, { 1: { schemaType: 'JSON', schema: JSON.stringify(schema), references: [] } });
  const jsonSchemaTakes = (property: string, text: string) => !(reader.read(1, Buffer.from(`{"${property}":${text}}`)) instanceof BodyProblem);
  const taken: Record<string, string[]> = {};
  for (const [property, type] of [['l', 'long'], ['d', 'double']] as const) {
    const specs: JsonColumnSpec[] = [{ fieldId: 10, name: property, path: property, type }];
    const got = await verdicts(specs, texts.map((text) => `{"${property}":${text}}`), property);
    taken[type] = texts.filter((_, i) => typeof got[i] !== 'string'); // a reason is a string
    assert.deepEqual(taken[type], texts.filter((text) => jsonSchemaTakes(property, text)), type);
  }
  // What both paths agree on, spelled out:
  assert.deepEqual(taken.long, ['0', '-0', '1', '1.0', '1e3', '1E+3', '1.5e1', '100e-2', '-0.0e5', '0e-400', '9007199254740991', '9007199254740991.000']);
  assert.deepEqual(taken.double, texts.filter((t) => !['1e400', '-1e400', '1.7976931348623159e308'].includes(t)));
});

test('json: long columns past 2^53 are read from their digits, exactly, up to the int64 limits', async () => {
  const dir = tempDir();
  const texts = [
    '9007199254740993', // 2^53 + 1: JSON.parse gives ...992
    '-9223372036854775808',
    '9223372036854775807',
    '9.007199254740993e15',
    '92233720368547758.07e2',
    '9223372036854775808', // int64 max + 1
    '1e19',
  ];
  const segment = writeSegment(dir, [
    { baseOffset: 0n, codec: CompressionCodec.None, records: texts.map((t, i) => ({ value: Buffer.from(`{"id": ${t}}`, 'utf8'), timestamp: T + BigInt(i) })) },
  ]);
  const result = await materialize(task(segment, dir, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs) }));
  assert.deepEqual(
    result.badRecords.map((r) => [r.offset, r.reason]),
    [
      [5n, 'field "id" (column id, long): expected an integer within the 64-bit long range, got number 9223372036854775808'],
      [6n, 'field "id" (column id, long): expected an integer within the 64-bit long range, got number 1e19'],
    ],
  );
  const rows = await readRows(result.files[0].path);
  assert.deepEqual(
    rows.map((r) => r.id),
    [9007199254740993n, -9223372036854775808n, 9223372036854775807n, 9007199254740993n, 9223372036854775807n],
  );
});
