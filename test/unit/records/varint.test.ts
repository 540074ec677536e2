import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  readUnsignedVarint,
  readVarint,
  readVarlong,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../../src/protocol/varint.js';
import { assertKafkaError } from './support.js';

// Byte vectors from the zigzag/LEB128 definitions Kafka's ByteUtils implements.
const unsigned: Array<[number, number[]]> = [
  [0, [0x00]],
  [1, [0x01]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [300, [0xac, 0x02]],
  [16384, [0x80, 0x80, 0x01]],
  [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
];

const zigzag: Array<[number, number[]]> = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [-2, [0x03]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [150, [0xac, 0x02]],
  [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
];

const zigzagLong: Array<[bigint, number[]]> = [
  [0n, [0x00]],
  [-1n, [0x01]],
  [1n, [0x02]],
  [1700000000000n, [0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62]],
  [9223372036854775807n, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  [-9223372036854775808n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
];

test('unsigned varint: known vectors both ways', () => {
  for (const [value, bytes] of unsigned) {
    const buf = Buffer.alloc(sizeOfUnsignedVarint(value));
    assert.equal(writeUnsignedVarint(buf, 0, value), bytes.length);
    assert.deepEqual([...buf], bytes, `write ${value}`);
    assert.deepEqual(readUnsignedVarint(Buffer.from(bytes), 0), { value, next: bytes.length });
  }
});

test('zigzag varint: known vectors both ways', () => {
  for (const [value, bytes] of zigzag) {
    const buf = Buffer.alloc(sizeOfVarint(value));
    assert.equal(writeVarint(buf, 0, value), bytes.length);
    assert.deepEqual([...buf], bytes, `write ${value}`);
    assert.deepEqual(readVarint(Buffer.from(bytes), 0), { value, next: bytes.length });
  }
});

test('zigzag varlong: known vectors both ways, including the int64 extremes', () => {
  for (const [value, bytes] of zigzagLong) {
    const buf = Buffer.alloc(sizeOfVarlong(value));
    assert.equal(writeVarlong(buf, 0, value), bytes.length);
    assert.deepEqual([...buf], bytes, `write ${value}`);
    assert.deepEqual(readVarlong(Buffer.from(bytes), 0), { value, next: bytes.length });
  }
});

test('reads start at the given position and report the next one', () => {
  const buf = Buffer.from([0xaa, 0xac, 0x02, 0x01]);
  assert.deepEqual(readUnsignedVarint(buf, 1), { value: 300, next: 3 });
  assert.deepEqual(readVarint(buf, 3), { value: -1, next: 4 });
});

test('truncated and overlong varints are CORRUPT_MESSAGE, not RangeError', () => {
  assertKafkaError(() => readUnsignedVarint(Buffer.from([0x80]), 0), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => readVarint(Buffer.alloc(0), 0), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => readVarlong(Buffer.from([0xff, 0xff]), 0), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => readVarint(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => readVarlong(Buffer.alloc(11, 0x80), 0), ErrorCode.CORRUPT_MESSAGE);
});
