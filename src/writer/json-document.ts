/**
 * A JSON parser for typed JSON Schema values. JSON.parse will not do: it rounds integers past
 * 2^53 (a long column must get 9007199254740993 exactly) and Node 20's reviver does not see
 * the source text. So numbers stay their source text (JsonNumber) until the schema says what
 * they are, objects are Maps (document order, also for keys like "1"; a repeated key keeps
 * its first place and its last value, like JSON.parse), and nesting is bounded. Grammar:
 * RFC 8259, exactly what JSON.parse accepts.
 */
import { setOwn } from './own-property.js';

export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | Map<string, JsonValue>;

export class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Parses one JSON text; throws JsonSyntaxError, also when arrays and objects nest deeper than maxDepth. */
export function parseJsonDocument(text: string, maxDepth: number): JsonValue {
  const parser = new Parser(text, maxDepth);
  parser.whitespace();
  const value = parser.value(0);
  parser.whitespace();
  if (parser.at < text.length) throw parser.fail('text after the JSON value');
  return value;
}

class Parser {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(what: string): JsonSyntaxError {
    return new JsonSyntaxError(this.at >= this.text.length ? `${what} at the end of the text` : `${what} at character ${this.at}`);
  }

  whitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at++;
    }
  }

  value(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.at);
    if (c === 0x7b) return this.object(depth + 1);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x22) return this.string();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) throw this.fail('expected a JSON value');
    this.at += match[0].length;
    return new JsonNumber(match[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) throw this.fail('expected a JSON value');
    this.at += word.length;
    return value;
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) throw this.fail(`arrays and objects nest deeper than ${this.maxDepth} levels`);
    this.at++;
    this.whitespace();
  }

  private expect(code: number, what: string): void {
    if (this.text.charCodeAt(this.at) !== code) throw this.fail(what);
    this.at++;
  }

  private object(depth: number): Map<string, JsonValue> {
    this.enter(depth);
    const out = new Map<string, JsonValue>();
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) !== 0x22) throw this.fail('expected a property name');
      const key = this.string();
      this.whitespace();
      this.expect(0x3a, "expected ':'");
      this.whitespace();
      out.set(key, this.value(depth));
      this.whitespace();
      const c = this.text.charCodeAt(this.at++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) throw (this.at--, this.fail("expected ',' or '}'"));
      this.whitespace();
    }
  }

  private array(depth: number): JsonValue[] {
    this.enter(depth);
    const out: JsonValue[] = [];
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.whitespace();
      const c = this.text.charCodeAt(this.at++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) throw (this.at--, this.fail("expected ',' or ']'"));
      this.whitespace();
    }
  }

  /** Strings without escapes are sliced; escapes are rare, so JSON.parse decodes those. */
  private string(): string {
    const start = this.at;
    let escaped = false;
    let i = start + 1;
    for (;;) {
      if (i >= this.text.length) throw this.fail('unterminated string');
      const c = this.text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) {
        this.at = i;
        throw this.fail('control character in a string');
      }
      i++;
    }
    this.at = i + 1;
    if (!escaped) return this.text.slice(start + 1, i);
    try {
      return JSON.parse(this.text.slice(start, i + 1)) as string;
    } catch {
      this.at = start;
      throw this.fail('invalid escape in the string');
    }
  }
}

/** Document key order of the objects plainObjects made (JS puts keys like "1" first). */
const KEY_ORDER = new WeakMap<object, string[]>();

/** A parsed document as plain JS values (numbers as numbers), remembering each object's key order. */
export function plainObjects(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return Number(v.text);
  if (Array.isArray(v)) return v.map(plainObjects);
  if (!(v instanceof Map)) return v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of v) setOwn(out, key, plainObjects(value));
  KEY_ORDER.set(out, [...v.keys()]);
  return out;
}

/** An object's keys in document order when plainObjects made it, else in JS order. */
export function documentKeys(object: object): string[] {
  return KEY_ORDER.get(object) ?? Object.keys(object);
}

/** A JSON value as compact JSON text; numbers keep their source digits. */
export function jsonText(v: JsonValue): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  const parts: string[] = [];
  for (const [key, value] of v) parts.push(`${JSON.stringify(key)}:${jsonText(value)}`);
  return `{${parts.join(',')}}`;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * The exact integer a JSON number denotes (1.0 and 1e3 are integers, as JSON Schema says),
 * 'fraction' when it has one, 'range' when it is outside int64. Never builds a big power of
 * ten: the digit count decides range first, so 1e999999999 costs nothing.
 */
export function exactInteger(n: JsonNumber): bigint | 'fraction' | 'range' {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(n.text)!;
  const fraction = m[3] ?? '';
  let digits = (m[2] + fraction).replace(/^0+/, '');
  if (digits === '') return 0n;
  let scale = Number(m[4] ?? '0') - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  scale += digits.length - trimmed.length;
  digits = trimmed;
  if (scale < 0) return 'fraction';
  if (digits.length + scale > 19) return 'range';
  const value = BigInt(m[1] + digits) * 10n ** BigInt(scale);
  return value < INT64_MIN || value > INT64_MAX ? 'range' : value;
}
