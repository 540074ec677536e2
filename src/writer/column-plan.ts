/**
 * Which source fills each column of the task's schema. Resolved once per task, so the row
 * loop never looks at names or types, and a schema that the config cannot fill is reported
 * before any byte is read.
 */
import { TaskInputError } from './errors.js';
import { type Column, type ColumnType, type PrimitiveColumnType, SystemColumn, systemColumns } from './schema.js';
import type { JsonColumnSpec, MaterializeTask } from './task.js';

export type ColumnSource =
  | { kind: 'partition' | 'offset' | 'timestamp' | 'key' | 'headers' }
  | { kind: 'value'; type: 'binary' | 'string' }
  /** index into the task's jsonColumns */
  | { kind: 'json'; index: number }
  /** index into the value columns of the typed reader schema's Avro image */
  | { kind: 'typed'; index: number }
  /** In the table schema but fed by nothing any more (e.g. a dropped JSON field): all null. */
  | { kind: 'null' };

export interface PlannedColumn {
  column: Column;
  source: ColumnSource;
}

export interface ColumnPlan {
  columns: PlannedColumn[];
  jsonColumns: JsonColumnSpec[];
  /** Whether a value column exists (raw needs one; JSON may keep only typed columns). */
  hasValue: boolean;
  valueRequired: boolean;
}

const SYSTEM_SOURCES = new Map<number, ColumnSource['kind']>([
  [SystemColumn.PARTITION.id, 'partition'],
  [SystemColumn.OFFSET.id, 'offset'],
  [SystemColumn.TIMESTAMP.id, 'timestamp'],
  [SystemColumn.KEY.id, 'key'],
  [SystemColumn.HEADERS.id, 'headers'],
]);

/** Structural type equality; docs and key order do not matter. */
export function sameType(a: ColumnType, b: ColumnType): boolean {
  if (a.kind === 'primitive' || b.kind === 'primitive') {
    return a.kind === b.kind && (a as { type: string }).type === (b as { type: string }).type;
  }
  if (a.kind === 'list' && b.kind === 'list') {
    return a.elementId === b.elementId && a.elementRequired === b.elementRequired && sameType(a.element, b.element);
  }
  if (a.kind === 'map' && b.kind === 'map') {
    return a.keyId === b.keyId && a.valueId === b.valueId && a.valueRequired === b.valueRequired && sameType(a.key, b.key) && sameType(a.value, b.value);
  }
  if (a.kind === 'struct' && b.kind === 'struct') {
    return (
      a.fields.length === b.fields.length &&
      a.fields.every((f, i) => {
        const g = b.fields[i];
        return f.id === g.id && f.name === g.name && f.required === g.required && sameType(f.type, g.type);
      })
    );
  }
  return false;
}

function primitiveOf(column: Column): PrimitiveColumnType | undefined {
  return column.type.kind === 'primitive' ? column.type.type : undefined;
}

/** avroColumns: the value columns a typed task's reader schema fills (TypedValueDecoder.bind). */
export function planColumns(task: MaterializeTask, avroColumns: Column[] = []): ColumnPlan {
  const expectedSystem = new Map(systemColumns().map((c) => [c.id, c]));
  const jsonById = new Map<number, number>();
  if (task.valueFormat === 'json') task.jsonColumns.forEach((spec, index) => jsonById.set(spec.fieldId, index));
  else if (task.jsonColumns.length > 0) throw new TaskInputError(`jsonColumns given for value format '${task.valueFormat}'`);
  const avroById = new Map<number, number>();
  if (task.typed) avroColumns.forEach((c, index) => avroById.set(c.id, index));

  const leftovers = task.schema.columns.filter((c) => !SYSTEM_SOURCES.has(c.id) && !jsonById.has(c.id) && !avroById.has(c.id));
  // An Avro table keeps no raw value column: its values are the typed columns.
  const valueColumn = task.typed ? undefined : (leftovers.find((c) => c.name === 'value') ?? (leftovers.length === 1 ? leftovers[0] : undefined));
  if (task.valueFormat === 'raw' && !valueColumn) {
    throw new TaskInputError(`raw value format needs a value column; schema ${task.schema.schemaId} has none`);
  }

  const seen = new Set<number>();
  const columns = task.schema.columns.map((column): PlannedColumn => {
    seen.add(column.id);
    const system = SYSTEM_SOURCES.get(column.id);
    if (system) {
      const expected = expectedSystem.get(column.id)!;
      if (!sameType(column.type, expected.type) || column.name !== expected.name) {
        throw new TaskInputError(`system column ${column.id} must be ${expected.name} ${JSON.stringify(expected.type)}`);
      }
      return { column, source: { kind: system } as ColumnSource };
    }
    const jsonIndex = jsonById.get(column.id);
    if (jsonIndex !== undefined) {
      const spec = task.jsonColumns[jsonIndex];
      if (primitiveOf(column) !== spec.type) {
        throw new TaskInputError(`JSON column ${spec.name} (id ${spec.fieldId}) is ${spec.type} in the config but ${JSON.stringify(column.type)} in the schema`);
      }
      return { column, source: { kind: 'json', index: jsonIndex } };
    }
    const avroIndex = avroById.get(column.id);
    if (avroIndex !== undefined) {
      if (!sameType(column.type, avroColumns[avroIndex].type)) {
        throw new TaskInputError(`column ${column.name} (id ${column.id}) is ${JSON.stringify(column.type)} in the schema but the Avro reader schema makes it ${JSON.stringify(avroColumns[avroIndex].type)}`);
      }
      return { column, source: { kind: 'typed', index: avroIndex } };
    }
    if (column === valueColumn) {
      const type = primitiveOf(column);
      if (type !== 'binary' && type !== 'string') {
        throw new TaskInputError(`value column ${column.name} must be binary or string, not ${JSON.stringify(column.type)}`);
      }
      if (task.valueFormat === 'json' && type !== 'string') {
        throw new TaskInputError(`value column ${column.name} of a JSON topic must be string`);
      }
      return { column, source: { kind: 'value', type } };
    }
    if (column.required) {
      throw new TaskInputError(`required column ${column.name} (id ${column.id}) has no source in value format '${task.valueFormat}'`);
    }
    return { column, source: { kind: 'null' } };
  });
  for (const spec of task.jsonColumns) {
    if (!seen.has(spec.fieldId)) throw new TaskInputError(`JSON column ${spec.name} (id ${spec.fieldId}) is not in schema ${task.schema.schemaId}`);
  }
  return {
    columns,
    jsonColumns: task.valueFormat === 'json' ? task.jsonColumns : [],
    hasValue: valueColumn !== undefined,
    valueRequired: valueColumn?.required ?? false,
  };
}
