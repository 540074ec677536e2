/**
 * validation=reject's record check, with values encoded by the real libraries (avsc,
 * protobufjs, JSON text checked by ajv) and batches encoded by lakegate's own batch writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { BatchLayout, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { checkBatch, type BatchVerdict } from '../../../src/record-validation/check-batch.js';
import { buildValueDecoder, type ValueDecoder } from '../../../src/record-validation/value-decoders.js';
import type { ResolvedSchema, SchemaType } from '../../../src/schema-registry/types.js';

const resolved = (schemaType: SchemaType, schema: unknown, dependencies = new Map<string, ResolvedSchema>()): ResolvedSchema => ({
  schemaType,
  schema: typeof schema === 'string' ? schema : JSON.stringify(schema),
  references: [],
  dependencies,
});

/** Confluent framing: magic 0, big-endian id, then (Protobuf) index bytes, then the payload. */
const framed = (id: number, payload: Buffer, indexBytes: number[] = []) => {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(id, 1);
  return Buffer.concat([prefix, Buffer.from(indexBytes), payload]);
};

const orderSchema = { type: 'record', name: 'Order', namespace: 'acme', fields: [{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }] };
const orderType = avro.Type.forSchema(orderSchema as avro.Schema);
const goodOrder = orderType.toBuffer({ id: 7, item: 'book' });

const proto = `syntax = "proto3"; package shop;
message Customer { string name = 1; message Address { string city = 1; int32 zip = 2; } }
message Basket { repeated string items = 1; int64 total = 2; }`;
const root = protobuf.parse(proto).root;
const basket = root.lookupType('shop.Basket');
const address = root.lookupType('shop.Customer.Address');

// total (field 2) as 2 length-delimited bytes, which protobufjs alone reads as total = 2 and
// items = [''] without an error.
const WRONG_WIRE_BASKET = Buffer.from([0x12, 0x02, 0x0a, 0x00]);
assert.deepEqual(basket.toObject(basket.decode(WRONG_WIRE_BASKET), { longs: Number }), { items: [''], total: 2 });

const jsonSchema = { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } }, required: ['sku', 'qty'] };

const decoders = new Map<number, ValueDecoder>([
  [1, buildValueDecoder(resolved('AVRO', orderSchema))],
  [2, buildValueDecoder(resolved('PROTOBUF', proto))],
  [3, buildValueDecoder(resolved('JSON', jsonSchema))],
]);

function check(batch: Buffer, opts: { subjectIds?: number[]; decoders?: Map<number, ValueDecoder> } = {}): BatchVerdict {
  const known = opts.decoders ?? decoders;
  return checkBatch(batch, {
    subject: 't-value',
    subjectIds: new Set(opts.subjectIds ?? [1, 2, 3]),
    decoder: (id) => known.get(id),
    maxUncompressedBytes: 1 << 20,
  });
}

const batchOf = (values: Array<Buffer | null>, codec: number = CompressionCodec.None) => encodeRecordBatch({ records: values.map((value) => ({ value })), codec });
const badIndexes = (v: BatchVerdict) => {
  assert.equal(v.kind, 'checked');
  return v.kind === 'checked' ? v.badRecords.map((b) => b.batchIndex) : [];
};

test('Avro: every codec; truncated, trailing bytes, no magic byte, unknown id and tombstone are named by batch index', () => {
  const values = [
    framed(1, goodOrder),
    framed(1, goodOrder.subarray(0, goodOrder.length - 2)), // truncated
    framed(1, Buffer.concat([goodOrder, Buffer.from([0])])), // a byte after the value
    goodOrder, // no wire format at all
    framed(99, goodOrder), // id not registered under the subject
    null, // tombstone
    framed(1, orderType.toBuffer({ id: -1, item: '' })),
  ];
  for (const codec of [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd]) {
    const verdict = check(batchOf(values, codec));
    assert.deepEqual(badIndexes(verdict), [1, 2, 3, 4, 5], `codec ${codec}`);
    if (verdict.kind !== 'checked') continue;
    const [truncated, trailing, unframed, unknown, tombstone] = verdict.badRecords.map((b) => b.message);
    assert.match(truncated, /Avro acme\.Order/);
    assert.match(trailing, /Avro acme\.Order.*trailing/);
    assert.match(unframed, /magic byte 0/);
    assert.match(unknown, /schema id 99 is not registered under subject t-value/);
    assert.match(tombstone, /tombstone/);
  }
});

test('a valid batch has no bad records', () => {
  const verdict = check(batchOf([framed(1, goodOrder), framed(3, Buffer.from('{"sku":"a","qty":2}')), framed(2, Buffer.from(basket.encode({ items: ['x'], total: 3 }).finish()), [2, 2])]));
  assert.deepEqual(verdict, { kind: 'checked', badRecords: [] });
});

test('a value framed with an id of another subject is refused even though the id exists', () => {
  // Id 3 is a real, decodable schema, just not one of this subject's.
  assert.deepEqual(badIndexes(check(batchOf([framed(3, Buffer.from('{"sku":"a","qty":2}'))]), { subjectIds: [1] })), [0]);
});

test('Protobuf: message indexes pick the message ([0] shorthand, nested path), bad indexes and bad payloads are refused', () => {
  const customer = root.lookupType('shop.Customer').encode({ name: 'Ada' }).finish();
  const values = [
    framed(2, Buffer.from(customer), [0]), // single 0 byte: [0] = Customer
    framed(2, Buffer.from(basket.encode({ items: ['a', 'b'], total: 5 }).finish()), [2, 2]), // count 1, index 1 (zigzag)
    framed(2, Buffer.from(address.encode({ city: 'Oslo', zip: 150 }).finish()), [4, 0, 0]), // [0, 0]: Customer.Address
    framed(2, Buffer.from(customer), [2, 10]), // index 5: no such message
    framed(2, Buffer.from([0x0a, 0x10, 0x41]), [0]), // [0] then a string field claiming 16 bytes with 1 there
    framed(2, Buffer.alloc(0)), // no index list at all
    framed(2, Buffer.from([0x80, 0x80]), [0x7e]), // count 63 with 2 bytes left
    framed(2, WRONG_WIRE_BASKET, [2, 2]), // Basket whose int64 total arrives length-delimited
  ];
  const verdict = check(batchOf(values, CompressionCodec.Zstd));
  assert.deepEqual(badIndexes(verdict), [3, 4, 5, 6, 7]);
  if (verdict.kind === 'checked') {
    assert.match(verdict.badRecords[0].message, /indexes \[5\] name no message/);
    assert.match(verdict.badRecords[1].message, /Protobuf shop\.Customer/);
    assert.match(verdict.badRecords[2].message, /runs past the end/);
    assert.match(verdict.badRecords[3].message, /index count 63 is not plausible/);
    assert.match(verdict.badRecords[4].message, /Protobuf shop\.Basket: field Basket\.total \(number 2\) arrived as length-delimited, but the schema's int64 is varint/);
  }
});

test('JSON Schema: ajv validates the document; non-JSON and invalid UTF-8 are refused', () => {
  const values = [
    framed(3, Buffer.from(JSON.stringify({ sku: 'a', qty: 1 }))),
    framed(3, Buffer.from(JSON.stringify({ sku: 'a', qty: 0 }))), // below minimum
    framed(3, Buffer.from(JSON.stringify({ qty: 1 }))), // required sku missing
    framed(3, Buffer.from('{"sku": "a", ')), // not JSON
    framed(3, Buffer.from([0x22, 0xff, 0x22])), // a JSON string of invalid UTF-8
  ];
  const verdict = check(batchOf(values, CompressionCodec.Gzip));
  assert.deepEqual(badIndexes(verdict), [1, 2, 3, 4]);
  if (verdict.kind === 'checked') {
    assert.match(verdict.badRecords[0].message, /value\/qty must be >= 1/);
    assert.match(verdict.badRecords[1].message, /must have required property 'sku'/);
    assert.match(verdict.badRecords[3].message, /not UTF-8 JSON/);
  }
});

test('JSON Schema: draft 2020-12 schemas and $refs to schema references resolve', () => {
  const money = { $id: 'money.json', type: 'object', properties: { cents: { type: 'integer' } }, required: ['cents'] };
  const price = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { amount: { $ref: 'money.json' }, tags: { type: 'array', prefixItems: [{ type: 'string' }], items: false } },
  };
  const decoder = buildValueDecoder(resolved('JSON', price, new Map([['money.json', resolved('JSON', money)]])));
  const own = new Map([[5, decoder]]);
  const verdict = check(
    batchOf([
      framed(5, Buffer.from('{"amount":{"cents":3},"tags":["a"]}')),
      framed(5, Buffer.from('{"amount":{"cents":"3"}}')), // referenced schema says integer
      framed(5, Buffer.from('{"tags":["a","b"]}')), // 2020-12 prefixItems + items:false
    ]),
    { subjectIds: [5], decoders: own },
  );
  assert.deepEqual(badIndexes(verdict), [1, 2]);
});

test('JSON Schema: $refs to anchors ($anchor in 2020-12, a fragment $id in draft-07) are validated through', () => {
  const modern = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { zip: { $ref: '#zip' } }, $defs: { z: { $anchor: 'zip', type: 'integer' } } };
  const draft7 = { type: 'object', properties: { zip: { $ref: '#zip' } }, definitions: { z: { $id: '#zip', type: 'integer' } } };
  for (const schema of [modern, draft7]) {
    const own = new Map([[6, buildValueDecoder(resolved('JSON', schema))]]);
    const verdict = check(batchOf([framed(6, Buffer.from('{"zip":150}')), framed(6, Buffer.from('{"zip":"150"}'))]), { subjectIds: [6], decoders: own });
    assert.deepEqual(badIndexes(verdict), [1], JSON.stringify(schema));
  }
});

test('an id the caller has no decoder for yet is asked for, not judged', () => {
  const verdict = check(batchOf([framed(1, goodOrder), framed(4, goodOrder), framed(4, goodOrder)]), { subjectIds: [1, 4] });
  assert.deepEqual(verdict, { kind: 'needs-schemas', schemaIds: [4] });
});

test('a records region that does not decode is corrupt, and a decompression bomb is stopped', () => {
  const batch = batchOf([framed(1, goodOrder)]);
  batch.writeUInt8(0x7f, BatchLayout.RECORDS); // record length varint now claims 63 bytes more than exist
  batch.writeUInt32BE(computeBatchCrc(batch), BatchLayout.CRC);
  const corrupt = check(batch);
  assert.equal(corrupt.kind, 'corrupt');

  const big = batchOf([framed(1, Buffer.alloc(2 << 20))], CompressionCodec.Zstd);
  const bomb = check(big);
  assert.equal(bomb.kind, 'corrupt');
  assert.match(bomb.kind === 'corrupt' ? bomb.message : '', /limit/);
});

test('Avro longs past 2^53 are valid, as a plain long and under a logical type', () => {
  const schema = { type: 'record', name: 'Tick', fields: [{ name: 'id', type: 'long' }, { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } }] };
  // Zigzag varints of 2^60 + 1 and 2^62 + 3, written by hand: avsc's own long cannot encode them.
  const zigzag = (n: bigint) => {
    const out: number[] = [];
    for (let z = n << 1n; ; z >>= 7n) {
      if (z < 0x80n) return [...out, Number(z)];
      out.push(Number(z & 0x7fn) | 0x80);
    }
  };
  const payload = Buffer.from([...zigzag(2n ** 60n + 1n), ...zigzag(2n ** 62n + 3n)]);
  const verdict = check(batchOf([framed(9, payload)]), { subjectIds: [9], decoders: new Map([[9, buildValueDecoder(resolved('AVRO', schema))]]) });
  assert.deepEqual(verdict, { kind: 'checked', badRecords: [] });
});

test('a map key __proto__ is checked like any other key: its value is valid or the record is refused', () => {
  const avroBag = { type: 'record', name: 'Bag', fields: [{ name: 'm', type: { type: 'map', values: { type: 'record', name: 'Part', fields: [{ name: 'n', type: 'int' }] } } }] };
  const protoBag = 'syntax = "proto3"; package k; message Bag { map<string, Part> m = 1; } message Part { int32 n = 1; }';
  const jsonBag = { type: 'object', properties: { m: { type: 'object', additionalProperties: { type: 'integer' } } } };
  const ownKeys = (entries: Array<[string, unknown]>) => Object.assign(Object.create(null) as object, Object.fromEntries(entries));
  const bagType = protobuf.parse(protoBag).root.lookupType('k.Bag');
  const values = [
    framed(4, avro.Type.forSchema(avroBag as avro.Schema).toBuffer({ m: ownKeys([['__proto__', { n: 1 }]]) })),
    framed(5, Buffer.from(bagType.encode(bagType.fromObject({ m: ownKeys([['__proto__', { n: 1 }]]) })).finish()), [0]),
    framed(6, Buffer.from('{"m":{"__proto__":1,"constructor":2}}')),
    framed(6, Buffer.from('{"m":{"__proto__":"one"}}')), // not an integer, under the key that could hide it
  ];
  const bagDecoders = new Map([
    [4, buildValueDecoder(resolved('AVRO', avroBag))],
    [5, buildValueDecoder(resolved('PROTOBUF', protoBag))],
    [6, buildValueDecoder(resolved('JSON', jsonBag))],
  ]);
  const verdict = check(batchOf(values), { subjectIds: [4, 5, 6], decoders: bagDecoders });
  assert.deepEqual(badIndexes(verdict), [3]);
  if (verdict.kind === 'checked') assert.match(verdict.badRecords[0].message, /__proto__.* must be integer/);
});
