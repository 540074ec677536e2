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

test('a writer version whose logical types differ from the reader\'s is a problem for each of its records, with the reason', () => {
  const event = (at: unknown, on: unknown) => ({ type: 'record', name: 'Event', fields: [{ name: 'at', type: at }, { name: 'on', type: on }] });
  const millis = { type: 'long', logicalType: 'timestamp-millis' };
  const micros = { type: 'long', logicalType: 'timestamp-micros' };
  const date = { type: 'int', logicalType: 'date' };
  // Reader (the table): at in micros, on a timestamp; writer 1: at in millis, on an int date;
  // writer 3 matches the reader. Without the check avsc reads writer 1's millis as micros
  // and its day count (20000, i.e. 2024-10-04) as milliseconds since the epoch.
  const reader = avroFormat.bodyReader(2, { 1: text(event(millis, date)), 2: text(event(micros, millis)), 3: text(event(micros, millis)) });
  const body1 = Buffer.from([...avroLong(1_700_000_000_000n), ...avroLong(20_000n)]);
  const problem = reader.read(1, body1);
  assert.ok(problem instanceof BodyProblem, 'not decoded');
  assert.match(problem.reason, /schema 1 cannot be read as the table's schema 2: field at: the writer's long timestamp-millis would be read as long timestamp-micros; .*field on: the writer's int date would be read as long timestamp-millis/);
  assert.ok(reader.read(1, body1) instanceof BodyProblem, 'every record of the version');
  const body3 = Buffer.from([...avroLong(1_700_000_000_000_000n), ...avroLong(1_700_000_000_000n)]);
  assert.deepEqual({ ...(reader.read(3, body3) as object) }, { at: 1_700_000_000_000_000n, on: 1_700_000_000_000n });
});

test('a fixed decimal defined in a reference is compared by the name both versions use', () => {
  const money = (scale: number) => ({ name: 'com.acme.Money', schema: JSON.stringify({ type: 'fixed', name: 'Money', namespace: 'com.acme', size: 4, logicalType: 'decimal', precision: 9, scale }) });
  const order = JSON.stringify({ type: 'record', name: 'Order', namespace: 'com.acme', fields: [{ name: 'total', type: ['null', 'Money'] }] });
  const version = (scale: number): SchemaText => ({ schemaType: 'AVRO', schema: order, references: [money(scale)] });
  const reader = avroFormat.bodyReader(2, { 1: version(2), 2: version(4), 3: version(4) });
  const body = Buffer.from([2, 0x00, 0x00, 0x30, 0x0c]); // branch 1 (Money), unscaled 12300
  const problem = reader.read(1, body);
  assert.ok(problem instanceof BodyProblem);
  assert.match(problem.reason, /field total: the writer's fixed decimal\(9,2\) would be read as fixed decimal\(9,4\)/);
  const { total } = reader.read(3, body) as { total: Record<string, Buffer> };
  assert.deepEqual({ ...total }, { 'com.acme.Money': Buffer.from([0x00, 0x00, 0x30, 0x0c]) });
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
