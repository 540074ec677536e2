/**
 * A byte-level JSON validator that also finds the values of chosen top-level properties, so a
 * record's value is checked without building a JS string or object for it (JSON.parse did
 * both and was the largest cost of a JSON topic). It accepts exactly the texts JSON.parse
 * accepts once the bytes are known to be UTF-8 (callers check with isUtf8 first): RFC 8259
 * grammar, the four JSON whitespace bytes, any nesting depth (iterative, no recursion).
 * Duplicate keys resolve like JSON.parse: the last one wins. When it says no, callers run
 * JSON.parse on the value to get the same error message as before.
 */

export const enum JsonKind {
  Absent = 0,
  String = 1,
  /** A string with backslash escapes: decode it with JSON.parse. */
  EscapedString = 2,
  Number = 3,
  True = 4,
  False = 5,
  Null = 6,
  Object = 7,
  Array = 8,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Bytes allowed after a backslash, besides 'u': " \ / b f n r t. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
/** Bytes that end the fast run inside a string: the quote, the backslash and controls. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

export class JsonScanner {
  /** Kind of the whole text after a successful scan. */
  topKind: JsonKind = JsonKind.Absent;
  /** Per wanted key: its value's kind (Absent when missing) and, for scalars, its byte span. */
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  private readonly wanted: Uint8Array[];
  private readonly wantedNames: string[];
  /** Container stack: 1 = object, 2 = array. Grows as deep as a document nests. */
  private stack = new Uint8Array(64);
  private stringHadEscape = false;

  /** keys: the top-level property names whose values the caller wants. */
  constructor(keys: string[]) {
    this.wantedNames = keys;
    this.wanted = keys.map((k) => new TextEncoder().encode(k));
    this.kinds = new Uint8Array(keys.length);
    this.starts = new Int32Array(keys.length);
    this.ends = new Int32Array(keys.length);
  }

  /** Whether bytes [0, b.length) are one JSON text. */
  scan(b: Uint8Array): boolean {
    this.kinds.fill(JsonKind.Absent);
    this.topKind = JsonKind.Absent;
    const end = b.length;
    const wantKeys = this.wanted.length > 0;
    let depth = 0;
    /** Index of the wanted key whose value comes next, or -1. */
    let field = -1;
    let i = skipWhitespace(b, 0, end);
    // Each turn reads one value at i, then the punctuation after it.
    for (;;) {
      if (i >= end) return false;
      const c = b[i];
      let kind: JsonKind;
      let valueStart = i;
      if (c === QUOTE) {
        i = this.skipString(b, i, end);
        if (i < 0) return false;
        kind = this.stringHadEscape ? JsonKind.EscapedString : JsonKind.String;
      } else if (c === MINUS || isDigit(c)) {
        i = skipNumber(b, i, end);
        if (i < 0) return false;
        kind = JsonKind.Number;
      } else if (c === 0x74 /* t */) {
        if (!(i + 3 < end && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65)) return false;
        i += 4;
        kind = JsonKind.True;
      } else if (c === 0x66 /* f */) {
        if (!(i + 4 < end && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65)) return false;
        i += 5;
        kind = JsonKind.False;
      } else if (c === 0x6e /* n */) {
        if (!(i + 3 < end && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c)) return false;
        i += 4;
        kind = JsonKind.Null;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        kind = c === OPEN_OBJECT ? JsonKind.Object : JsonKind.Array;
        if (depth === 0) this.topKind = kind;
        if (field >= 0) this.kinds[field] = kind;
        field = -1;
        this.push(depth++, kind === JsonKind.Object ? 1 : 2);
        i = skipWhitespace(b, i + 1, end);
        if (i >= end) return false;
        if (b[i] === (kind === JsonKind.Object ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          depth--;
          i++;
        } else if (kind === JsonKind.Object) {
          i = this.readKey(b, i, end, wantKeys && depth === 1);
          if (i < 0) return false;
          field = this.lastKeyField;
          continue;
        } else {
          continue;
        }
        valueStart = -1; // an empty container: no scalar span
      } else {
        return false;
      }
      if (valueStart >= 0) {
        if (depth === 0) this.topKind = kind;
        if (field >= 0) {
          this.kinds[field] = kind;
          this.starts[field] = valueStart;
          this.ends[field] = i;
          field = -1;
        }
      }
      // After a value: a comma, the end of its container(s), or the end of the text.
      for (;;) {
        i = skipWhitespace(b, i, end);
        if (depth === 0) return i === end;
        if (i >= end) return false;
        const p = b[i];
        const inObject = this.stack[depth - 1] === 1;
        if (p === COMMA) {
          i = skipWhitespace(b, i + 1, end);
          if (inObject) {
            i = this.readKey(b, i, end, wantKeys && depth === 1);
            if (i < 0) return false;
            field = this.lastKeyField;
          }
          break;
        }
        if (p !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return false;
        depth--;
        i++;
      }
    }
  }

  /** Set by readKey: the wanted key it read, or -1. */
  private lastKeyField = -1;

  /** Reads `"key" :` and the whitespace after it; returns the index of the value or -1. */
  private readKey(b: Uint8Array, i: number, end: number, match: boolean): number {
    if (i >= end || b[i] !== QUOTE) return -1;
    const keyEnd = this.skipString(b, i, end);
    if (keyEnd < 0) return -1;
    this.lastKeyField = match ? this.matchKey(b, i + 1, keyEnd - 1) : -1;
    i = skipWhitespace(b, keyEnd, end);
    if (i >= end || b[i] !== COLON) return -1;
    return skipWhitespace(b, i + 1, end);
  }

  private matchKey(b: Uint8Array, start: number, end: number): number {
    if (this.stringHadEscape) {
      const key = JSON.parse(Buffer.from(b.buffer, b.byteOffset + start - 1, end - start + 2).toString('utf8')) as string;
      return this.wantedNames.indexOf(key);
    }
    const length = end - start;
    next: for (let k = 0; k < this.wanted.length; k++) {
      const w = this.wanted[k];
      if (w.length !== length) continue;
      for (let j = 0; j < length; j++) if (w[j] !== b[start + j]) continue next;
      return k;
    }
    return -1;
  }

  /** From the opening quote to just past the closing one, or -1. */
  private skipString(b: Uint8Array, i: number, end: number): number {
    this.stringHadEscape = false;
    i++;
    for (;;) {
      while (i < end && STRING_STOP[b[i]] === 0) i++;
      if (i >= end) return -1;
      const c = b[i];
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) {
        this.stringHadEscape = true;
        if (i + 1 >= end) return -1;
        const e = b[i + 1];
        if (SIMPLE_ESCAPE[e] === 1) i += 2;
        else if (e === 0x75 /* u */ && i + 5 < end && HEX[b[i + 2]] && HEX[b[i + 3]] && HEX[b[i + 4]] && HEX[b[i + 5]]) i += 6;
        else return -1;
      } else {
        return -1; // a control character
      }
    }
  }

  private push(depth: number, container: number): void {
    if (depth >= this.stack.length) {
      const bigger = new Uint8Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    this.stack[depth] = container;
  }
}

function skipWhitespace(b: Uint8Array, i: number, end: number): number {
  while (i < end && isWhitespace(b[i])) i++;
  return i;
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? from i; the index after it or -1. */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i >= end) return -1;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return -1;
  if (i < end && b[i] === DOT) {
    i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

/** Exponents are clamped here: past it only the sign matters, and it keeps the sums exact. */
const EXPONENT_CLAMP = 2 ** 32;

/**
 * Whether the JSON number text at [start, end) (one the scanner accepted) is an integer, the
 * way JSON Schema defines "integer": a zero fractional part, so 1.0, 1e3 and 1.5e1 are
 * integers. Judged on the decimal digits, not on the double the text parses to, which can
 * round a fraction away: 1.0000000000000001 parses as 1 and 1e-400 as 0, and neither is an
 * integer. (ajv, which the project uses for produce-time validation, tests the parsed double
 * and so would take both; the writer's JSON Schema path, exactInteger in json-document.ts,
 * reads digits like this.) Allocation-free: it runs per value of an integer column.
 */
export function isIntegerNumber(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  if (b[i] === MINUS) i++;
  let fractionDigits = 0;
  /** Zeros ending the digit string (integer and fraction digits together). */
  let trailingZeros = 0;
  let allZero = true;
  let inFraction = false;
  for (; i < end; i++) {
    const c = b[i];
    if (c === DOT) {
      inFraction = true;
      continue;
    }
    if (!isDigit(c)) break; // the exponent's e or E
    if (inFraction) fractionDigits++;
    if (c === ZERO) trailingZeros++;
    else {
      trailingZeros = 0;
      allZero = false;
    }
  }
  if (allZero) return true; // zero, however it is written
  let exponent = 0;
  let negativeExponent = false;
  if (i < end) {
    i++;
    if (b[i] === MINUS || b[i] === PLUS) negativeExponent = b[i++] === MINUS;
    for (; i < end; i++) exponent = Math.min(exponent * 10 + (b[i] - ZERO), EXPONENT_CLAMP);
  }
  // Digits D with the point fractionDigits from the right, times 10^exponent: an integer iff
  // the exponent covers the fraction digits that are not trailing zeros.
  return (negativeExponent ? -exponent : exponent) >= fractionDigits - trailingZeros;
}

/**
 * The JS value JSON.parse would give for a property, from its bytes. Objects and arrays stand
 * in as empty ones: a typed column only reports their type.
 */
export function jsonScalarAt(value: Buffer, kind: JsonKind, start: number, end: number): unknown {
  switch (kind) {
    case JsonKind.String:
      return value.toString('utf8', start + 1, end - 1);
    case JsonKind.EscapedString:
      return JSON.parse(value.toString('utf8', start, end));
    case JsonKind.Number:
      return numberAt(value, start, end);
    case JsonKind.True:
      return true;
    case JsonKind.False:
      return false;
    case JsonKind.Null:
      return null;
    case JsonKind.Object:
      return {};
    default:
      return [];
  }
}

const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A JSON number's value, as JSON.parse gives it. Short plain decimals (at most 15 digits, no
 * exponent) are read here: the digits form an exact integer and one division by an exact
 * power of ten rounds correctly (IEEE), so the result is the same double. Anything else goes
 * through Number(), whose syntax includes JSON's and rounds the same way.
 */
function numberAt(value: Buffer, start: number, end: number): number {
  let i = start;
  const negative = value[i] === 0x2d;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = -1;
  for (; i < end; i++) {
    const c = value[i];
    if (c === 0x2e) {
      fractionDigits = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39 || digits === 15) return Number(value.toString('latin1', start, end));
    mantissa = mantissa * 10 + (c - 0x30);
    digits++;
    if (fractionDigits >= 0) fractionDigits++;
  }
  const magnitude = fractionDigits > 0 ? mantissa / EXACT_POWERS_OF_TEN[fractionDigits] : mantissa;
  return negative ? -magnitude : magnitude;
}
