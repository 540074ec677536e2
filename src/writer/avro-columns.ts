/**
 * Column writers for decoded Avro values, nested like the columns they fill (struct fields,
 * list element, map key and value): values go straight into growable typed buffers, which
 * become Arrow Data (makeData, no per-value builder calls) and per-leaf statistics when the
 * block is written.
 *
 * checkSlot walks a value in full before any writer sees it: every conversion that can fail
 * (a decimal wider than its precision, a malformed uuid, a timestamp past int64 micros) fails
 * there, so a bad record never leaves a partial row behind.
 *
 * Decoded values are avsc's with wrapped unions and no logical types registered: longs are
 * bigint, bytes and fixed are Buffers, a union value is null or {branch: value}.
 */
import type { Data, DataType, Field } from 'apache-arrow';
import { boolData, bytesData, data, fixedData } from './arrow-batch.js';
import type { AvroLeaf, AvroNode, AvroSlot } from './avro-schema.js';
import { BytesColumn, FixedColumn, Validity } from './column-buffers.js';
import { type ColumnType, decimalParams, fixedLength } from './schema.js';
import { bigintStats, booleanStats, bytesStats, numberStats } from './stats.js';
import { fitsInt64 } from './temporal.js';
import type { ColumnStats } from './task.js';

export class ValueProblem extends Error {}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The union wrapper's only key and value (avsc wraps every union value as {branch: value}). */
function unwrap(v: unknown): [string, unknown] {
  // Own keys only: avsc's branch classes carry methods on their prototypes.
  const key = Object.keys(v as object)[0];
  if (key === undefined) throw new ValueProblem('union value without a branch');
  return [key, (v as Record<string, unknown>)[key]];
}

/** Big-endian two's complement bytes (Avro decimal) to the unscaled value. */
function unscaledOf(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new ValueProblem('decimal value has no bytes');
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return bytes[0] & 0x80 ? v - (1n << BigInt(bytes.length * 8)) : v;
}

/** The value a leaf column stores: number, bigint, string, bytes, or fixed-width bytes. */
function leafValue(leaf: AvroLeaf, type: ColumnType, v: unknown): unknown {
  switch (leaf) {
    case 'time-millis':
      return BigInt(v as number) * 1000n;
    case 'timestamp-millis': {
      const micros = fitsInt64(BigInt(v as bigint) * 1000n);
      if (micros === undefined) throw new ValueProblem(`timestamp ${String(v)} ms is out of range for microseconds`);
      return micros;
    }
    case 'decimal': {
      const unscaled = unscaledOf(v as Buffer);
      const { precision } = decimalParams((type as { type: string }).type)!;
      const limit = 10n ** BigInt(precision);
      if (unscaled >= limit || unscaled <= -limit) throw new ValueProblem(`decimal ${unscaled} (unscaled) has more than ${precision} digits`);
      return unscaled;
    }
    case 'uuid-string': {
      if (!UUID.test(v as string)) throw new ValueProblem(`uuid ${JSON.stringify(v)} is not 8-4-4-4-12 hex digits`);
      return Buffer.from((v as string).replace(/-/g, ''), 'hex');
    }
    case 'long':
    case 'time-micros':
    case 'timestamp-micros':
      return BigInt(v as bigint);
    default:
      return v;
  }
}

/** Why the value cannot fill the slot's columns, or undefined when it can. */
export function checkSlot(slot: AvroSlot, type: ColumnType, v: unknown, path: string): string | undefined {
  try {
    checkValue(slot, type, v, path);
    return undefined;
  } catch (err) {
    if (err instanceof ValueProblem) return `${path}: ${err.message}`;
    throw err;
  }
}

function checkValue(slot: AvroSlot, type: ColumnType, v: unknown, path: string): void {
  if (v === null || v === undefined) {
    if (!slot.nullable) throw new ValueProblem('null where the schema allows none');
    return;
  }
  checkNode(slot.node, type, slot.wrapped ? unwrap(v)[1] : v, path);
}

function checkNode(node: AvroNode, type: ColumnType, v: unknown, path: string): void {
  switch (node.kind) {
    case 'leaf':
      leafValue(node.leaf, type, v);
      return;
    case 'record': {
      const fields = (type as Extract<ColumnType, { kind: 'struct' }>).fields;
      node.fields.forEach((f, i) => checkValue(f, fields[i].type, (v as Record<string, unknown>)[f.name], `${path}.${f.name}`));
      return;
    }
    case 'union': {
      const [key, inner] = unwrap(v);
      const index = node.branches.findIndex((b) => b.key === key);
      if (index < 0) throw new ValueProblem(`union branch ${key} is not in the table's schema`);
      checkNode(node.branches[index].node, (type as Extract<ColumnType, { kind: 'struct' }>).fields[index].type, inner, path);
      return;
    }
    case 'array': {
      const element = (type as Extract<ColumnType, { kind: 'list' }>).element;
      for (const item of v as unknown[]) checkValue(node.items, element, item, `${path}[]`);
      return;
    }
    case 'map': {
      const value = (type as Extract<ColumnType, { kind: 'map' }>).value;
      // Own keys only: an inherited property is never an entry (own-property.ts).
      for (const key of Object.keys(v as object)) checkValue(node.values, value, (v as Record<string, unknown>)[key], `${path}{}`);
      return;
    }
  }
}

export interface ColumnWriter {
  readonly validity: Validity;
  /** A non-null value of the node (union wrapper already removed for wrapped slots). */
  push(v: unknown): void;
  pushNull(): void;
  toData(type: DataType): Data;
  /** Statistics of every leaf under this writer, by field id. */
  stats(out: Record<number, ColumnStats>): void;
  release(): void;
}

export function pushSlot(writer: ColumnWriter, slot: AvroSlot, v: unknown): void {
  if (v === null || v === undefined) writer.pushNull();
  else writer.push(slot.wrapped ? unwrap(v)[1] : v);
}

type NumberArray = Int32Array | Float32Array | Float64Array | BigInt64Array;

class NumberWriter<A extends NumberArray> implements ColumnWriter {
  readonly column: FixedColumn<A>;
  constructor(
    ctor: { new (n: number): A },
    private readonly id: number,
    private readonly convert: (v: unknown) => A[number],
    private readonly statsOf: (c: FixedColumn<A>) => ColumnStats,
  ) {
    this.column = new FixedColumn(ctor);
  }
  get validity() {
    return this.column.validity;
  }
  push(v: unknown) {
    this.column.push(this.convert(v));
  }
  pushNull() {
    this.column.pushNull();
  }
  toData(type: DataType) {
    return fixedData(type, this.column as FixedColumn<NumberArray>);
  }
  stats(out: Record<number, ColumnStats>) {
    out[this.id] = this.statsOf(this.column);
  }
  release() {}
}

class BoolWriter implements ColumnWriter {
  readonly column = new FixedColumn(Uint8Array);
  constructor(private readonly id: number) {}
  get validity() {
    return this.column.validity;
  }
  push(v: unknown) {
    this.column.push(v ? 1 : 0);
  }
  pushNull() {
    this.column.pushNull();
  }
  toData(type: DataType) {
    return boolData(type, this.column);
  }
  stats(out: Record<number, ColumnStats>) {
    out[this.id] = booleanStats(this.column);
  }
  release() {}
}

class BytesWriter implements ColumnWriter {
  readonly column = new BytesColumn();
  constructor(
    private readonly id: number,
    private readonly isString: boolean,
  ) {}
  get validity() {
    return this.column.validity;
  }
  push(v: unknown) {
    if (this.isString) this.column.pushString(v as string);
    else this.column.pushBytes(v as Uint8Array);
  }
  pushNull() {
    this.column.pushNull();
  }
  toData(type: DataType) {
    return bytesData(type, this.column);
  }
  stats(out: Record<number, ColumnStats>) {
    out[this.id] = bytesStats(this.column, this.isString);
  }
  release() {
    this.column.release();
  }
}

/** fixed[n], uuid (16 bytes as they are) and decimal (16-byte little-endian two's complement, Arrow Decimal128). */
class FixedWidthWriter implements ColumnWriter {
  readonly validity = new Validity();
  private bytes: Uint8Array;
  private length = 0;
  constructor(
    private readonly id: number,
    private readonly width: number,
    private readonly kind: 'fixed' | 'uuid' | 'decimal',
    private readonly convert: (v: unknown) => unknown,
  ) {
    this.bytes = new Uint8Array(width * 64);
  }
  private reserve() {
    if ((this.length + 1) * this.width <= this.bytes.length) return;
    const next = new Uint8Array(this.bytes.length * 2);
    next.set(this.bytes);
    this.bytes = next;
  }
  push(raw: unknown) {
    const v = this.convert(raw);
    this.reserve();
    const at = this.length * this.width;
    if (this.kind === 'decimal') {
      let x = BigInt.asUintN(128, v as bigint);
      for (let i = 0; i < 16; i++, x >>= 8n) this.bytes[at + i] = Number(x & 0xffn);
    } else this.bytes.set(v as Uint8Array, at);
    this.validity.set(this.length++, true);
  }
  pushNull() {
    this.reserve();
    this.bytes.fill(0, this.length * this.width, (this.length + 1) * this.width);
    this.validity.set(this.length++, false);
  }
  toData(type: DataType) {
    const bytes = this.bytes.slice(0, this.length * this.width);
    const values = this.kind === 'decimal' ? new Uint32Array(bytes.buffer, 0, this.length * 4) : bytes;
    return data({ type, length: this.length, nullCount: this.validity.nullCount, nullBitmap: this.validity.bitmap(this.length), data: values });
  }
  private valueAt(i: number): bigint | Uint8Array {
    const at = i * this.width;
    if (this.kind !== 'decimal') return this.bytes.slice(at, at + this.width);
    let x = 0n;
    for (let b = 15; b >= 0; b--) x = (x << 8n) | BigInt(this.bytes[at + b]);
    return BigInt.asIntN(128, x);
  }
  /** Bounds for decimal (unscaled) and uuid (unsigned bytes); fixed keeps counts only. */
  stats(out: Record<number, ColumnStats>) {
    const s: ColumnStats = { valueCount: this.length, nullCount: this.validity.nullCount };
    if (this.kind !== 'fixed') {
      let min: bigint | Uint8Array | undefined;
      let max: bigint | Uint8Array | undefined;
      const less = (a: bigint | Uint8Array, b: bigint | Uint8Array) => (typeof a === 'bigint' ? a < (b as bigint) : Buffer.compare(a, b as Uint8Array) < 0);
      for (let i = 0; i < this.length; i++) {
        if (this.validity.bytes[i] === 0) continue;
        const v = this.valueAt(i);
        if (min === undefined || less(v, min)) min = v;
        if (max === undefined || less(max, v)) max = v;
      }
      if (min !== undefined) Object.assign(s, { min, max });
    }
    out[this.id] = s;
  }
  release() {}
}

/** Nested writers: a struct's children, a list's element, a map's keys and values. */
abstract class NestedWriter implements ColumnWriter {
  readonly validity = new Validity();
  protected length = 0;
  constructor(protected readonly children: ColumnWriter[]) {}
  abstract push(v: unknown): void;
  abstract pushNull(): void;
  abstract toData(type: DataType): Data;
  stats(out: Record<number, ColumnStats>) {
    for (const c of this.children) c.stats(out);
  }
  release() {
    for (const c of this.children) c.release();
  }
}

class StructWriter extends NestedWriter {
  constructor(
    private readonly slots: AvroSlot[],
    children: ColumnWriter[],
  ) {
    super(children);
  }
  push(v: unknown) {
    const record = v as Record<string, unknown>;
    this.slots.forEach((slot, i) => pushSlot(this.children[i], slot, record[slot.name]));
    this.validity.set(this.length++, true);
  }
  /** Arrow wants children as long as the struct: a null struct has null children. */
  pushNull() {
    for (const c of this.children) c.pushNull();
    this.validity.set(this.length++, false);
  }
  toData(type: DataType) {
    const children = type.children.map((f: Field, i: number) => this.children[i].toData(f.type));
    return data({ type, length: this.length, nullCount: this.validity.nullCount, nullBitmap: this.validity.bitmap(this.length), children });
  }
}

/** A union of several types: one struct field per branch, only the value's branch set. */
class UnionWriter extends StructWriter {
  constructor(
    private readonly keys: string[],
    children: ColumnWriter[],
  ) {
    super([], children);
  }
  override push(v: unknown) {
    const [key, inner] = unwrap(v);
    const index = this.keys.indexOf(key);
    this.children.forEach((c, i) => (i === index ? c.push(inner) : c.pushNull()));
    this.validity.set(this.length++, true);
  }
}

class ListWriter extends NestedWriter {
  private readonly offsets = new FixedColumn(Int32Array);
  private count = 0;
  constructor(
    private readonly slot: AvroSlot,
    element: ColumnWriter,
  ) {
    super([element]);
    this.offsets.push(0);
  }
  push(v: unknown) {
    for (const item of v as unknown[]) pushSlot(this.children[0], this.slot, item);
    this.count += (v as unknown[]).length;
    this.offsets.push(this.count);
    this.validity.set(this.length++, true);
  }
  pushNull() {
    this.offsets.push(this.count);
    this.validity.set(this.length++, false);
  }
  toData(type: DataType) {
    const child = this.children[0].toData(type.children[0].type);
    return data({ type, length: this.length, nullCount: this.validity.nullCount, nullBitmap: this.validity.bitmap(this.length), valueOffsets: this.offsets.values(), child });
  }
}

class MapWriter extends NestedWriter {
  private readonly offsets = new FixedColumn(Int32Array);
  private count = 0;
  constructor(
    private readonly slot: AvroSlot,
    keys: ColumnWriter,
    values: ColumnWriter,
  ) {
    super([keys, values]);
    this.offsets.push(0);
  }
  push(v: unknown) {
    const map = v as Record<string, unknown>;
    // Own keys only, as in checkNode.
    for (const key of Object.keys(map)) {
      this.children[0].push(key);
      pushSlot(this.children[1], this.slot, map[key]);
      this.count++;
    }
    this.offsets.push(this.count);
    this.validity.set(this.length++, true);
  }
  pushNull() {
    this.offsets.push(this.count);
    this.validity.set(this.length++, false);
  }
  toData(type: DataType) {
    const entriesType = type.children[0].type;
    const [keyField, valueField] = entriesType.children as Field[];
    const entries = data({
      type: entriesType,
      length: this.count,
      nullCount: 0,
      children: [this.children[0].toData(keyField.type), this.children[1].toData(valueField.type)],
    });
    return data({ type, length: this.length, nullCount: this.validity.nullCount, nullBitmap: this.validity.bitmap(this.length), valueOffsets: this.offsets.values(), child: entries });
  }
}

/** The writer of one column (field id `id`, type `type`) filled from an Avro node. */
export function columnWriter(node: AvroNode, type: ColumnType, id: number): ColumnWriter {
  switch (node.kind) {
    case 'leaf':
      return leafWriter(node.leaf, type, id);
    case 'record': {
      const fields = (type as Extract<ColumnType, { kind: 'struct' }>).fields;
      return new StructWriter(node.fields, node.fields.map((f, i) => columnWriter(f.node, fields[i].type, fields[i].id)));
    }
    case 'union': {
      const fields = (type as Extract<ColumnType, { kind: 'struct' }>).fields;
      return new UnionWriter(
        node.branches.map((b) => b.key),
        node.branches.map((b, i) => columnWriter(b.node, fields[i].type, fields[i].id)),
      );
    }
    case 'array': {
      const list = type as Extract<ColumnType, { kind: 'list' }>;
      return new ListWriter(node.items, columnWriter(node.items.node, list.element, list.elementId));
    }
    case 'map': {
      const map = type as Extract<ColumnType, { kind: 'map' }>;
      return new MapWriter(node.values, new BytesWriter(map.keyId, true), columnWriter(node.values.node, map.value, map.valueId));
    }
  }
}

function leafWriter(leaf: AvroLeaf, type: ColumnType, id: number): ColumnWriter {
  const convert = (v: unknown) => leafValue(leaf, type, v);
  switch (leaf) {
    case 'boolean':
      return new BoolWriter(id);
    case 'int':
    case 'date':
      return new NumberWriter(Int32Array, id, (v) => v as number, (c) => numberStats(c, false));
    case 'float':
      return new NumberWriter(Float32Array, id, (v) => v as number, (c) => numberStats(c, true));
    case 'double':
      return new NumberWriter(Float64Array, id, (v) => v as number, (c) => numberStats(c, true));
    case 'long':
    case 'time-millis':
    case 'time-micros':
    case 'timestamp-millis':
    case 'timestamp-micros':
      return new NumberWriter(BigInt64Array, id, (v) => convert(v) as bigint, bigintStats);
    case 'string':
    case 'enum':
      return new BytesWriter(id, true);
    case 'bytes':
      return new BytesWriter(id, false);
    case 'uuid-string':
    case 'uuid-fixed':
      return new FixedWidthWriter(id, 16, 'uuid', convert);
    case 'decimal':
      return new FixedWidthWriter(id, 16, 'decimal', convert);
    case 'fixed':
      return new FixedWidthWriter(id, fixedLength((type as { type: string }).type)!, 'fixed', convert);
  }
}
