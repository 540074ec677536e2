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
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  Schema,
  Struct,
  TimeUnit,
  Timestamp,
  Utf8,
} from 'apache-arrow';
import type { Column, ColumnType, PrimitiveColumnType, RowSchema } from './schema.js';

export const FIELD_ID_KEY = 'PARQUET:field_id';
/** The list element's name in Parquet's three-level list (what pyarrow and Spark write). */
export const LIST_ELEMENT_NAME = 'element';

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
  }
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
    else visit([...path, 'list', LIST_ELEMENT_NAME], type.elementId, type.element);
  };
  for (const c of columns) visit([...prefix, c.name], c.id, c.type);
  return out;
}
