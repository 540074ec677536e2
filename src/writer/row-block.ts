/**
 * The rows of one future data file, column by column. Every system column is kept (cheap),
 * the value bytes are copied once, and each typed JSON column lands in a typed array of its
 * own width. estimatedBytes is what the file's Arrow data will weigh, used to bound the wasm
 * memory one Parquet write needs.
 */
import { pushSlot, type ColumnWriter } from './avro-columns.js';
import type { TypedValueDecoder } from './typed-value-decoder.js';
import { BytesColumn, FixedColumn } from './column-buffers.js';
import type { JsonScalar } from './json-fields.js';
import type { JsonColumnSpec, PartitionValue } from './task.js';

export type JsonColumnBuffer =
  | { kind: 'i32'; column: FixedColumn<Int32Array> }
  | { kind: 'i64'; column: FixedColumn<BigInt64Array> }
  | { kind: 'f64'; column: FixedColumn<Float64Array> }
  | { kind: 'bool'; column: FixedColumn<Uint8Array> }
  | { kind: 'bytes'; column: BytesColumn };

function jsonBuffer(spec: JsonColumnSpec): JsonColumnBuffer {
  switch (spec.type) {
    case 'int':
    case 'date':
      return { kind: 'i32', column: new FixedColumn(Int32Array) };
    case 'long':
    case 'timestamptz':
      return { kind: 'i64', column: new FixedColumn(BigInt64Array) };
    case 'double':
      return { kind: 'f64', column: new FixedColumn(Float64Array) };
    case 'boolean':
      return { kind: 'bool', column: new FixedColumn(Uint8Array) };
    case 'string':
      return { kind: 'bytes', column: new BytesColumn() };
  }
}

/** Fixed bytes per row: offset, timestamp, partition, three int32 offsets and validity. */
const ROW_OVERHEAD = 8 + 8 + 4 + 12 + 3;

export interface HeaderInput {
  key: string;
  value: Uint8Array | null;
}

export class RowBlock {
  rows = 0;
  estimatedBytes = 0;
  minOffset = 0n;
  maxOffset = 0n;
  readonly offsets = new FixedColumn(BigInt64Array);
  readonly timestamps = new FixedColumn(BigInt64Array);
  readonly keys = new BytesColumn();
  /** List offsets into headerKeys/headerValues, one more than rows. */
  headerOffsets = new FixedColumn(Int32Array);
  readonly headerKeys = new BytesColumn();
  readonly headerValues = new BytesColumn();
  readonly values = new BytesColumn();
  readonly json: JsonColumnBuffer[];
  /** The typed value columns' writers (schema-backed formats), in the decoder's column order. */
  readonly typed: ColumnWriter[];

  constructor(
    readonly partitionValue: PartitionValue,
    jsonColumns: JsonColumnSpec[],
    private readonly typedDecoder?: TypedValueDecoder,
    /** Whether a raw or JSON value column needs the value bytes (a typed table has none). */
    private readonly keepValue = true,
  ) {
    this.json = jsonColumns.map(jsonBuffer);
    this.typed = typedDecoder?.writers() ?? [];
    this.headerOffsets.push(0);
  }

  append(
    offset: bigint,
    timestampMicros: bigint,
    key: Uint8Array | null,
    headers: HeaderInput[],
    value: Uint8Array | null,
    json: JsonScalar[],
    typedRow?: unknown[],
  ): void {
    if (this.rows === 0 || offset < this.minOffset) this.minOffset = offset;
    if (this.rows === 0 || offset > this.maxOffset) this.maxOffset = offset;
    this.offsets.push(offset);
    this.timestamps.push(timestampMicros);
    let bytes = ROW_OVERHEAD;
    if (key) {
      this.keys.pushBytes(key);
      bytes += key.length;
    } else this.keys.pushNull();
    for (const header of headers) {
      this.headerKeys.pushString(header.key);
      if (header.value) {
        this.headerValues.pushBytes(header.value);
        bytes += header.value.length;
      } else this.headerValues.pushNull();
      bytes += header.key.length + 10;
    }
    this.headerOffsets.push(this.headerKeys.length);
    if (!this.keepValue) {
      // Decoded values weigh about twice their Avro encoding in column buffers.
      if (value) bytes += value.length * 2;
    } else if (value) {
      this.values.pushBytes(value);
      bytes += value.length;
    } else this.values.pushNull();
    for (let i = 0; i < this.json.length; i++) bytes += pushJson(this.json[i], json[i]);
    if (typedRow && this.typedDecoder) {
      const { slots } = this.typedDecoder;
      for (let i = 0; i < this.typed.length; i++) pushSlot(this.typed[i], slots[i], typedRow[i]);
    }
    this.estimatedBytes += bytes;
    this.rows++;
  }
}

/** Recycles the block's byte buffers once its file is written and its statistics taken. */
export function releaseBlock(block: RowBlock): void {
  for (const column of [block.keys, block.headerKeys, block.headerValues, block.values]) column.release();
  for (const buffer of block.json) if (buffer.kind === 'bytes') buffer.column.release();
  for (const writer of block.typed) writer.release();
}

function pushJson(buffer: JsonColumnBuffer, value: JsonScalar): number {
  if (value === null) {
    buffer.column.pushNull();
    return 1;
  }
  switch (buffer.kind) {
    case 'i32':
    case 'f64':
      buffer.column.push(value as number);
      return 8;
    case 'i64':
      buffer.column.push(value as bigint);
      return 8;
    case 'bool':
      buffer.column.push(value ? 1 : 0);
      return 1;
    case 'bytes':
      buffer.column.pushString(value as string);
      return (value as string).length + 5;
  }
}
