/**
 * Arrow Data made directly from a RowBlock's buffers with makeData (offsets, values and
 * validity bitmaps as they are), so building a file's Arrow table costs a few copies of
 * whole buffers instead of a builder call per value.
 */
import { type Data, DataType, type Field, makeData, RecordBatch, type Schema, Struct, Table, type TypeMap } from 'apache-arrow';
import { type BytesColumn, type FixedColumn, packBits } from './column-buffers.js';
import type { ColumnPlan } from './column-plan.js';
import type { RowBlock } from './row-block.js';

// makeData's props are typed per DataType; the writer picks the right props by construction.
type AnyProps = Parameters<typeof makeData>[0];
export const data = (props: Record<string, unknown>): Data => makeData(props as unknown as AnyProps) as Data;

export function bytesData(type: DataType, column: BytesColumn): Data {
  return data({
    type,
    length: column.length,
    nullCount: column.validity.nullCount,
    nullBitmap: column.validity.bitmap(column.length),
    valueOffsets: column.valueOffsets(),
    data: column.bytes(),
  });
}

export function fixedData(type: DataType, column: FixedColumn<Int32Array | Float32Array | Float64Array | BigInt64Array>): Data {
  return data({
    type,
    length: column.length,
    nullCount: column.validity.nullCount,
    nullBitmap: column.validity.bitmap(column.length),
    data: column.values(),
  });
}

export function boolData(type: DataType, column: FixedColumn<Uint8Array>): Data {
  return data({
    type,
    length: column.length,
    nullCount: column.validity.nullCount,
    nullBitmap: column.validity.bitmap(column.length),
    data: packBits(column.data, column.length),
  });
}

/** A column of nulls of any type (nested types get empty or all-null children). */
export function nullData(type: DataType, length: number): Data {
  const nullBitmap = new Uint8Array(((length + 63) >> 6) << 3);
  const base = { type, length, nullCount: length, nullBitmap };
  if (DataType.isStruct(type)) {
    return data({ ...base, children: type.children.map((f: Field) => nullData(f.type, length)) });
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    return data({ ...base, valueOffsets: new Int32Array(length + 1), child: nullData(type.children[0].type, 0) });
  }
  if (DataType.isFixedSizeBinary(type)) return data({ ...base, data: new Uint8Array(length * type.byteWidth) });
  if (DataType.isDecimal(type)) return data({ ...base, data: new Uint32Array(length * 4) });
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    return data({ ...base, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) });
  }
  if (DataType.isBool(type)) return data({ ...base, data: new Uint8Array(nullBitmap.length) });
  const { ArrayType } = type as unknown as { ArrayType: new (n: number) => ArrayLike<unknown> };
  return data({ ...base, data: new ArrayType(length) });
}

function headersData(type: DataType, block: RowBlock): Data {
  const element = type.children[0];
  const [keyField, valueField] = element.type.children as Field[];
  const entries = block.headerKeys.length;
  const struct = data({
    type: element.type,
    length: entries,
    nullCount: 0,
    children: [bytesData(keyField.type, block.headerKeys), bytesData(valueField.type, block.headerValues)],
  });
  // Records without headers get an empty list, never a null one: Kafka has no null headers.
  return data({ type, length: block.rows, nullCount: 0, valueOffsets: block.headerOffsets.values(), child: struct });
}

function columnData(plan: ColumnPlan, index: number, field: Field, block: RowBlock): Data {
  const { source } = plan.columns[index];
  switch (source.kind) {
    case 'partition':
      throw new Error('the partition column needs the Kafka partition'); // handled by the caller
    case 'offset':
      return fixedData(field.type, block.offsets);
    case 'timestamp':
      return fixedData(field.type, block.timestamps);
    case 'key':
      return bytesData(field.type, block.keys);
    case 'headers':
      return headersData(field.type, block);
    case 'value':
      return bytesData(field.type, block.values);
    case 'null':
      return nullData(field.type, block.rows);
    case 'typed':
      return block.typed[source.index].toData(field.type);
    case 'json': {
      const buffer = block.json[source.index];
      if (buffer.kind === 'bytes') return bytesData(field.type, buffer.column);
      if (buffer.kind === 'bool') return boolData(field.type, buffer.column);
      return fixedData(field.type, buffer.column);
    }
  }
}

export function buildArrowTable(schema: Schema, plan: ColumnPlan, block: RowBlock, kafkaPartition: number): Table {
  const children = schema.fields.map((field, i) =>
    plan.columns[i].source.kind === 'partition'
      ? data({ type: field.type, length: block.rows, nullCount: 0, data: new Int32Array(block.rows).fill(kafkaPartition) })
      : columnData(plan, i, field, block),
  );
  const root = data({ type: new Struct(schema.fields), length: block.rows, nullCount: 0, children });
  const batch = new RecordBatch(schema as Schema<TypeMap>, root as Data<Struct<TypeMap>>);
  return new Table(schema, [batch]);
}
