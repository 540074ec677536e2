/**
 * The Protobuf TypedFormat: its Avro image of a .proto message, and values (encoded with
 * protobufjs from the same .proto text, or written byte by byte) decoded into the shapes
 * avsc would give for that image, checked against the real column machinery (slots, columns,
 * checkSlot and the column writers). Covers nested and imported messages, repeated, maps,
 * oneofs, enums, well-known types, 64-bit edges, proto3 defaults, evolution between versions
 * and bodies that must be refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { checkSlot, columnWriter, pushSlot } from '../../../src/writer/avro-columns.js';
import { AvroMappingError, avroColumns, avroValueSlots } from '../../../src/writer/avro-schema.js';
import { MAX_PROTOBUF_VALUE_BYTES, protobufFormat } from '../../../src/writer/protobuf-format.js';
import { BodyProblem, type SchemaText } from '../../../src/writer/typed-format.js';

const OTHER = `syntax = "proto3";
package shared;
message Address {
  string city = 1;
  int32 zip = 2;
}
`;

const V1 = `syntax = "proto3";
package shop.v1;
import "other.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Order {
  int64 id = 1;
  string customer = 2;
  Status status = 3;
  Line first_line = 4;
  repeated Line lines = 5;
  map<string, int64> totals = 6;
  oneof payment {
    string card = 7;
    int32 voucher = 8;
  }
  google.protobuf.Timestamp placed = 9;
  google.protobuf.Int32Value priority = 10;
  google.protobuf.StringValue note = 11;
  uint64 big = 12;
  bytes blob = 13;
  shared.Address ship_to = 14;
  optional double weight = 15;
  bool gift = 16;

  message Line {
    string sku = 1;
    uint32 qty = 2;
  }
  enum Status {
    NEW = 0;
    PAID = 1;
    SHIPPED = 2;
  }
}

message Receipt {
  string id = 1;
}
`;

// v2 adds fields; Protobuf evolves by field number.
const V2 = V1.replace(
  '  bool gift = 16;\n',
  '  bool gift = 16;\n  string channel = 17;\n  Line last_line = 18;\n  map<int32, string> labels = 19;\n',
);

const REFERENCES = [{ name: 'other.proto', schema: OTHER }];
const proto = (schema: string, references = REFERENCES): SchemaText => ({ schemaType: 'PROTOBUF', schema, references });

/** A protobufjs type to encode test values with, from the same texts the format reads. */
function encoderType(text: SchemaText, name: string): protobuf.Type {
  const root = new protobuf.Root();
  for (const file of ['google/protobuf/timestamp.proto', 'google/protobuf/wrappers.proto', 'google/protobuf/duration.proto', 'google/protobuf/struct.proto']) {
    root.addJSON(protobuf.common.get(file)!.nested!);
  }
  for (const r of text.references) protobuf.parse(r.schema, root, { keepCase: true });
  protobuf.parse(text.schema, root, { keepCase: true });
  root.resolveAll();
  return root.lookupType(name);
}

const encode = (type: protobuf.Type, value: Record<string, unknown>) => Buffer.from(type.encode(type.fromObject(value)).finish());
/** Body with the index list [0] (the single byte 0) before the payload. */
const first = (payload: Buffer) => Buffer.concat([Buffer.from([0]), payload]);

function problem(v: unknown): string {
  assert.ok(v instanceof BodyProblem, `expected a BodyProblem, got ${String(v)}`);
  return v.reason;
}

/** Checks every slot of a decoded record against the image's columns and pushes it into the real writers. */
function fitsColumns(text: SchemaText, value: unknown): void {
  const { slots, rootRecord } = avroValueSlots(protobufFormat.avroImage(text));
  assert.equal(rootRecord, true);
  let id = 100;
  const columns = avroColumns(slots, () => id++);
  const record = value as Record<string, unknown>;
  assert.deepEqual(Object.keys(record), slots.map((s) => s.name));
  slots.forEach((slot, i) => {
    assert.equal(checkSlot(slot, columns[i].type, record[slot.name], slot.name), undefined, slot.name);
    pushSlot(columnWriter(slot.node, columns[i].type, columns[i].id), slot, record[slot.name]);
  });
}

const nullable = (type: unknown) => ({ type: ['null', type], default: null });

test('avroImage: the first message as a record of nullable fields, nested records defined once', () => {
  const image = protobufFormat.avroImage(proto(V1));
  assert.deepEqual(image.references, []);
  const line = {
    type: 'record',
    name: 'shop.v1.Order.Line',
    fields: [
      { name: 'sku', ...nullable('string') },
      { name: 'qty', ...nullable('long') },
    ],
  };
  assert.deepEqual(JSON.parse(image.schema), {
    type: 'record',
    name: 'shop.v1.Order',
    fields: [
      { name: 'id', ...nullable('long') },
      { name: 'customer', ...nullable('string') },
      { name: 'status', ...nullable('string') },
      { name: 'first_line', ...nullable(line) },
      { name: 'lines', ...nullable({ type: 'array', items: 'shop.v1.Order.Line' }) },
      { name: 'totals', ...nullable({ type: 'map', values: 'long' }) },
      { name: 'card', ...nullable('string') },
      { name: 'voucher', ...nullable('int') },
      { name: 'placed', ...nullable({ type: 'long', logicalType: 'timestamp-micros' }) },
      { name: 'priority', ...nullable('int') },
      { name: 'note', ...nullable('string') },
      { name: 'big', ...nullable('long') },
      { name: 'blob', ...nullable('bytes') },
      { name: 'ship_to', ...nullable({ type: 'record', name: 'shared.Address', fields: [{ name: 'city', ...nullable('string') }, { name: 'zip', ...nullable('int') }] }) },
      { name: 'weight', ...nullable('double') },
      { name: 'gift', ...nullable('boolean') },
    ],
  });
  assert.equal(protobufFormat.avroImage(proto(V1)).schema, image.schema, 'deterministic');
  assert.equal(avro.Type.forSchema(JSON.parse(image.schema) as avro.Schema, { wrapUnions: true }).name, 'shop.v1.Order', 'a valid Avro schema');

  const { slots } = avroValueSlots(image);
  const columns = avroColumns(slots, (() => {
    let id = 100;
    return () => id++;
  })());
  const typeOf = (name: string) => columns.find((c) => c.name === name)!.type;
  assert.deepEqual(typeOf('placed'), { kind: 'primitive', type: 'timestamptz' });
  assert.deepEqual(typeOf('status'), { kind: 'primitive', type: 'string' });
  assert.equal(typeOf('lines').kind, 'list');
  assert.equal(typeOf('totals').kind, 'map');
  assert.ok(columns.every((c) => !c.required));
});

const ORDER = {
  id: '9007199254740993', // 2^53 + 1: not a double
  customer: 'ada',
  status: 1,
  first_line: { sku: 'a-1', qty: 4294967295 },
  lines: [{ sku: 'b', qty: 2 }, {}],
  totals: { eur: '-5', usd: '9223372036854775807' },
  voucher: 7,
  placed: { seconds: 1_700_000_000, nanos: 123_456_789 },
  priority: { value: 0 },
  big: '9223372036854775807',
  blob: Buffer.from([0, 255, 10]),
  ship_to: { city: 'Oslo' },
  gift: true,
};

test('bodyReader: every kind of field in the shape avsc gives, and the column writers take it', () => {
  const reader = protobufFormat.bodyReader(1, { 1: proto(V1) });
  const payload = encode(encoderType(proto(V1), 'shop.v1.Order'), ORDER);
  const value = reader.read(1, first(payload));
  assert.deepEqual(value, {
    id: { long: 9007199254740993n },
    customer: { string: 'ada' },
    status: { string: 'PAID' },
    first_line: { 'shop.v1.Order.Line': { sku: { string: 'a-1' }, qty: { long: 4294967295n } } },
    lines: {
      array: [
        { sku: { string: 'b' }, qty: { long: 2n } },
        { sku: { string: '' }, qty: { long: 0n } },
      ],
    },
    totals: { map: { eur: -5n, usd: 9223372036854775807n } },
    card: null,
    voucher: { int: 7 },
    placed: { long: 1_700_000_000_123_456n },
    priority: { int: 0 },
    note: null,
    big: { long: 9223372036854775807n },
    blob: { bytes: Buffer.from([0, 255, 10]) },
    ship_to: { 'shared.Address': { city: { string: 'Oslo' }, zip: { int: 0 } } },
    weight: null,
    gift: { boolean: true },
  });
  fitsColumns(proto(V1), value);
});

test('proto3 defaults: an empty payload gives defaults for plain scalars, null where there is presence', () => {
  const value = protobufFormat.bodyReader(1, { 1: proto(V1) }).read(1, Buffer.from([0]));
  assert.deepEqual(value, {
    id: { long: 0n },
    customer: { string: '' },
    status: { string: 'NEW' },
    first_line: null,
    lines: { array: [] },
    totals: { map: {} },
    card: null,
    voucher: null,
    placed: null,
    priority: null,
    note: null,
    big: { long: 0n },
    blob: { bytes: Buffer.alloc(0) },
    ship_to: null,
    weight: null,
    gift: { boolean: false },
  });
  fitsColumns(proto(V1), value);
});

test('enum numbers the schema does not name become their digits; set oneof member and optional field', () => {
  const type = encoderType(proto(V1), 'shop.v1.Order');
  const reader = protobufFormat.bodyReader(1, { 1: proto(V1) });
  const value = reader.read(1, first(encode(type, { status: 7, card: 'visa', weight: 0, note: { value: 'n' } }))) as Record<string, unknown>;
  assert.deepEqual(value.status, { string: '7' });
  assert.deepEqual(value.card, { string: 'visa' });
  assert.deepEqual(value.voucher, null);
  assert.deepEqual(value.weight, { double: 0 }, 'a proto3 optional field set to its default is present');
  assert.deepEqual(value.note, { string: 'n' });
  fitsColumns(proto(V1), value);
});

test('uint64 above 2^63-1 is a bad record, not a wrapped long', () => {
  const reader = protobufFormat.bodyReader(1, { 1: proto(V1) });
  const payload = encode(encoderType(proto(V1), 'shop.v1.Order'), { big: '9223372036854775808' });
  assert.match(problem(reader.read(1, first(payload))), /shop\.v1\.Order\.big: uint64 value 9223372036854775808 is above/);
});

test('hand-written bytes: varint, string, zigzag sint64, packed repeated, unknown field skipped', () => {
  const text = proto('syntax = "proto3";\nmessage P {\n  int32 a = 1;\n  string b = 2;\n  sint64 c = 3;\n  repeated int32 d = 4;\n}\n', []);
  const payload = Buffer.from([
    0x08, 0x96, 0x01, // a = 150
    0x12, 0x02, 0x68, 0x69, // b = "hi"
    0x18, 0x03, // c = zigzag 3 = -2
    0x22, 0x03, 0x01, 0x02, 0x7f, // d = [1, 2, 127], packed
    0x28, 0x05, // field 5 (not in the schema): skipped
  ]);
  const reader = protobufFormat.bodyReader(3, { 3: text });
  // Indexes written out in full: count 1, index 0 (both zigzag).
  const value = reader.read(3, Buffer.concat([Buffer.from([0x02, 0x00]), payload]));
  assert.deepEqual(value, { a: { int: 150 }, b: { string: 'hi' }, c: { long: -2n }, d: { array: [1, 2, 127] } });
  fitsColumns(text, value);
  // A message without a package has a record name without a namespace.
  assert.deepEqual(JSON.parse(protobufFormat.avroImage(text).schema).namespace, '');
});

test('evolution: a v2 reader reads v1 values (added fields absent) and v2 values; a v1 reader skips v2 fields', () => {
  const schemas = { 1: proto(V1), 2: proto(V2) };
  const v1Bytes = first(encode(encoderType(proto(V1), 'shop.v1.Order'), { id: 1, customer: 'c' }));
  const v2Bytes = first(encode(encoderType(proto(V2), 'shop.v1.Order'), { id: 2, channel: 'web', last_line: { sku: 'z' }, labels: { 3: 'x' } }));

  const v2 = protobufFormat.bodyReader(2, schemas);
  const old = v2.read(1, v1Bytes) as Record<string, unknown>;
  assert.deepEqual(old.id, { long: 1n });
  assert.deepEqual(old.channel, { string: '' }, 'a plain proto3 scalar the writer did not know reads as its default');
  assert.deepEqual(old.last_line, null);
  assert.deepEqual(old.labels, { map: {} });
  fitsColumns(proto(V2), old);

  const cur = v2.read(2, v2Bytes) as Record<string, unknown>;
  assert.deepEqual(cur.channel, { string: 'web' });
  assert.deepEqual(cur.last_line, { 'shop.v1.Order.Line': { sku: { string: 'z' }, qty: { long: 0n } } });
  assert.deepEqual(cur.labels, { map: { 3: 'x' } });
  fitsColumns(proto(V2), cur);

  const v1 = protobufFormat.bodyReader(1, schemas);
  const newer = v1.read(2, v2Bytes) as Record<string, unknown>;
  assert.deepEqual(newer.id, { long: 2n });
  assert.equal('channel' in newer, false);
  fitsColumns(proto(V1), newer);
});

test('bodies that must be refused: other message, bad indexes, truncated payload, unknown schema id', () => {
  const reader = protobufFormat.bodyReader(1, { 1: proto(V1), 5: proto(V2) });
  const payload = encode(encoderType(proto(V1), 'shop.v1.Order'), ORDER);
  // [1]: the second top-level message.
  assert.match(problem(reader.read(1, Buffer.concat([Buffer.from([0x02, 0x02]), payload]))), /shop\.v1\.Receipt message, but the table holds shop\.v1\.Order/);
  // [0, 0]: Order's first nested message.
  assert.match(problem(reader.read(5, Buffer.concat([Buffer.from([0x04, 0x00, 0x00]), payload]))), /shop\.v1\.Order\.Line message/);
  assert.match(problem(reader.read(1, Buffer.concat([Buffer.from([0x02, 0x08]), payload]))), /indexes \[4\] name no message of schema 1/);
  assert.match(problem(reader.read(1, Buffer.from([0x82]))), /index list runs past the end/);
  assert.match(problem(reader.read(1, Buffer.from([0x02]))), /index count 1 is not plausible/);
  // The payload ends with gift = true (tag 0x80 0x01, value 0x01): cut inside its tag.
  assert.deepEqual([...payload.subarray(-3)], [0x80, 0x01, 0x01]);
  assert.match(problem(reader.read(1, first(payload.subarray(0, payload.length - 2)))), /does not decode as Protobuf message shop\.v1\.Order/);
  // A length-delimited field claiming more bytes than there are.
  assert.match(problem(reader.read(1, first(Buffer.from([0x12, 0x7f, 0x61])))), /does not decode as Protobuf message shop\.v1\.Order: index out of range/);
  // id (int64) as 3 length-delimited bytes that protobufjs alone would read as id = 3, gift = true.
  assert.match(problem(reader.read(1, first(Buffer.from([0x0a, 0x03, 0x80, 0x01, 0x01])))), /field Order\.id \(number 1\) arrived as length-delimited, but the schema's int64 is varint/);
  assert.match(problem(reader.read(9, first(payload))), /schema id 9 is not a version of the topic's subject/);
  assert.match(problem(reader.read(1, Buffer.alloc(MAX_PROTOBUF_VALUE_BYTES + 1))), /larger than the 16777216 bytes/);
});

test('maps with 64-bit, bool and message values; Duration, Struct and wrappers in repeated fields', () => {
  const text = proto(
    `syntax = "proto3";
package k;
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
message M {
  map<int64, string> by_long = 1;
  map<uint64, string> by_ulong = 2;
  map<bool, int32> by_bool = 3;
  map<string, Item> items = 4;
  google.protobuf.Duration took = 5;
  google.protobuf.Struct attrs = 6;
  repeated google.protobuf.UInt64Value counts = 7;
  google.protobuf.Value any_json = 8;
}
message Item {
  int32 n = 1;
}
`,
    [],
  );
  const image = JSON.parse(protobufFormat.avroImage(text).schema) as { fields: Array<{ name: string; type: unknown }> };
  assert.deepEqual(
    image.fields.map((f) => [f.name, (f.type as unknown[])[1]]),
    [
      ['by_long', { type: 'map', values: 'string' }],
      ['by_ulong', { type: 'map', values: 'string' }],
      ['by_bool', { type: 'map', values: 'int' }],
      ['items', { type: 'map', values: { type: 'record', name: 'k.Item', fields: [{ name: 'n', ...nullable('int') }] } }],
      ['took', 'long'],
      ['attrs', 'string'],
      ['counts', { type: 'array', items: 'long' }],
      ['any_json', 'string'],
    ],
  );
  const type = encoderType(text, 'k.M');
  const payload = encode(type, {
    by_long: { '-9223372036854775808': 'min' },
    by_ulong: { '18446744073709551615': 'max' },
    by_bool: { true: 1 },
    items: { a: { n: 3 } },
    took: { seconds: -2, nanos: -500_000_999 },
    attrs: { fields: { s: { stringValue: 'x' }, n: { numberValue: 1.5 }, l: { listValue: { values: [{ boolValue: true }, { nullValue: 0 }] } }, o: { structValue: { fields: {} } } } },
    counts: [{ value: 5 }, {}],
    any_json: { numberValue: 2 },
  });
  // A map entry whose message value is absent is the empty message (hand-written: key "b" only).
  const entryWithoutValue = Buffer.from([0x22, 0x03, 0x0a, 0x01, 0x62]);
  const value = protobufFormat.bodyReader(1, { 1: text }).read(1, first(Buffer.concat([payload, entryWithoutValue])));
  assert.deepEqual(value, {
    by_long: { map: { '-9223372036854775808': 'min' } },
    by_ulong: { map: { '18446744073709551615': 'max' } },
    by_bool: { map: { true: 1 } },
    items: { map: { a: { n: { int: 3 } }, b: { n: { int: 0 } } } },
    took: { long: -2_500_000n },
    attrs: { string: '{"s":"x","n":1.5,"l":[true,null],"o":{}}' },
    counts: { array: [5n, 0n] },
    any_json: { string: '2' },
  });
  fitsColumns(text, value);
});

test('proto2: required and optional fields have presence; a missing required field is a bad record', () => {
  const text = proto('syntax = "proto2";\npackage p;\nmessage M {\n  required int32 a = 1;\n  optional string b = 2 [default = "d"];\n  optional E e = 3;\n  enum E { X = 1; Y = 2; }\n}\n', []);
  const type = encoderType(text, 'p.M');
  const reader = protobufFormat.bodyReader(1, { 1: text });
  assert.deepEqual(reader.read(1, first(encode(type, { a: 5 }))), { a: { int: 5 }, b: null, e: null });
  assert.deepEqual(reader.read(1, first(encode(type, { a: 5, b: '', e: 2 }))), { a: { int: 5 }, b: { string: '' }, e: { string: 'Y' } });
  assert.match(problem(reader.read(1, Buffer.from([0]))), /missing required 'a'/);
});

test('schemas that cannot be columns: recursion, empty messages', () => {
  const recursive = proto('syntax = "proto3";\npackage r;\nmessage Tree {\n  string label = 1;\n  repeated Tree children = 2;\n}\n', []);
  assert.throws(() => protobufFormat.avroImage(recursive), (err) => err instanceof AvroMappingError && /recursive Protobuf message r\.Tree/.test(err.message));
  assert.throws(() => protobufFormat.bodyReader(1, { 1: recursive }), AvroMappingError);
  const indirect = proto('syntax = "proto3";\nmessage A {\n  B b = 1;\n}\nmessage B {\n  A a = 1;\n}\n', []);
  assert.throws(() => protobufFormat.avroImage(indirect), /recursive Protobuf message A/);
  const empty = proto('syntax = "proto3";\nmessage E {\n  Nothing n = 1;\n  message Nothing {}\n}\n', []);
  assert.throws(() => protobufFormat.avroImage(empty), /E\.Nothing has no fields/);
});
