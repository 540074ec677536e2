/**
 * The Protobuf wire-type check, on hand-written byte vectors and on values protobufjs encodes
 * from the same .proto text: every field type a schema can have passes with its own wire
 * type (packed or not where Protobuf allows both), and a field sent with another wire type is
 * named, at any depth, including inside map entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { wireTypeProblem } from '../../../src/record-validation/protobuf-wire-types.js';

const SCHEMA = `syntax = "proto3";
package t;
message Everything {
  double d = 1;
  float f = 2;
  int32 i32 = 3;
  int64 i64 = 4;
  uint32 u32 = 5;
  uint64 u64 = 6;
  sint32 s32 = 7;
  sint64 s64 = 8;
  fixed32 fx32 = 9;
  fixed64 fx64 = 10;
  sfixed32 sf32 = 11;
  sfixed64 sf64 = 12;
  bool b = 13;
  string s = 14;
  bytes by = 15;
  Color color = 16;
  Inner inner = 17;
  repeated int32 packed = 18;
  repeated int32 unpacked = 19 [packed = false];
  repeated Inner inners = 20;
  map<string, Inner> by_name = 21;
  map<int64, Color> colors = 22;
  oneof choice {
    string word = 23;
    fixed64 number = 24;
  }
  message Inner {
    int32 x = 1;
    repeated double ys = 2;
  }
  enum Color {
    RED = 0;
    BLUE = 1;
  }
}
message Small {
  int32 a = 1;
  int32 b = 2;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
root.resolveAll();
const everything = root.lookupType('t.Everything');
const small = root.lookupType('t.Small');
const bytes = (...b: number[]) => Uint8Array.from(b);

test('every field type passes with its own wire type, packed and unpacked repeated fields alike', () => {
  const value = everything.fromObject({
    d: 1.5, f: 2.5, i32: -1, i64: '-9007199254740993', u32: 4294967295, u64: '18446744073709551615', s32: -3, s64: '-4',
    fx32: 7, fx64: '8', sf32: -9, sf64: '-10', b: true, s: 'text', by: Buffer.from([1, 2, 3]), color: 1,
    inner: { x: 5, ys: [1.25, 2.5] }, packed: [1, 2, 300], unpacked: [4, 5], inners: [{ x: 1 }, { x: 2, ys: [3] }],
    by_name: { a: { x: 1 }, b: { ys: [9] } }, colors: { '-1': 1, '12': 0 }, number: '77',
  });
  const encoded = everything.encode(value).finish();
  assert.equal(wireTypeProblem(everything, encoded), null);
  // Unpacked elements of a field declared packed, and a packed run of one declared unpacked.
  assert.equal(wireTypeProblem(everything, bytes(0x90, 0x01, 0x01, 0x90, 0x01, 0x02)), null, 'field 18, varint, twice');
  assert.equal(wireTypeProblem(everything, bytes(0x9a, 0x01, 0x02, 0x04, 0x05)), null, 'field 19 as one packed run');
  assert.equal(wireTypeProblem(everything, bytes()), null, 'the empty message');
});

test('a string where the schema has an int32: protobufjs reads wrong values without an error, the check names the field', () => {
  // Field 1, length-delimited, 2 bytes: "\\x10\\x07", which read as fields is b = 7.
  const payload = bytes(0x0a, 0x02, 0x10, 0x07);
  assert.deepEqual(small.toObject(small.decode(payload)), { a: 2, b: 7 }, 'what protobufjs alone makes of it');
  assert.equal(wireTypeProblem(small, payload), 'field Small.a (number 1) arrived as length-delimited, but the schema\'s int32 is varint');
});

test('each wire type where another is expected, at the top, in a nested message and in a map entry', () => {
  assert.match(wireTypeProblem(everything, bytes(0x0d, 0, 0, 0, 0))!, /field Everything\.d \(number 1\) arrived as 32-bit, but the schema's double is 64-bit/);
  assert.match(wireTypeProblem(everything, bytes(0x10, 0x01))!, /Everything\.f \(number 2\) arrived as varint, but the schema's float is 32-bit/);
  assert.match(wireTypeProblem(everything, bytes(0x71, 1, 2, 3, 4, 5, 6, 7, 8))!, /Everything\.s \(number 14\) arrived as 64-bit, but the schema's string is length-delimited/);
  assert.match(wireTypeProblem(everything, bytes(0x88, 0x01, 0x01))!, /Everything\.inner \(number 17\) arrived as varint, but the schema's Inner is length-delimited/);
  // inner = { x: <64-bit> }
  assert.match(wireTypeProblem(everything, bytes(0x8a, 0x01, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0, 0))!, /field Everything\.inner\.x \(number 1\) arrived as 64-bit, but the schema's int32 is varint/);
  // by_name = { "k": <varint 1 where Inner is expected> }
  assert.match(wireTypeProblem(everything, bytes(0xaa, 0x01, 0x05, 0x0a, 0x01, 0x6b, 0x10, 0x01))!, /field Everything\.by_name\.value \(number 2\) arrived as varint, but the schema's Inner is length-delimited/);
  // colors = { <length-delimited key>: BLUE }
  assert.match(wireTypeProblem(everything, bytes(0xb2, 0x01, 0x05, 0x0a, 0x01, 0x31, 0x10, 0x01))!, /field Everything\.colors\.key \(number 1\) arrived as length-delimited, but the schema's int64 is varint/);
  // A packed run is only for numbers: a bool field may come packed only when repeated.
  assert.match(wireTypeProblem(everything, bytes(0x6a, 0x01, 0x01))!, /Everything\.b \(number 13\) arrived as length-delimited, but the schema's bool is varint/);
  // The oneof's fixed64 member as a varint.
  assert.match(wireTypeProblem(everything, bytes(0xc0, 0x01, 0x4d))!, /Everything\.number \(number 24\) arrived as varint, but the schema's fixed64 is 64-bit/);
});

test('fields the schema does not have are skipped whatever their wire type; malformed bytes are left to the decoder', () => {
  // Field 99 as varint, 64-bit, length-delimited and 32-bit, then a = 1.
  assert.equal(wireTypeProblem(small, bytes(0x98, 0x06, 0x05, 0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x9a, 0x06, 0x01, 0xff, 0x9d, 0x06, 1, 2, 3, 4, 0x08, 0x01)), null);
  assert.equal(wireTypeProblem(small, bytes(0x08)), null, 'a truncated varint');
  assert.equal(wireTypeProblem(everything, bytes(0x72, 0x05, 0x01)), null, 'a string running past the end');
  assert.throws(() => everything.decode(bytes(0x72, 0x05, 0x01)), /index out of range/, 'which the decoder refuses itself');
  assert.equal(wireTypeProblem(small, bytes(0x9b, 0x06, 0x9c, 0x06)), null, 'a group of a field the schema does not have');
  // Such a group, holding fields and a nested group, is skipped and the fields after it are
  // still checked: here a = "\x10\x07", which protobufjs alone would read as {a: 2, b: 7}.
  const grouped = bytes(0x9b, 0x06, 0x08, 0x01, 0x13, 0x0d, 1, 2, 3, 4, 0x14, 0x12, 0x01, 0x41, 0x9c, 0x06, 0x0a, 0x02, 0x10, 0x07);
  assert.deepEqual(small.toObject(small.decode(grouped)), { a: 2, b: 7 });
  assert.match(wireTypeProblem(small, grouped)!, /field Small\.a \(number 1\) arrived as length-delimited/);
  assert.equal(wireTypeProblem(small, bytes(0x9b, 0x06, 0x08, 0x01)), null, 'a group with no end: left to the decoder');
  assert.throws(() => small.decode(bytes(0x9b, 0x06, 0x08, 0x01)));
  // A known field as a group is a wire type mismatch like any other.
  assert.match(wireTypeProblem(small, bytes(0x0b, 0x0c))!, /Small\.a \(number 1\) arrived as group start/);
});
