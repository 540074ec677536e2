/**
 * The Arrow schema a data file is written with, derived from the row schema alone (never
 * inferred from values): explicit types, nullability, and `PARQUET:field_id` on every field,
 * list elements and struct children included, which parquet-wasm turns into Parquet field ids.
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  Schema,
  Struct,
  TimeMicrosecond,
  TimeUnit,
  Timestamp,
  Utf8,
} from 'apache-arrow';
import { type Column, type ColumnType, decimalParams, fixedLength, type PrimitiveColumnType, type RowSchema } from './schema.js';

export const FIELD_ID_KEY = 'PARQUET:field_id';
/** The list element's name in Parquet's three-level list (what pyarrow and Spark write). */
export const LIST_ELEMENT_NAME = 'element';
/** The map's repeated key/value group, named as the Parquet spec's MAP examples name it. */
export const MAP_ENTRIES_NAME = 'key_value';

function primitiveType(type: PrimitiveColumnType): DataType {
  switch (type) {
    case 'boolean':
      return new Bool();
    case 'int':
      return new Int32();
    case 'long':
      return new Int64();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'timestamptz':
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case 'string':
      return new Utf8();
    case 'binary':
      return new Binary();
    case 'timestamp':
      return new Timestamp(TimeUnit.MICROSECOND, null);
    case 'time':
      return new TimeMicrosecond();
    case 'uuid':
      return new FixedSizeBinary(16);
  }
  const decimal = decimalParams(type);
  if (decimal) return new Decimal(decimal.scale, decimal.precision, 128);
  const length = fixedLength(type);
  if (length !== undefined) return new FixedSizeBinary(length);
  throw new Error(`no Arrow type for column type ${type}`);
}

function fieldIdMetadata(id: number): Map<string, string> {
  return new Map([[FIELD_ID_KEY, String(id)]]);
}

export function arrowType(type: ColumnType): DataType {
  switch (type.kind) {
    case 'primitive':
      return primitiveType(type.type);
    case 'struct':
      return new Struct(type.fields.map(arrowField));
    case 'list':
      return new List(
        new Field(LIST_ELEMENT_NAME, arrowType(type.element), !type.elementRequired, fieldIdMetadata(type.elementId)),
      );
    case 'map': {
      const key = new Field('key', arrowType(type.key), false, fieldIdMetadata(type.keyId));
      const value = new Field('value', arrowType(type.value), !type.valueRequired, fieldIdMetadata(type.valueId));
      return new Map_(new Field(MAP_ENTRIES_NAME, new Struct<{ key: DataType; value: DataType }>([key, value] as never), false));
    }
  }
}

export function arrowField(column: Column): Field {
  return new Field(column.name, arrowType(column.type), !column.required, fieldIdMetadata(column.id));
}

export function arrowSchema(schema: RowSchema): Schema {
  return new Schema(schema.columns.map(arrowField));
}

/**
 * Parquet column paths of the leaves, joined with '.', to their field ids: how the footer's
 * per-column sizes are mapped back to ids.
 */
export function leafPaths(columns: Column[], prefix: string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (path: string[], id: number, type: ColumnType) => {
    if (type.kind === 'primitive') out.set(path.join('.'), id);
    else if (type.kind === 'struct') for (const f of type.fields) visit([...path, f.name], f.id, f.type);
    else if (type.kind === 'list') visit([...path, 'list', LIST_ELEMENT_NAME], type.elementId, type.element);
    else {
      visit([...path, MAP_ENTRIES_NAME, 'key'], type.keyId, type.key);
      visit([...path, MAP_ENTRIES_NAME, 'value'], type.valueId, type.value);
    }
  };
  for (const c of columns) visit([...prefix, c.name], c.id, c.type);
  return out;
}
