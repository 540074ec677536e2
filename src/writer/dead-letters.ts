/**
 * Records that cannot become rows of the main table become rows of its dead-letter table
 * instead, so nothing acknowledged is lost: the Kafka coordinates, the raw key, value and
 * headers as produced, the schema id the value named (Confluent wire format) and the reason.
 *
 * The rows go through the same RowBlock / Parquet path as table rows. The two non-system
 * scalar columns (schema_id, error) ride in the block's typed-column buffers, which already
 * hold nullable ints and strings, so no second writer exists for them.
 */
import { TaskInputError } from './errors.js';
import type { ColumnPlan, PlannedColumn } from './column-plan.js';
import type { HeaderInput } from './row-block.js';
import { systemColumns, SystemColumn, type RowSchema } from './schema.js';
import type { JsonColumnSpec } from './task.js';

export const DEAD_LETTER_VALUE_ID = 9;
export const DEAD_LETTER_SCHEMA_ID_ID = 10;
export const DEAD_LETTER_ERROR_ID = 11;

/** The fixed schema of every dead-letter table. */
export function deadLetterSchema(): RowSchema {
  return {
    schemaId: 0,
    columns: [
      ...systemColumns(),
      { id: DEAD_LETTER_VALUE_ID, name: 'value', required: false, type: { kind: 'primitive', type: 'binary' }, doc: 'the record value, the bytes as produced' },
      { id: DEAD_LETTER_SCHEMA_ID_ID, name: 'schema_id', required: false, type: { kind: 'primitive', type: 'int' }, doc: 'the schema id of the value (Confluent wire format), null when it has none' },
      { id: DEAD_LETTER_ERROR_ID, name: 'error', required: true, type: { kind: 'primitive', type: 'string' }, doc: 'why the record is not a row of the main table' },
    ],
  };
}

/** schema_id and error, filled as typed columns 0 and 1 of the block. */
export const DEAD_LETTER_TYPED_COLUMNS: JsonColumnSpec[] = [
  { fieldId: DEAD_LETTER_SCHEMA_ID_ID, name: 'schema_id', path: 'schema_id', type: 'int' },
  { fieldId: DEAD_LETTER_ERROR_ID, name: 'error', path: 'error', type: 'string' },
];

const SYSTEM_KINDS = new Map<number, 'partition' | 'offset' | 'timestamp' | 'key' | 'headers'>([
  [SystemColumn.PARTITION.id, 'partition'],
  [SystemColumn.OFFSET.id, 'offset'],
  [SystemColumn.TIMESTAMP.id, 'timestamp'],
  [SystemColumn.KEY.id, 'key'],
  [SystemColumn.HEADERS.id, 'headers'],
]);

/** The column plan of a dead-letter file; the schema must be deadLetterSchema()'s. */
export function deadLetterPlan(schema: RowSchema): ColumnPlan {
  const expected = deadLetterSchema();
  if (JSON.stringify(schema.columns) !== JSON.stringify(expected.columns)) throw new TaskInputError('the dead-letter schema is not the one this writer knows');
  const columns = schema.columns.map((column): PlannedColumn => {
    const system = SYSTEM_KINDS.get(column.id);
    if (system) return { column, source: { kind: system } };
    if (column.id === DEAD_LETTER_VALUE_ID) return { column, source: { kind: 'value', type: 'binary' } };
    return { column, source: { kind: 'json', index: column.id === DEAD_LETTER_SCHEMA_ID_ID ? 0 : 1 } };
  });
  return { columns, jsonColumns: DEAD_LETTER_TYPED_COLUMNS, hasValue: true, valueRequired: false };
}

/** The schema id a Confluent wire-format value names (magic byte 0, then a big-endian int32), else null. */
export function wireSchemaId(value: Uint8Array | null): number | null {
  if (!value || value.length < 5 || value[0] !== 0) return null;
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getInt32(1, false);
}

/** One dead letter as RowBlock.append wants it. */
export interface DeadLetter {
  offset: bigint;
  timestampMicros: bigint;
  key: Uint8Array | null;
  headers: HeaderInput[];
  value: Uint8Array | null;
  schemaId: number | null;
  error: string;
}
