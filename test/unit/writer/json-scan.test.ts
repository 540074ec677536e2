/**
 * The byte scanner must accept exactly what JSON.parse accepts, and find the same top-level
 * property values: checked on hand-picked edge cases and on thousands of random documents and
 * random single-byte mutations of them, against JSON.parse itself.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { test } from 'node:test';
import { exactInteger, JsonNumber } from '../../../src/writer/json-document.js';
import { isIntegerNumber, JsonKind, JsonScanner, jsonScalarAt } from '../../../src/writer/json-scan.js';
import { prng } from './support.js';

function parses(text: Buffer): boolean {
  try {
    JSON.parse(text.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const EDGE_CASES = [
  '', ' ', '{}', '[]', '{ }', '[ ]', ' {"a":1} ', '{"a":1,}', '[1,]', '[,1]', '{,}', '{"a"}', '{"a":}', '{a:1}', "{'a':1}",
  '0', '-0', '01', '-', '1.', '.5', '1e', '1e+', '1E-5', '1.5e10', '-01', '00', '1.0e+2', '2e308', '"a"', '"\\u00e9"', '"\\u00"',
  '"\\x"', '"\\/"', '"a\tb"', '"a\\tb"', 'true', 'tru', 'truex', 'null', 'nul', 'false', 'falsey', 'NaN', 'Infinity',
  '[[[[[[]]]]]]', '[[[[[[]]]]]', '{"a":{"b":{"c":[1,2,{"d":null}]}}}', '{"a":1}{', '{"a":1} x', '\ufeff{}', '{"a":1\n}',
  '\t\r\n[1 , 2 ]\t', '{"é":"ü"}', '{"a" : 1 , "b" : [ ] }', '"\u2028"', '[1 2]', '{"a":1 "b":2}', '"unterminated', '[', '{',
];

test('accepts exactly what JSON.parse accepts on edge cases', () => {
  const scanner = new JsonScanner([]);
  for (const text of EDGE_CASES) {
    const bytes = Buffer.from(text);
    assert.equal(scanner.scan(bytes), parses(bytes), JSON.stringify(text));
  }
  const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
  assert.equal(scanner.scan(deep), true, 'deep nesting needs no recursion');
});

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 3 || r < 0.5) {
    const pick = Math.floor(rand() * 7);
    if (pick === 0) return null;
    if (pick === 1) return rand() < 0.5;
    if (pick === 2) return Math.floor(rand() * 2e6) - 1e6;
    if (pick === 3) return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    if (pick === 4) return 'plain text';
    if (pick === 5) return 'esc "q" \\ \n \u0001 é \u{1f600}';
    return String(Math.floor(rand() * 100));
  }
  if (r < 0.75) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) obj[['a', 'b', 'c', 'k"q', 'é'][Math.floor(rand() * 5)]] = randomValue(rand, depth + 1);
  return obj;
}

test('random documents and random mutations agree with JSON.parse', () => {
  const rand = prng(7);
  const scanner = new JsonScanner(['a', 'b', 'k"q', 'é']);
  const mutations = ' \t{}[]",:-+.0123456789eEtrufalsn\\x';
  let checked = 0;
  for (let n = 0; n < 3000; n++) {
    const doc = randomValue(rand, 0);
    const text = JSON.stringify(doc, null, rand() < 0.3 ? 1 : undefined);
    const variants = [Buffer.from(text)];
    for (let m = 0; m < 5; m++) {
      const bytes = Buffer.from(text);
      const at = Math.floor(rand() * bytes.length);
      const op = rand();
      if (op < 0.4) bytes[at] = mutations.charCodeAt(Math.floor(rand() * mutations.length));
      if (op >= 0.4 && op < 0.7) variants.push(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]));
      else variants.push(bytes);
    }
    for (const bytes of variants) {
      if (!isUtf8(bytes)) continue;
      const ok = scanner.scan(bytes);
      assert.equal(ok, parses(bytes), bytes.toString());
      checked++;
      if (!ok) continue;
      const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
      const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      assert.equal(scanner.topKind === JsonKind.Object, isObject);
      if (!isObject) continue;
      ['a', 'b', 'k"q', 'é'].forEach((key, i) => {
        const has = Object.hasOwn(parsed, key);
        assert.equal(scanner.kinds[i] !== JsonKind.Absent, has, `${key} in ${bytes}`);
        const kind = scanner.kinds[i];
        if (!has || kind === JsonKind.Object || kind === JsonKind.Array) return;
        const raw = jsonScalarAt(bytes, kind, scanner.starts[i], scanner.ends[i]);
        assert.equal(raw, (parsed as Record<string, unknown>)[key], `${key} in ${bytes}`);
      });
    }
  }
  assert.ok(checked > 10_000);
});

test('numbers decode to the same doubles as JSON.parse gives', () => {
  const rand = prng(11);
  const samples = ['0', '-0', '-0.0', '1.5', '0.1', '0.3', '123456789012345', '1234567890123456', '9007199254740993', '1e2', '-2.5E-3', '3.14159265358979'];
  for (let n = 0; n < 20_000; n++) {
    const digits = String(Math.floor(rand() * 10 ** (1 + Math.floor(rand() * 17))));
    const point = Math.floor(rand() * (digits.length + 1));
    const text = `${rand() < 0.3 ? '-' : ''}${digits.slice(0, point) || '0'}${point < digits.length ? `.${digits.slice(point)}` : ''}`;
    samples.push(text);
  }
  const scanner = new JsonScanner(['n']);
  for (const text of samples) {
    const bytes = Buffer.from(`{"n":${text}}`);
    assert.equal(scanner.scan(bytes), true, text);
    assert.ok(Object.is(jsonScalarAt(bytes, scanner.kinds[0], scanner.starts[0], scanner.ends[0]), JSON.parse(text)), text);
  }
});

test('a duplicate key resolves to its last value, as in JSON.parse', () => {
  const scanner = new JsonScanner(['a']);
  const bytes = Buffer.from('{"a":1,"b":{"a":2},"a":"three"}');
  assert.equal(scanner.scan(bytes), true);
  assert.equal(scanner.kinds[0], JsonKind.String);
  assert.equal(bytes.toString('utf8', scanner.starts[0], scanner.ends[0]), '"three"');
});

test('isIntegerNumber reads integrality from the digits, as exactInteger does, never from the double', () => {
  const rand = prng(13);
  const samples = ['0', '-0', '0.000', '0e-999999999999', '1', '1.0', '1e3', '1.5e1', '100e-2', '100e-3', '12e-1', '1.0000000000000001', '1e-400', '1e400', '5e+0', '-2.50E1', '7E-0', '1e999999999999999999'];
  const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
  for (let n = 0; n < 20_000; n++) {
    // Trailing zeros and small exponents are where integers and fractions meet.
    const whole = rand() < 0.2 ? '0' : `${1 + Math.floor(rand() * 9)}${digits(Math.floor(rand() * 4))}${'0'.repeat(Math.floor(rand() * 3))}`;
    const fraction = rand() < 0.5 ? '' : `.${digits(Math.floor(rand() * 3))}${rand() < 0.5 ? '1' : '0'}${'0'.repeat(Math.floor(rand() * 3))}`;
    const exponent = rand() < 0.4 ? '' : `${rand() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(rand() * 3)]}${Math.floor(rand() * 8)}`;
    samples.push(`${rand() < 0.3 ? '-' : ''}${whole}${fraction}${exponent}`);
  }
  const scanner = new JsonScanner(['n']);
  for (const text of samples) {
    const bytes = Buffer.from(`{"n":${text}}`);
    assert.equal(scanner.scan(bytes), true, text);
    assert.equal(scanner.kinds[0], JsonKind.Number, text);
    assert.equal(isIntegerNumber(bytes, scanner.starts[0], scanner.ends[0]), exactInteger(new JsonNumber(text)) !== 'fraction', text);
  }
});
