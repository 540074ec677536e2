/**
 * Lossless JSON for Iceberg metadata. Snapshot ids are random 63-bit integers, beyond what a
 * JS number holds exactly (2^53), and Node 20's JSON.parse has no access to the source text
 * of a number. So metadata JSON is written and read here:
 *   - stringifyJson writes a bigint as a bare JSON integer;
 *   - parseJson returns every integer literal outside the safe range as a bigint (all other
 *     numbers as numbers), so nothing is ever rounded.
 * Readers of id fields accept both (see toBigInt).
 */

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue | undefined };

/** JSON text; bigint values are written as integers. Keys whose value is undefined are skipped. */
export function stringifyJson(value: unknown, indent = 2): string {
  const out: string[] = [];
  const pad = (depth: number) => (indent > 0 ? '\n' + ' '.repeat(indent * depth) : '');
  const sep = indent > 0 ? ': ' : ':';
  const write = (v: unknown, depth: number): void => {
    if (v === null) {
      out.push('null');
    } else if (typeof v === 'bigint') {
      out.push(v.toString());
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`cannot write ${v} as JSON`);
      out.push(JSON.stringify(v));
    } else if (typeof v === 'boolean' || typeof v === 'string') {
      out.push(JSON.stringify(v));
    } else if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[');
      v.forEach((item, i) => {
        if (i > 0) out.push(',');
        out.push(pad(depth + 1));
        write(item === undefined ? null : item, depth + 1);
      });
      out.push(pad(depth), ']');
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (entries.length === 0) {
        out.push('{}');
        return;
      }
      out.push('{');
      entries.forEach(([k, x], i) => {
        if (i > 0) out.push(',');
        out.push(pad(depth + 1), JSON.stringify(k), sep);
        write(x, depth + 1);
      });
      out.push(pad(depth), '}');
    } else {
      throw new TypeError(`cannot write a ${typeof v} as JSON`);
    }
  };
  write(value, 0);
  return out.join('');
}

/** Parses JSON text; integers outside Number's safe range become bigint. */
export function parseJson(text: string): JsonValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at position ${pos}`);
  };
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };
  const value = (): JsonValue => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: { [key: string]: JsonValue } = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        obj[key] = value();
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const arr: JsonValue[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    return number();
  };
  const string = (): string => {
    // Find the closing quote, skipping escapes, then let JSON.parse decode the literal.
    const start = pos;
    pos++;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const ch = text[pos];
      if (ch === '\\') pos += 2;
      else if (ch === '"') break;
      else pos++;
    }
    pos++;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const number = (): number | bigint => {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (!m || m[0].length === 0) return fail('unexpected character');
    pos += m[0].length;
    const literal = m[0];
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(literal);
      return Number.isSafeInteger(n) ? n : BigInt(literal);
    }
    return Number(literal);
  };
  const result = value();
  ws();
  if (pos !== text.length) fail('trailing characters');
  return result;
}

/** A JSON integer (number or bigint, or a decimal string) as bigint. */
export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  throw new TypeError(`not an integer: ${String(v)}`);
}

/** A JSON integer that must fit in a number (sequence numbers, ids, counts). */
export function toSafeNumber(v: unknown): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError(`not a safe integer: ${String(v)}`);
  return n;
}
