import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daysFromCivil, epochMillisToMicros, parseIsoDate, parseIsoTimestampMicros } from '../../../src/writer/temporal.js';

test('daysFromCivil agrees with Date.UTC across eras and leap years', () => {
  for (const [y, m, d] of [[1970, 1, 1], [1969, 12, 31], [2000, 2, 29], [2024, 3, 1], [1900, 3, 1], [1, 1, 1], [9999, 12, 31], [1600, 2, 29]]) {
    const date = new Date(0);
    date.setUTCFullYear(y, m - 1, d);
    assert.equal(daysFromCivil(y, m, d), Math.floor(date.getTime() / 86_400_000), `${y}-${m}-${d}`);
  }
});

test('ISO dates: real calendar dates only', () => {
  assert.equal(parseIsoDate('1970-01-01'), 0);
  assert.equal(parseIsoDate('2024-02-29'), 19782);
  assert.equal(parseIsoDate('0050-01-01'), daysFromCivil(50, 1, 1), 'years below 100 are not the 1900s');
  for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-1-01', '2024-01-01T00:00:00Z', ' 2024-01-01', '']) {
    assert.equal(parseIsoDate(bad), undefined, bad);
  }
});

test('ISO timestamps: micros kept, offsets applied, zone-less read as UTC, junk rejected', () => {
  const base = 1_709_294_400_000_000n; // 2024-03-01T12:00:00Z
  const cases: [string, bigint][] = [
    ['2024-03-01T12:00:00Z', base],
    ['2024-03-01T12:00:00.123456Z', base + 123_456n],
    ['2024-03-01T12:00:00.1234567891Z', -1n], // more than 9 fraction digits: rejected below
    ['2024-03-01T12:00:00.123456789z', base + 123_456n],
    ['2024-03-01T12:00:00,5Z', base + 500_000n],
    ['2024-03-01 12:00:00', base],
    ['2024-03-01T12:00Z', base],
    ['2024-03-01T13:30:00+01:30', base],
    ['2024-03-01T06:00:00-0600', base],
    ['2024-03-01', base - 12n * 3_600_000_000n],
    ['1969-12-31T23:59:59.999999Z', -1n],
  ];
  for (const [text, want] of cases) {
    if (text.includes('1234567891')) assert.equal(parseIsoTimestampMicros(text), undefined, text);
    else assert.equal(parseIsoTimestampMicros(text), want, text);
  }
  for (const bad of ['2024-03-01T24:00:00Z', '2024-03-01T12:60:00Z', '2024-03-01T12:00:60Z', '2024-02-30T00:00:00Z', '2024-03-01T12:00:00+25:00', 'yesterday', '1709294400']) {
    assert.equal(parseIsoTimestampMicros(bad), undefined, bad);
  }
});

test('epoch millis: integers exact, fractions to the microsecond, unsafe numbers rejected', () => {
  assert.equal(epochMillisToMicros(1_700_000_000_001), 1_700_000_000_001_000n);
  assert.equal(epochMillisToMicros(-1), -1000n);
  assert.equal(epochMillisToMicros(1.5), 1500n);
  assert.equal(epochMillisToMicros(2 ** 60), undefined);
  assert.equal(epochMillisToMicros(Number.NaN), undefined);
});
