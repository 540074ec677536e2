/**
 * Avro values through the writer task itself (real segment file, avsc-encoded Confluent-framed
 * values, Parquet read back with hyparquet, an independent reader): typed nested columns with
 * their field ids, statistics for the leaves, a second writer version resolved to the reader,
 * and bad records (bad framing, unknown id, truncated payload, decimal too wide, bad uuid,
 * tombstone, a writer version with zero-byte array items) reported by offset while the good
 * rows land.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { avroRowSchema } from '../../../src/tables/typed-value-schemas.js';
import { materialize } from '../../../src/writer/materialize.js';
import { systemColumns } from '../../../src/writer/schema.js';
import { readPlainRows } from '../../support/iceberg-table-reader.js';
import { fieldIds, readRows, task, tempDir, writeSegment } from './support.js';

const v1 = {
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'n', type: 'int' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'ref', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'tags', type: { type: 'map', values: ['null', 'int'] } },
    { name: 'points', type: { type: 'array', items: { type: 'record', name: 'P', fields: [{ name: 'x', type: 'double' }] } } },
    { name: 'label', type: ['null', 'string'], default: null },
  ],
};
// v2 reads v1 (int -> long, an added field with a default): the table's reader schema.
const v2 = { ...v1, fields: [...v1.fields.map((f) => (f.name === 'n' ? { name: 'n', type: 'long' } : f)), { name: 'unit', type: 'string', default: 'C' }] };

// A writer version whose array items take no bytes: a few bytes could claim billions of items.
const v0 = { ...v1, fields: [...v1.fields, { name: 'z', type: { type: 'array', items: 'null' }, default: [] }] };
const frame = (id: number, body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, id]), body]);
const t1 = avro.Type.forSchema(v1 as avro.Schema);
const t2 = avro.Type.forSchema(v2 as avro.Schema);
const t0 = avro.Type.forSchema(v0 as avro.Schema);
const dec = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const ref = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const reading = (i: number) => ({ n: i, price: dec(i * 101 - 300), at: 1_700_000_000_000 + i, ref: ref(i), tags: { a: i, b: null }, points: [{ x: i / 2 }], label: i % 2 ? `l${i}` : null });

test('avro: typed nested columns with field ids and stats; versions resolve to the reader; bad records are reported', async () => {
  const dir = tempDir();
  const text = (s: unknown) => ({ schemaType: 'AVRO' as const, schema: JSON.stringify(s), references: [] });
  const schema = avroRowSchema(text(v2), { schemaId: 0, columns: systemColumns() }, 0);
  const values: Array<Buffer | null> = [
    /* 0 */ frame(1, t1.toBuffer(reading(0))),
    /* 1 */ frame(2, t2.toBuffer({ ...reading(1), n: 1, unit: 'F' })),
    /* 2 */ Buffer.from('{"n":1}'),
    /* 3 */ frame(9, t1.toBuffer(reading(3))),
    /* 4 */ frame(1, t1.toBuffer(reading(4)).subarray(0, 5)),
    /* 5 */ frame(1, t1.toBuffer({ ...reading(5), price: dec(1_000_000) })),
    /* 6 */ frame(1, t1.toBuffer({ ...reading(6), ref: 'not-a-uuid' })),
    /* 7 */ null,
    /* 8 */ frame(1, t1.toBuffer(reading(8))),
    /* 9 */ frame(3, t0.toBuffer({ ...reading(9), z: [null, null] })),
  ];
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: values.map((value, i) => ({ value, timestamp: 1_700_000_000_000n + BigInt(i) })) }]);
  const result = await materialize(
    task(segment, `${dir}/out`, { valueFormat: 'avro', schema, typed: { readerSchemaId: 2, schemas: { 1: text(v1), 2: text(v2), 3: text(v0) } } }),
  );
  const bad = new Map(result.badRecords.map((b) => [Number(b.offset), b.reason]));
  assert.deepEqual([...bad.keys()], [2, 3, 4, 5, 6, 7, 9]);
  assert.match(bad.get(9)!, /schema 3 has an array or map whose items take no bytes/);
  assert.match(bad.get(2)!, /magic byte/);
  assert.match(bad.get(3)!, /schema id 9 is not a version/);
  assert.match(bad.get(4)!, /does not decode/);
  assert.match(bad.get(5)!, /price: decimal 1000000 .* more than 6 digits/);
  assert.match(bad.get(6)!, /ref: uuid "not-a-uuid"/);
  assert.match(bad.get(7)!, /tombstone/);
  assert.equal(result.rowCount, 3);

  const [file] = result.files;
  const rows = await readRows(file.path);
  assert.deepEqual(rows.map((r) => r.n), [0n, 1n, 8n], 'int written by v1 widened to the long column');
  assert.deepEqual(rows.map((r) => r.unit), ['C', 'F', 'C'], 'v1 records take the default of the added field');
  assert.deepEqual(rows.map((r) => r.label), [null, 'l1', null]);
  assert.deepEqual(rows.map((r) => r.tags), [{ a: 0, b: null }, { a: 1, b: null }, { a: 8, b: null }]);
  assert.deepEqual(rows.map((r) => r.points), [[{ x: 0 }], [{ x: 0.5 }], [{ x: 4 }]]);
  assert.deepEqual(rows.map((r) => r.at), [1_700_000_000_000_000n, 1_700_000_000_001_000n, 1_700_000_000_008_000n], 'millis to micros');

  const ids = fieldIds(file.path);
  const byName = new Map(schema.columns.map((c) => [c.name, c.id]));
  for (const name of ['n', 'price', 'at', 'ref', 'tags', 'points', 'label', 'unit']) assert.equal(ids.get(name), byName.get(name), `field id of ${name}`);

  const stats = file.columnStats;
  const id = (name: string) => byName.get(name)!;
  assert.deepEqual([stats[id('price')].min, stats[id('price')].max], [-300n, 508n], 'decimal bounds are unscaled values');
  assert.deepEqual(Buffer.from(stats[id('ref')].min as Uint8Array).toString('hex'), ref(0).replace(/-/g, ''));
  assert.deepEqual(Buffer.from(stats[id('ref')].max as Uint8Array).toString('hex'), ref(8).replace(/-/g, ''));
  const tags = schema.columns.find((c) => c.name === 'tags')!.type as { keyId: number; valueId: number };
  assert.deepEqual([stats[tags.keyId].valueCount, stats[tags.valueId].valueCount, stats[tags.valueId].nullCount], [6, 6, 3], 'map leaves count entries');
  assert.deepEqual([stats[id('label')].valueCount, stats[id('label')].nullCount], [3, 2]);
});

test('avro: a writer version whose decimal has another scale than the table\'s is a bad record, not a rescaled row', async () => {
  const dir = tempDir();
  const text = (s: unknown) => ({ schemaType: 'AVRO' as const, schema: JSON.stringify(s), references: [] });
  const payment = (scale: number) => ({
    type: 'record',
    name: 'Payment',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale } },
    ],
  });
  // Version 1 wrote amounts with 2 decimals, version 2 (the table's reader schema) with 4:
  // Avro resolves the bytes alike, so 1.23 (unscaled 123) would land as 0.0123.
  const schema = avroRowSchema(text(payment(4)), { schemaId: 0, columns: systemColumns() }, 0);
  const [w1, w2] = [payment(2), payment(4)].map((s) => avro.Type.forSchema(s as avro.Schema));
  const values = [frame(1, w1.toBuffer({ id: 1, amount: dec(123) })), frame(2, w2.toBuffer({ id: 2, amount: dec(12_300) }))];
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: values.map((value, i) => ({ value, timestamp: 1_700_000_000_000n + BigInt(i) })) }]);
  const result = await materialize(task(segment, `${dir}/out`, { valueFormat: 'avro', schema, typed: { readerSchemaId: 2, schemas: { 1: text(payment(2)), 2: text(payment(4)) } } }));

  assert.deepEqual(result.badRecords.map((b) => b.offset), [0n]);
  assert.match(result.badRecords[0].reason, /schema 1 cannot be read as the table's schema 2: field amount: the writer's bytes decimal\(10,2\) would be read as bytes decimal\(10,4\)/);
  assert.equal(result.rowCount, 1);
  const rows = await readRows(result.files[0].path);
  assert.deepEqual(rows.map((r) => r.id), [2n]);
  const amount = result.files[0].columnStats[schema.columns.find((c) => c.name === 'amount')!.id];
  assert.deepEqual([amount.min, amount.max], [12_300n, 12_300n], 'only the version-2 value, unscaled at scale 4');
});

/** A map as avsc writes it from its own keys: a null prototype lets "__proto__" be one. */
function mapOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const map = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of entries) map[key] = value;
  return map;
}

test('avro: map keys __proto__, constructor and toString are ordinary entries, and nothing inherited is one', async () => {
  const dir = tempDir();
  const bag = {
    type: 'record',
    name: 'Bag',
    fields: [
      { name: 'counts', type: { type: 'map', values: 'int' } },
      { name: 'parts', type: { type: 'map', values: { type: 'record', name: 'Part', fields: [{ name: 'n', type: 'int' }] } } },
    ],
  };
  const type = avro.Type.forSchema(bag as avro.Schema);
  const values = [
    { counts: mapOf([['__proto__', 1], ['constructor', 2], ['toString', 3], ['plain', 4]]), parts: mapOf([['x', { n: 6 }]]) },
    // A record value under "__proto__": avsc's own read made it the map's prototype, whose
    // field n and record methods (clone, toBuffer, ...) for...in then took as entries.
    { counts: mapOf([]), parts: mapOf([['__proto__', { n: 5 }], ['y', { n: 7 }]]) },
  ];
  const encoded = values.map((v) => type.toBuffer(v));
  // The bytes are plain Avro: block of 4 entries, the first key the 9 bytes "__proto__".
  assert.equal(encoded[0].subarray(0, 11).toString('hex'), `08${'12'}${Buffer.from('__proto__').toString('hex')}`);
  const text = { schemaType: 'AVRO' as const, schema: JSON.stringify(bag), references: [] };
  const schema = avroRowSchema(text, { schemaId: 0, columns: systemColumns() }, 0);
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: encoded.map((body) => ({ value: frame(1, body), timestamp: 1_700_000_000_000n })) }]);
  const result = await materialize(task(segment, `${dir}/out`, { valueFormat: 'avro', schema, typed: { readerSchemaId: 1, schemas: { 1: text } } }));
  assert.deepEqual(result.badRecords, []);
  const rows = await readPlainRows(result.files[0].path);
  const entries = (m: unknown) => Object.entries(m as object);
  assert.deepEqual(rows.map((r) => entries(r.counts)), [
    [['__proto__', 1], ['constructor', 2], ['toString', 3], ['plain', 4]],
    [],
  ]);
  assert.deepEqual(rows.map((r) => entries(r.parts)), [
    [['x', { n: 6 }]],
    [['__proto__', { n: 5 }], ['y', { n: 7 }]],
  ]);
});
