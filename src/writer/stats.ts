/**
 * Column statistics of one data file, computed in JS from the RowBlock's buffers (parquet-wasm
 * exposes none, and its footer truncates strings). Keyed by leaf field id:
 * - top-level primitives: valueCount = rows (nulls included, as Iceberg counts), nullCount,
 *   min/max typed: bigint for long/timestamptz, number for int/date/double, string, bytes,
 *   boolean; doubles leave NaN out of min/max and count it in nanCount.
 * - strings and binary compare as unsigned bytes (UTF-8 order for strings, which is the order
 *   Iceberg and Parquet use; JS string comparison is UTF-16 order and differs above U+FFFF).
 * - header key/value (leaves inside the headers list): valueCount = header entries,
 *   nullCount = null entries, no min/max (Iceberg keeps no bounds for list elements).
 */
import type { BytesColumn, FixedColumn } from './column-buffers.js';
import type { ColumnPlan } from './column-plan.js';
import type { RowBlock } from './row-block.js';
import { SystemColumn } from './schema.js';
import type { ColumnStats } from './task.js';

function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i] - b[bStart + i];
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** Row indexes of the smallest and largest non-null values, or -1 when all are null. */
function bytesExtremes(column: BytesColumn): [number, number] {
  const { offsets, data } = column;
  const valid = column.validity.bytes;
  let min = -1;
  let max = -1;
  for (let i = 0; i < column.length; i++) {
    if (valid[i] === 0) continue;
    if (min < 0) {
      min = max = i;
      continue;
    }
    const start = offsets[i];
    const end = offsets[i + 1];
    if (compareBytes(data, start, end, data, offsets[min], offsets[min + 1]) < 0) min = i;
    else if (compareBytes(data, start, end, data, offsets[max], offsets[max + 1]) > 0) max = i;
  }
  return [min, max];
}

export function bytesStats(column: BytesColumn, asString: boolean): ColumnStats {
  const stats: ColumnStats = { valueCount: column.length, nullCount: column.validity.nullCount };
  const [min, max] = bytesExtremes(column);
  if (min >= 0) {
    // slice copies: a view would drag the whole column buffer through postMessage.
    const value = (i: number) => column.data.subarray(column.offsets[i], column.offsets[i + 1]);
    stats.min = asString ? value(min).toString('utf8') : new Uint8Array(value(min));
    stats.max = asString ? value(max).toString('utf8') : new Uint8Array(value(max));
  }
  return stats;
}

export function numberStats(column: FixedColumn<Int32Array | Float32Array | Float64Array>, countNaN: boolean): ColumnStats {
  const { data } = column;
  const valid = column.validity.bytes;
  let min = Infinity;
  let max = -Infinity;
  let nanCount = 0;
  let seen = false;
  for (let i = 0; i < column.length; i++) {
    if (valid[i] === 0) continue;
    const v = data[i];
    if (v !== v) {
      nanCount++;
      continue;
    }
    seen = true;
    if (v < min) min = v;
    if (v > max) max = v;
    // -0.0 and 0.0 compare equal here, but Iceberg orders -0.0 first: a bound must not claim
    // a file holds only one of them when it holds the other.
    if (v === 0) {
      if (Object.is(v, -0) && min === 0) min = -0;
      else if (Object.is(v, 0) && max === 0) max = 0;
    }
  }
  const stats: ColumnStats = { valueCount: column.length, nullCount: column.validity.nullCount };
  if (countNaN) stats.nanCount = nanCount;
  if (seen) Object.assign(stats, { min, max });
  return stats;
}

export function bigintStats(column: FixedColumn<BigInt64Array>): ColumnStats {
  const { data } = column;
  const valid = column.validity.bytes;
  const stats: ColumnStats = { valueCount: column.length, nullCount: column.validity.nullCount };
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (let i = 0; i < column.length; i++) {
    if (valid[i] === 0) continue;
    const v = data[i];
    if (min === undefined || v < min) min = v;
    if (max === undefined || v > max) max = v;
  }
  if (min !== undefined) Object.assign(stats, { min, max });
  return stats;
}

export function booleanStats(column: FixedColumn<Uint8Array>): ColumnStats {
  const valid = column.validity.bytes;
  let sawTrue = false;
  let sawFalse = false;
  for (let i = 0; i < column.length; i++) {
    if (valid[i] === 0) continue;
    if (column.data[i]) sawTrue = true;
    else sawFalse = true;
  }
  const stats: ColumnStats = { valueCount: column.length, nullCount: column.validity.nullCount };
  if (sawTrue || sawFalse) Object.assign(stats, { min: !sawFalse, max: sawTrue });
  return stats;
}

export function computeStats(plan: ColumnPlan, block: RowBlock, kafkaPartition: number): Record<number, ColumnStats> {
  const out: Record<number, ColumnStats> = {};
  const rows = block.rows;
  for (const { column, source } of plan.columns) {
    switch (source.kind) {
      case 'partition':
        out[column.id] = { valueCount: rows, nullCount: 0, min: kafkaPartition, max: kafkaPartition };
        break;
      case 'offset':
        out[column.id] = { valueCount: rows, nullCount: 0, min: block.minOffset, max: block.maxOffset };
        break;
      case 'timestamp':
        out[column.id] = bigintStats(block.timestamps);
        break;
      case 'key':
        out[column.id] = bytesStats(block.keys, false);
        break;
      case 'value':
        out[column.id] = bytesStats(block.values, source.type === 'string');
        break;
      case 'headers': {
        const entries = block.headerKeys.length;
        out[SystemColumn.HEADER_KEY] = { valueCount: entries, nullCount: 0 };
        out[SystemColumn.HEADER_VALUE] = { valueCount: entries, nullCount: block.headerValues.validity.nullCount };
        break;
      }
      case 'null':
        // Nested all-null columns have no leaf values to count.
        if (column.type.kind === 'primitive') out[column.id] = { valueCount: rows, nullCount: rows };
        break;
      case 'typed':
        block.typed[source.index].stats(out);
        break;
      case 'json': {
        const buffer = block.json[source.index];
        if (buffer.kind === 'bytes') out[column.id] = bytesStats(buffer.column, true);
        else if (buffer.kind === 'i64') out[column.id] = bigintStats(buffer.column);
        else if (buffer.kind === 'bool') out[column.id] = booleanStats(buffer.column);
        else out[column.id] = numberStats(buffer.column, buffer.kind === 'f64');
        break;
      }
    }
  }
  return out;
}
