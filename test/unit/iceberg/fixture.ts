/**
 * Test fixture: a small real Parquet data file in lakegate's row shape (system columns plus
 * two value columns), every field stamped with PARQUET:field_id, and the DataFileResult a
 * worker would return for it.
 */
import { writeFileSync, statSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Binary,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
  tableToIPC,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { FIRST_VALUE_FIELD_ID, systemColumns, type RowSchema } from '../../../src/writer/schema.js';
import type { ColumnStats, DataFileResult } from '../../../src/writer/task.js';

export const NAME_ID = FIRST_VALUE_FIELD_ID;
export const AMOUNT_ID = FIRST_VALUE_FIELD_ID + 1;

export function testSchema(): RowSchema {
  return {
    schemaId: 0,
    columns: [
      ...systemColumns(),
      { id: NAME_ID, name: 'name', required: false, type: { kind: 'primitive', type: 'string' } },
      { id: AMOUNT_ID, name: 'amount', required: false, type: { kind: 'primitive', type: 'double' } },
    ],
  };
}

export interface TestRow {
  partition: number;
  offset: bigint;
  /** micros since the epoch */
  timestamp: bigint;
  key: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
  name: string | null;
  amount: number | null;
}

const fid = (id: number) => new Map([['PARQUET:field_id', String(id)]]);
const field = (name: string, type: DataType, nullable: boolean, id: number) => new Field(name, type, nullable, fid(id));

/** Writes `rows` as Parquet to `path` and returns the worker-style result for it. */
export function writeTestParquet(path: string, rows: TestRow[], partitionValue: number | null): DataFileResult {
  const headerStruct = new Struct([field('key', new Utf8(), false, 7), field('value', new Binary(), true, 8)]);
  const headersType = new List(field('element', headerStruct, false, 6));
  const fields = [
    field('_kafka_partition', new Int32(), false, 1),
    field('_kafka_offset', new Int64(), false, 2),
    field('_kafka_timestamp', new TimestampMicrosecond('UTC'), false, 3),
    field('_kafka_key', new Binary(), true, 4),
    field('_kafka_headers', headersType, true, 5),
    field('name', new Utf8(), true, NAME_ID),
    field('amount', new Float64(), true, AMOUNT_ID),
  ];
  const schema = new Schema(fields);
  const n = rows.length;
  const ts = makeData({
    type: new TimestampMicrosecond('UTC'),
    length: n,
    nullCount: 0,
    data: BigInt64Array.from(rows.map((r) => r.timestamp)),
  });
  const children = [
    vectorFromArray(rows.map((r) => r.partition), new Int32()).data[0]!,
    vectorFromArray(rows.map((r) => r.offset), new Int64()).data[0]!,
    ts,
    vectorFromArray(rows.map((r) => r.key), new Binary()).data[0]!,
    vectorFromArray(rows.map((r) => r.headers), headersType).data[0]!,
    vectorFromArray(rows.map((r) => r.name), new Utf8()).data[0]!,
    vectorFromArray(rows.map((r) => r.amount), new Float64()).data[0]!,
  ];
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
  const table = new Table([batch]);
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build();
  const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), props);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);

  const stats: Record<number, ColumnStats> = {};
  const numeric = <T extends bigint | number | string>(id: number, vals: (T | null)[]) => {
    const present = vals.filter((v): v is T => v !== null);
    stats[id] = {
      valueCount: vals.length,
      nullCount: vals.length - present.length,
      min: present.length ? present.reduce((a, b) => (b < a ? b : a)) : undefined,
      max: present.length ? present.reduce((a, b) => (b > a ? b : a)) : undefined,
    };
  };
  numeric(1, rows.map((r) => r.partition));
  numeric(2, rows.map((r) => r.offset));
  numeric(3, rows.map((r) => r.timestamp));
  numeric(NAME_ID, rows.map((r) => r.name));
  numeric(AMOUNT_ID, rows.map((r) => r.amount));
  stats[AMOUNT_ID]!.nanCount = 0;
  stats[4] = { valueCount: n, nullCount: rows.filter((r) => r.key === null).length };
  const allHeaders = rows.flatMap((r) => r.headers);
  stats[7] = { valueCount: allHeaders.length, nullCount: 0 };
  stats[8] = { valueCount: allHeaders.length, nullCount: allHeaders.filter((h) => h.value === null).length };
  return {
    path,
    sizeBytes: statSync(path).size,
    recordCount: n,
    partitionValue,
    columnStats: stats,
    minOffset: rows.reduce((a, r) => (r.offset < a ? r.offset : a), rows[0]!.offset),
    maxOffset: rows.reduce((a, r) => (r.offset > a ? r.offset : a), rows[0]!.offset),
  };
}

/** Rows for one Kafka partition, offsets from..from+count-1, one second apart. */
export function testRows(partition: number, from: bigint, count: number, baseMicros: bigint): TestRow[] {
  const enc = new TextEncoder();
  return Array.from({ length: count }, (_, i) => ({
    partition,
    offset: from + BigInt(i),
    timestamp: baseMicros + BigInt(i) * 1_000_000n,
    key: i % 3 === 0 ? null : enc.encode(`k${i}`),
    headers: i % 2 === 0 ? [{ key: 'h', value: enc.encode(`v${i}`) }] : [],
    name: i % 4 === 3 ? null : `name-${partition}-${from + BigInt(i)}-ü`,
    amount: i % 5 === 4 ? null : i * 1.5,
  }));
}
