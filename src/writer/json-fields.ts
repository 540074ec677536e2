/**
 * Typed columns from top-level JSON properties. Conversions are strict: a value of the wrong
 * JSON type, a fractional number for an integer column or an unparsable timestamp is a
 * FieldError, which makes the whole record bad rather than quietly writing a null.
 *
 * Numbers follow the writer's JSON Schema path (json-schema-format.ts): `int` and `long` take
 * a number that is an integer by its digits (1.0 and 1e3 are; 1.0000000000000001 and 1e-400
 * are not, although they parse to the doubles 1 and 0), and `double` refuses a number beyond
 * double range (1e400, which parses to Infinity). A `long` past +-2^53, where the double it
 * is parsed to is no longer exact, is read from its digits and must fit in 64 bits.
 */
import { exactInteger, JsonNumber } from './json-document.js';
import { isIntegerNumber } from './json-scan.js';
import { epochMillisToMicros, parseIsoDate, parseIsoTimestampMicros } from './temporal.js';
import type { JsonColumnSpec } from './task.js';

/** number for int/date(days)/double, bigint for long/timestamptz (micros). */
export type JsonScalar = number | bigint | string | boolean | null;

export class FieldError {
  constructor(readonly reason: string) {}
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' && !Number.isFinite(value) ? 'non-finite number' : typeof value;
}

function mismatch(spec: JsonColumnSpec, expected: string, raw: unknown): FieldError {
  const shown = typeof raw === 'string' ? JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw) : typeof raw === 'object' ? jsonTypeOf(raw) : String(raw);
  return new FieldError(`field "${spec.path}" (column ${spec.name}, ${spec.type}): expected ${expected}, got ${jsonTypeOf(raw)} ${shown}`);
}

/** A number's JSON text for a reason (error path only: it allocates). */
function numberText(source: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(source.buffer, source.byteOffset + start, end - start).toString('latin1');
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** A number that does not fit, shown as written: its double may have rounded the problem away. */
function numberMismatch(spec: JsonColumnSpec, expected: string, source: Uint8Array, start: number, end: number): FieldError {
  return new FieldError(`field "${spec.path}" (column ${spec.name}, ${spec.type}): expected ${expected}, got number ${numberText(source, start, end)}`);
}

/**
 * Past 2^53 the double has rounded the number: its digits are read instead (rare, so the
 * text and regex of exactInteger are affordable here).
 */
function exactLong(spec: JsonColumnSpec, source: Uint8Array, start: number, end: number): bigint | FieldError {
  const text = Buffer.from(source.buffer, source.byteOffset + start, end - start).toString('latin1');
  const exact = exactInteger(new JsonNumber(text));
  if (typeof exact === 'bigint') return exact;
  return numberMismatch(spec, 'an integer within the 64-bit long range', source, start, end);
}

/**
 * Converts one property value (undefined when absent); null and absent both become null.
 * source[start, end) is the value's JSON text, which a number is judged on (see above).
 */
export function convertJsonField(spec: JsonColumnSpec, raw: unknown, source: Uint8Array, start: number, end: number): JsonScalar | FieldError {
  if (raw === undefined || raw === null) return null;
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' ? raw : mismatch(spec, 'a string', raw);
    case 'boolean':
      return typeof raw === 'boolean' ? raw : mismatch(spec, 'true or false', raw);
    case 'double':
      if (typeof raw !== 'number') return mismatch(spec, 'a number', raw);
      return Number.isFinite(raw) ? raw : numberMismatch(spec, 'a number within double range', source, start, end);
    case 'int':
      if (typeof raw !== 'number') return mismatch(spec, 'a 32-bit integer', raw);
      // An integer text within int32 range parses to exactly its value.
      if (isIntegerNumber(source, start, end) && raw >= INT32_MIN && raw <= INT32_MAX) return raw;
      return numberMismatch(spec, 'a 32-bit integer', source, start, end);
    case 'long':
      if (typeof raw !== 'number') return mismatch(spec, 'an integer', raw);
      if (!isIntegerNumber(source, start, end)) return numberMismatch(spec, 'an integer', source, start, end);
      if (Number.isSafeInteger(raw)) return BigInt(raw);
      return exactLong(spec, source, start, end);
    case 'timestamptz': {
      const micros =
        typeof raw === 'string' ? parseIsoTimestampMicros(raw) : typeof raw === 'number' ? epochMillisToMicros(raw) : undefined;
      return micros ?? mismatch(spec, 'an ISO-8601 timestamp or epoch milliseconds', raw);
    }
    case 'date': {
      const days = typeof raw === 'string' ? parseIsoDate(raw) : undefined;
      return days ?? mismatch(spec, "a 'YYYY-MM-DD' date", raw);
    }
  }
}
