/**
 * Iceberg's single-value binary serialization (spec appendix D) used for lower/upper bounds
 * and partition summaries, plus the truncation of string and binary bounds (metrics mode
 * truncate(16), Iceberg's default): a lower bound is a prefix, an upper bound a prefix whose
 * last unit is incremented so it still sorts at or above every value.
 */
import { decimalParams, fixedLength, type PrimitiveColumnType } from '../../writer/schema.js';
import type { ColumnStats } from '../../writer/task.js';
import type { LeafField } from './schema.js';

export type StatValue = bigint | number | string | Uint8Array | boolean;

/** Bound truncation length, in code points (strings) or bytes (binary). */
export const DEFAULT_TRUNCATE_LENGTH = 16;

function asBigInt(v: StatValue, type: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new TypeError(`${type} value ${String(v)} is not an integer`);
}

function asInt32(v: StatValue, type: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new TypeError(`${type} value ${String(v)} is not a 32-bit integer`);
  }
  return n;
}

function asNumber(v: StatValue, type: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`${type} value ${String(v)} is not a number`);
}

/** The single-value binary form of a value of a primitive type. */
export function toBytes(type: PrimitiveColumnType, v: StatValue): Buffer {
  switch (type) {
    case 'boolean': {
      if (typeof v !== 'boolean') throw new TypeError(`boolean value ${String(v)} is not a boolean`);
      return Buffer.from([v ? 1 : 0]);
    }
    case 'int':
    case 'date': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(asInt32(v, type));
      return b;
    }
    case 'long':
    case 'timestamptz':
    case 'timestamp':
    case 'time': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(asBigInt(v, type));
      return b;
    }
    case 'uuid': {
      if (!(v instanceof Uint8Array) || v.byteLength !== 16) throw new TypeError('uuid value is not 16 bytes');
      return Buffer.from(v);
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(asNumber(v, type));
      return b;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(asNumber(v, type));
      return b;
    }
    case 'string': {
      if (typeof v !== 'string') throw new TypeError(`string value ${String(v)} is not a string`);
      return Buffer.from(v, 'utf8');
    }
    case 'binary': {
      if (!(v instanceof Uint8Array)) throw new TypeError('binary value is not a Uint8Array');
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  if (decimalParams(type)) return decimalBytes(asBigInt(v, type));
  if (fixedLength(type) !== undefined && v instanceof Uint8Array) return Buffer.from(v);
  throw new TypeError(`no single-value serialization for ${type}`);
}

/** A decimal's unscaled value as the minimal big-endian two's complement bytes (spec appendix D). */
export function decimalBytes(unscaled: bigint): Buffer {
  let length = 1;
  while (unscaled < -(1n << BigInt(8 * length - 1)) || unscaled >= 1n << BigInt(8 * length - 1)) length++;
  const out = Buffer.alloc(length);
  let x = BigInt.asUintN(8 * length, unscaled);
  for (let i = length - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/** Decodes a single-value binary form (the inverse of toBytes; strings and binary untruncated). */
export function fromBytes(type: PrimitiveColumnType, b: Uint8Array): StatValue {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case 'boolean':
      return buf[0] !== 0;
    case 'int':
    case 'date':
      return buf.readInt32LE(0);
    case 'long':
    case 'timestamptz':
    case 'timestamp':
    case 'time':
      return buf.readBigInt64LE(0);
    case 'uuid':
      return new Uint8Array(buf);
    case 'float':
      return buf.readFloatLE(0);
    case 'double':
      return buf.readDoubleLE(0);
    case 'string':
      return buf.toString('utf8');
    case 'binary':
      return new Uint8Array(buf);
  }
  if (decimalParams(type)) {
    let v = 0n;
    for (const byte of buf) v = (v << 8n) | BigInt(byte);
    return buf.length > 0 && buf[0] & 0x80 ? v - (1n << BigInt(buf.length * 8)) : v;
  }
  return new Uint8Array(buf);
}

/** The first `length` code points of s (never splits a surrogate pair). */
export function truncateStringLower(s: string, length = DEFAULT_TRUNCATE_LENGTH): string {
  const cps = Array.from(s);
  return cps.length <= length ? s : cps.slice(0, length).join('');
}

/**
 * The smallest-effort upper bound of s with at most `length` code points: s itself when short
 * enough, else its prefix with the last code point incremented (code points that cannot be
 * incremented, U+10FFFF, are dropped first). Null when no such bound exists.
 */
export function truncateStringUpper(s: string, length = DEFAULT_TRUNCATE_LENGTH): string | null {
  const cps = Array.from(s);
  if (cps.length <= length) return s;
  const prefix = cps.slice(0, length).map((c) => c.codePointAt(0)!);
  for (let i = prefix.length - 1; i >= 0; i--) {
    let next = prefix[i]! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // surrogates are not scalar values
    if (next <= 0x10ffff) {
      prefix[i] = next;
      return String.fromCodePoint(...prefix.slice(0, i + 1));
    }
  }
  return null;
}

export function truncateBinaryLower(b: Uint8Array, length = DEFAULT_TRUNCATE_LENGTH): Uint8Array {
  return b.byteLength <= length ? b : b.subarray(0, length);
}

export function truncateBinaryUpper(b: Uint8Array, length = DEFAULT_TRUNCATE_LENGTH): Uint8Array | null {
  if (b.byteLength <= length) return b;
  const prefix = Uint8Array.from(b.subarray(0, length));
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      prefix[i] = prefix[i]! + 1;
      return prefix.subarray(0, i + 1);
    }
  }
  return null;
}

function isNaNValue(v: StatValue): boolean {
  return typeof v === 'number' && Number.isNaN(v);
}

/** The serialized lower bound of a column, or undefined when it has none. */
export function lowerBound(type: PrimitiveColumnType, v: StatValue | undefined, truncateLength = DEFAULT_TRUNCATE_LENGTH): Buffer | undefined {
  // fixed[n] bounds would need truncation rules of their own; Iceberg allows leaving them out.
  if (v === undefined || v === null || isNaNValue(v) || fixedLength(type) !== undefined) return undefined;
  if (type === 'string') return toBytes(type, truncateStringLower(v as string, truncateLength));
  if (type === 'binary') return toBytes(type, truncateBinaryLower(v as Uint8Array, truncateLength));
  return toBytes(type, v);
}

/** The serialized upper bound of a column, or undefined when it has none. */
export function upperBound(type: PrimitiveColumnType, v: StatValue | undefined, truncateLength = DEFAULT_TRUNCATE_LENGTH): Buffer | undefined {
  if (v === undefined || v === null || isNaNValue(v) || fixedLength(type) !== undefined) return undefined;
  if (type === 'string') {
    const t = truncateStringUpper(v as string, truncateLength);
    return t === null ? undefined : toBytes(type, t);
  }
  if (type === 'binary') {
    const t = truncateBinaryUpper(v as Uint8Array, truncateLength);
    return t === null ? undefined : toBytes(type, t);
  }
  return toBytes(type, v);
}

export interface FileMetrics {
  columnSizes: Map<number, bigint>;
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  nanValueCounts: Map<number, bigint>;
  lowerBounds: Map<number, Buffer>;
  upperBounds: Map<number, Buffer>;
}

/**
 * A data file's metrics maps from the writer's per-column statistics. Counts are kept for
 * every known leaf field; bounds only for leaves outside lists (repeated values have no
 * per-row meaning) and never NaN. Statistics for ids the schema does not know are ignored.
 */
export function fileMetrics(stats: Record<number, ColumnStats>, leaves: Map<number, LeafField>): FileMetrics {
  const m: FileMetrics = {
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  const ids = Object.keys(stats).map(Number).sort((a, b) => a - b);
  for (const id of ids) {
    const s = stats[id]!;
    const leaf = leaves.get(id);
    if (!leaf) continue;
    if (s.sizeBytes !== undefined) m.columnSizes.set(id, BigInt(s.sizeBytes));
    m.valueCounts.set(id, BigInt(s.valueCount));
    m.nullValueCounts.set(id, BigInt(s.nullCount));
    if ((leaf.type === 'float' || leaf.type === 'double') && s.nanCount !== undefined) {
      m.nanValueCounts.set(id, BigInt(s.nanCount));
    }
    if (leaf.repeated) continue;
    const lo = lowerBound(leaf.type, s.min);
    const hi = upperBound(leaf.type, s.max);
    if (lo) m.lowerBounds.set(id, lo);
    if (hi) m.upperBounds.set(id, hi);
  }
  return m;
}
