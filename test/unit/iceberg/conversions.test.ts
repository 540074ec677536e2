import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fileMetrics,
  fromBytes,
  lowerBound,
  toBytes,
  truncateBinaryUpper,
  truncateStringLower,
  truncateStringUpper,
  upperBound,
} from '../../../src/tables/iceberg/conversions.js';
import { leafFields } from '../../../src/tables/iceberg/schema.js';
import { dayTransform, hourTransform } from '../../../src/tables/iceberg/partition.js';
import { testSchema, NAME_ID, AMOUNT_ID } from './fixture.js';

const hex = (b: Uint8Array | undefined | null) => (b === undefined || b === null ? undefined : Buffer.from(b).toString('hex'));

test('single-value serialization vectors (spec appendix D)', () => {
  assert.equal(hex(toBytes('long', 1n)), '0100000000000000');
  assert.equal(hex(toBytes('long', -1n)), 'ffffffffffffffff');
  assert.equal(hex(toBytes('long', 1)), '0100000000000000');
  assert.equal(hex(toBytes('int', 1)), '01000000');
  assert.equal(hex(toBytes('int', -2)), 'feffffff');
  assert.equal(hex(toBytes('date', 19675)), 'db4c0000');
  assert.equal(hex(toBytes('boolean', true)), '01');
  assert.equal(hex(toBytes('boolean', false)), '00');
  assert.equal(hex(toBytes('float', 1)), '0000803f');
  assert.equal(hex(toBytes('double', 1)), '000000000000f03f');
  assert.equal(hex(toBytes('double', -0.5)), '000000000000e0bf');
  // 2023-11-14T22:13:20Z in micros
  assert.equal(hex(toBytes('timestamptz', 1_700_000_000_000_000n)), Buffer.from(new BigInt64Array([1_700_000_000_000_000n]).buffer).toString('hex'));
  assert.equal(hex(toBytes('string', 'iceberg')), '69636562657267');
  assert.equal(hex(toBytes('binary', new Uint8Array([0, 1, 0xff]))), '0001ff');
  assert.throws(() => toBytes('int', 2 ** 31));
  assert.throws(() => toBytes('long', 1.5));
  assert.equal(fromBytes('long', toBytes('long', 2n ** 62n)), 2n ** 62n);
  assert.equal(fromBytes('date', toBytes('date', -3)), -3);
});

test('string bounds truncate on code points; upper bound is incremented', () => {
  const long = 'abcdefghijklmnopqrstuvwxyz';
  assert.equal(truncateStringLower(long), 'abcdefghijklmnop');
  assert.equal(truncateStringUpper(long), 'abcdefghijklmnoq');
  assert.equal(truncateStringUpper('short'), 'short');
  // Multi-byte code points: 16 code points, not 16 bytes.
  const greek = 'αβγδεζηθικλμνξοπρστ'; // 19 code points, 2 bytes each
  assert.equal(truncateStringLower(greek), 'αβγδεζηθικλμνξοπ');
  assert.equal(Buffer.from(lowerBound('string', greek)!).toString('utf8'), 'αβγδεζηθικλμνξοπ');
  assert.equal(truncateStringUpper(greek), 'αβγδεζηθικλμνξορ');
  // Astral code points (surrogate pairs in JS) are never split.
  const emoji = '😀'.repeat(20);
  assert.equal(Array.from(truncateStringLower(emoji)).length, 16);
  assert.equal(truncateStringUpper(emoji), '😀'.repeat(15) + '😁');
  assert.equal(hex(lowerBound('string', emoji))!.length, 16 * 4 * 2);
  // U+10FFFF cannot be incremented: carry to the previous code point.
  const max = 'a'.repeat(15) + '\u{10FFFF}' + 'zz';
  assert.equal(truncateStringUpper(max), 'a'.repeat(14) + 'b');
  assert.equal(truncateStringUpper('\u{10FFFF}'.repeat(17)), null);
  assert.equal(upperBound('string', '\u{10FFFF}'.repeat(17)), undefined);
  // U+D7FF + 1 skips the surrogate range.
  assert.equal(truncateStringUpper('a'.repeat(15) + '\uD7FF' + 'z'), 'a'.repeat(15) + '\uE000');
  // Valid UTF-8 always.
  const ub = upperBound('string', 'é'.repeat(30))!;
  assert.equal(Buffer.from(ub.toString('utf8'), 'utf8').equals(ub), true);
});

test('binary bounds truncate to 16 bytes; upper bound increments the last byte below 0xff', () => {
  const b = Uint8Array.from({ length: 20 }, (_, i) => i);
  assert.equal(hex(lowerBound('binary', b)), '000102030405060708090a0b0c0d0e0f');
  assert.equal(hex(upperBound('binary', b)), '000102030405060708090a0b0c0d0e10');
  const ff = Uint8Array.from([...Array(15).fill(1), 0xff, 0xff, 0]);
  assert.equal(hex(truncateBinaryUpper(ff)), '01'.repeat(14) + '02');
  assert.equal(truncateBinaryUpper(new Uint8Array(17).fill(0xff)), null);
  assert.equal(hex(upperBound('binary', new Uint8Array([1, 2]))), '0102');
});

test('file metrics: counts for leaves, bounds only outside lists, no NaN bounds', () => {
  const leaves = leafFields(testSchema().columns);
  assert.equal(leaves.get(7)?.repeated, true);
  assert.equal(leaves.get(2)?.repeated, false);
  const m = fileMetrics(
    {
      2: { valueCount: 3, nullCount: 0, min: 5n, max: 7n, sizeBytes: 40 },
      7: { valueCount: 4, nullCount: 0, min: 'a', max: 'z' },
      [NAME_ID]: { valueCount: 3, nullCount: 1, min: 'x'.repeat(20), max: 'y'.repeat(20) },
      [AMOUNT_ID]: { valueCount: 3, nullCount: 0, nanCount: 1, min: NaN, max: 2.5 },
      999: { valueCount: 1, nullCount: 0, min: 1, max: 1 },
    },
    leaves,
  );
  assert.deepEqual([...m.valueCounts.keys()], [2, 7, NAME_ID, AMOUNT_ID]);
  assert.equal(m.columnSizes.get(2), 40n);
  assert.equal(hex(m.lowerBounds.get(2)), '0500000000000000');
  assert.equal(hex(m.upperBounds.get(2)), '0700000000000000');
  assert.equal(m.lowerBounds.has(7), false);
  assert.equal(m.upperBounds.has(7), false);
  assert.equal(m.lowerBounds.get(NAME_ID)!.toString(), 'x'.repeat(16));
  assert.equal(m.upperBounds.get(NAME_ID)!.toString(), 'y'.repeat(15) + 'z');
  assert.equal(m.lowerBounds.has(AMOUNT_ID), false);
  assert.equal(hex(m.upperBounds.get(AMOUNT_ID)), hex(toBytes('double', 2.5)));
  assert.equal(m.nanValueCounts.get(AMOUNT_ID), 1n);
});

test('hour and day transforms floor toward negative infinity', () => {
  assert.equal(hourTransform(1_700_000_000_000_000n), 472222);
  assert.equal(dayTransform(1_700_000_000_000_000n), 19675);
  assert.equal(hourTransform(-1n), -1);
  assert.equal(dayTransform(-1n), -1);
  assert.equal(dayTransform(0n), 0);
});
