/**
 * The Avro TypedFormat's body reader: values are resolved from the writer version to the
 * reader's shape, and longs keep all 64 bits whether written as `long` or under a logical type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroFormat } from '../../../src/writer/avro-format.js';
import { BodyProblem, type SchemaText } from '../../../src/writer/typed-format.js';

const text = (schema: unknown): SchemaText => ({ schemaType: 'AVRO', schema: JSON.stringify(schema), references: [] });

/** An Avro long: zigzag, then base-128 little-endian groups. */
function avroLong(n: bigint): number[] {
  const out: number[] = [];
  for (let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)); ; z >>= 7n) {
    if (z < 0x80n) return [...out, Number(z)];
    out.push(Number(z & 0x7fn) | 0x80);
  }
}

test('longs past 2^53 decode exactly, plain and as timestamp-micros / timestamp-nanos', () => {
  const schema = {
    type: 'record',
    name: 'Tick',
    fields: [
      { name: 'id', type: 'long' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'ns', type: { type: 'long', logicalType: 'timestamp-nanos' } },
      { name: 'neg', type: ['null', 'long'] },
    ],
  };
  const reader = avroFormat.bodyReader(1, { 1: text(schema) });
  const values = [2n ** 60n + 1n, 2n ** 62n + 3n, 1_763_700_000_123_456_789n];
  const body = Buffer.from([...values.flatMap(avroLong), 2, ...avroLong(-(2n ** 63n))]);
  const { neg, ...rest } = reader.read(1, body) as Record<string, unknown>;
  assert.deepEqual(rest, { id: values[0], at: values[1], ns: values[2] });
  assert.deepEqual({ ...(neg as object) }, { long: -(2n ** 63n) }, 'a union value wrapped in its branch');
});

test('a v1 record reads as v2: added fields take their defaults, int widens to long; an unknown id is a problem', () => {
  const v1 = { type: 'record', name: 'R', fields: [{ name: 'n', type: 'int' }] };
  const v2 = { type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }, { name: 'unit', type: 'string', default: 'C' }, { name: 'big', type: 'long', default: 5 }] };
  const reader = avroFormat.bodyReader(2, { 1: text(v1), 2: text(v2) });
  assert.deepEqual({ ...(reader.read(1, Buffer.from(avroLong(-3n))) as object) }, { n: -3n, unit: 'C', big: 5n });
  const unknown = reader.read(7, Buffer.from([0]));
  assert.ok(unknown instanceof BodyProblem);
  assert.match(unknown.reason, /schema id 7 is not a version/);
  const truncated = reader.read(2, Buffer.from([0x80]));
  assert.ok(truncated instanceof BodyProblem);
  assert.match(truncated.reason, /does not decode as Avro/);
});

/** An Avro string: its UTF-8 length as a long, then the bytes. */
const avroString = (s: string) => [...avroLong(BigInt(Buffer.byteLength(s))), ...Buffer.from(s)];

test('map keys __proto__, toString and constructor are own entries, also resolved from another version and in sized blocks', () => {
  const v1 = { type: 'record', name: 'M', fields: [{ name: 'm', type: { type: 'map', values: 'int' } }] };
  const v2 = { type: 'record', name: 'M', fields: [{ name: 'm', type: ['null', { type: 'map', values: 'long' }] }] };
  const reader = avroFormat.bodyReader(2, { 1: text(v1), 2: text(v2) });
  // Java writers may send a block as a negative count followed by the block's byte size.
  const firstBlock = [...avroString('__proto__'), ...avroLong(1n), ...avroString('toString'), ...avroLong(2n)];
  const body = Buffer.from([
    ...avroLong(-2n),
    ...avroLong(BigInt(firstBlock.length)),
    ...firstBlock,
    ...avroLong(1n),
    ...avroString('constructor'),
    ...avroLong(3n),
    0,
  ]);
  const value = reader.read(1, body) as { m: { map: Record<string, unknown> } };
  const map = value.m.map;
  assert.deepEqual(Object.entries(map), [['__proto__', 1n], ['toString', 2n], ['constructor', 3n]]);
  assert.equal(Object.getPrototypeOf(map), Object.prototype, 'the key did not become the prototype');
});
