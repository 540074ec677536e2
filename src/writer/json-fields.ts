/**
 * Typed columns from top-level JSON properties. Conversions are strict: a value of the wrong
 * JSON type, a fractional number for an integer column or an unparsable timestamp is a
 * FieldError, which makes the whole record bad rather than quietly writing a null.
 */
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

/** Converts one property value (undefined when absent); null and absent both become null. */
export function convertJsonField(spec: JsonColumnSpec, raw: unknown): JsonScalar | FieldError {
  if (raw === undefined || raw === null) return null;
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' ? raw : mismatch(spec, 'a string', raw);
    case 'boolean':
      return typeof raw === 'boolean' ? raw : mismatch(spec, 'true or false', raw);
    case 'double':
      return typeof raw === 'number' ? raw : mismatch(spec, 'a number', raw);
    case 'int':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= INT32_MIN && raw <= INT32_MAX
        ? raw
        : mismatch(spec, 'a 32-bit integer', raw);
    case 'long':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
      if (typeof raw === 'number' && Number.isInteger(raw)) {
        // JSON.parse has already rounded it: writing it would store a different number.
        return new FieldError(`field "${spec.path}" (column ${spec.name}, long): ${raw} is beyond +-2^53 and cannot be read exactly from JSON`);
      }
      return mismatch(spec, 'an integer', raw);
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
