/**
 * RowSchema -> Iceberg schema JSON (spec: "Schemas and Data Types", appendix C JSON
 * serialization) and the `schema.name-mapping.default` table property, which lets readers
 * map columns by name in files written without field ids.
 */
import type { Column, ColumnType, PrimitiveColumnType, RowSchema } from '../../writer/schema.js';
import { decimalParams, fixedLength, maxFieldId } from '../../writer/schema.js';

export type IcebergPrimitive = PrimitiveColumnType;

export type IcebergType =
  | IcebergPrimitive
  | IcebergStructType
  | { type: 'list'; 'element-id': number; element: IcebergType; 'element-required': boolean }
  | { type: 'map'; 'key-id': number; key: IcebergType; 'value-id': number; value: IcebergType; 'value-required': boolean };

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface IcebergStructType {
  type: 'struct';
  fields: IcebergField[];
}

export interface IcebergSchema extends IcebergStructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

/** The Iceberg type names are the RowSchema primitive names (timestamptz, binary, ...). */
const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveColumnType>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'timestamptz', 'string', 'binary', 'timestamp', 'time', 'uuid',
]);

function isPrimitive(type: string): boolean {
  return PRIMITIVES.has(type) || decimalParams(type) !== undefined || fixedLength(type) !== undefined;
}

export function toIcebergType(t: ColumnType): IcebergType {
  switch (t.kind) {
    case 'primitive':
      if (!isPrimitive(t.type)) throw new Error(`unsupported primitive type ${t.type}`);
      return t.type;
    case 'struct':
      return { type: 'struct', fields: t.fields.map(toIcebergField) };
    case 'list':
      return {
        type: 'list',
        'element-id': t.elementId,
        element: toIcebergType(t.element),
        'element-required': t.elementRequired,
      };
    case 'map':
      return {
        type: 'map',
        'key-id': t.keyId,
        key: toIcebergType(t.key),
        'value-id': t.valueId,
        value: toIcebergType(t.value),
        'value-required': t.valueRequired,
      };
  }
}

/** An Iceberg type back in RowSchema's shape. */
export function fromIcebergType(t: IcebergType): ColumnType {
  if (typeof t === 'string') return { kind: 'primitive', type: t };
  if (t.type === 'struct') return { kind: 'struct', fields: t.fields.map(fromIcebergField) };
  if (t.type === 'list') return { kind: 'list', elementId: t['element-id'], element: fromIcebergType(t.element), elementRequired: t['element-required'] };
  return { kind: 'map', keyId: t['key-id'], key: fromIcebergType(t.key), valueId: t['value-id'], value: fromIcebergType(t.value), valueRequired: t['value-required'] };
}

export function fromIcebergField(f: IcebergField): Column {
  const c: Column = { id: f.id, name: f.name, required: f.required, type: fromIcebergType(f.type) };
  if (f.doc !== undefined) c.doc = f.doc;
  return c;
}

/** An Iceberg schema as a RowSchema (schemaId = its schema-id). */
export function fromIcebergSchema(s: IcebergSchema): RowSchema {
  return { schemaId: s['schema-id'], columns: s.fields.map(fromIcebergField) };
}

export function toIcebergField(c: Column): IcebergField {
  const f: IcebergField = { id: c.id, name: c.name, required: c.required, type: toIcebergType(c.type) };
  if (c.doc !== undefined) f.doc = c.doc;
  return f;
}

export function toIcebergSchema(schema: RowSchema): IcebergSchema {
  checkUniqueIds(schema.columns);
  return { type: 'struct', 'schema-id': schema.schemaId, fields: schema.columns.map(toIcebergField) };
}

/** Iceberg's last-column-id for a schema. */
export function lastColumnId(schema: RowSchema): number {
  return maxFieldId(schema.columns);
}

export interface MappedField {
  'field-id': number;
  names: string[];
  fields?: MappedField[];
}

/** The name mapping (spec: "Column Projection", name mapping JSON) for a schema. */
export function nameMapping(schema: RowSchema): MappedField[] {
  const nested = (t: ColumnType): MappedField[] | undefined => {
    if (t.kind === 'struct') return t.fields.map(mapColumn);
    if (t.kind === 'list') {
      const element: MappedField = { 'field-id': t.elementId, names: ['element'] };
      const inner = nested(t.element);
      if (inner) element.fields = inner;
      return [element];
    }
    if (t.kind === 'map') {
      const key: MappedField = { 'field-id': t.keyId, names: ['key'] };
      const value: MappedField = { 'field-id': t.valueId, names: ['value'] };
      const inner = nested(t.value);
      if (inner) value.fields = inner;
      return [key, value];
    }
    return undefined;
  };
  const mapColumn = (c: Column): MappedField => {
    const m: MappedField = { 'field-id': c.id, names: [c.name] };
    const inner = nested(c.type);
    if (inner) m.fields = inner;
    return m;
  };
  return schema.columns.map(mapColumn);
}

export function nameMappingJson(schema: RowSchema): string {
  return JSON.stringify(nameMapping(schema));
}

/** A leaf column with the context bounds need: whether any ancestor is a list. */
export interface LeafField {
  id: number;
  type: PrimitiveColumnType;
  /** Under a list: values repeat per row, so Iceberg keeps no bounds for it. */
  repeated: boolean;
}

/** Every primitive field by id, including those nested in structs and lists. */
export function leafFields(columns: Column[]): Map<number, LeafField> {
  const out = new Map<number, LeafField>();
  const visit = (id: number, t: ColumnType, repeated: boolean) => {
    if (t.kind === 'primitive') out.set(id, { id, type: t.type, repeated });
    else if (t.kind === 'struct') for (const f of t.fields) visit(f.id, f.type, repeated);
    else if (t.kind === 'list') visit(t.elementId, t.element, true);
    else {
      visit(t.keyId, t.key, true);
      visit(t.valueId, t.value, true);
    }
  };
  for (const c of columns) visit(c.id, c.type, false);
  return out;
}

/** Finds a top-level or nested column by id. */
export function findColumn(columns: Column[], id: number): Column | undefined {
  for (const c of columns) {
    if (c.id === id) return c;
    if (c.type.kind === 'struct') {
      const found = findColumn(c.type.fields, id);
      if (found) return found;
    }
  }
  return undefined;
}

function checkUniqueIds(columns: Column[]): void {
  const seen = new Set<number>();
  const add = (id: number) => {
    if (!Number.isInteger(id) || id <= 0) throw new Error(`invalid field id ${id}`);
    if (seen.has(id)) throw new Error(`duplicate field id ${id}`);
    seen.add(id);
  };
  const visit = (t: ColumnType) => {
    if (t.kind === 'struct') for (const f of t.fields) visitColumn(f);
    else if (t.kind === 'list') {
      add(t.elementId);
      visit(t.element);
    } else if (t.kind === 'map') {
      add(t.keyId);
      add(t.valueId);
      visit(t.key);
      visit(t.value);
    }
  };
  const visitColumn = (c: Column) => {
    add(c.id);
    visit(c.type);
  };
  columns.forEach(visitColumn);
}
