/**
 * The typed row schema every table-bound data file is written with: columns, their types and
 * their stable field ids. It is table-format neutral; tables/ turns it into an Iceberg schema
 * or a Delta schemaString, and the Parquet writer stamps the field ids into the file.
 *
 * Every row carries its Kafka coordinates in system columns (ids 1-5) beside the value's own
 * columns (ids from 6 up).
 */
export type PrimitiveColumnType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  /** Microseconds since the epoch, UTC (Iceberg timestamptz, Delta timestamp). */
  | 'timestamptz'
  | 'string'
  | 'binary'
  /** Microseconds since the epoch with no zone (Iceberg timestamp, Avro local-timestamp-*). */
  | 'timestamp'
  /** Microseconds since midnight. */
  | 'time'
  /** 16 bytes (Parquet FIXED_LEN_BYTE_ARRAY(16)). */
  | 'uuid'
  /** Unscaled two's complement integer, precision <= 38 (Arrow Decimal128). Written as Iceberg spells it. */
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export type ColumnType =
  | { kind: 'primitive'; type: PrimitiveColumnType }
  | { kind: 'struct'; fields: Column[] }
  | { kind: 'list'; elementId: number; element: ColumnType; elementRequired: boolean }
  /** Keys are never null (Iceberg and Parquet both require it). */
  | { kind: 'map'; keyId: number; key: ColumnType; valueId: number; value: ColumnType; valueRequired: boolean };

/** Iceberg's largest decimal precision (what fits Arrow's Decimal128). */
export const MAX_DECIMAL_PRECISION = 38;

export function decimalType(precision: number, scale: number): PrimitiveColumnType {
  return `decimal(${precision}, ${scale})`;
}

/** precision and scale of a decimal type, or undefined for any other type. */
export function decimalParams(type: string): { precision: number; scale: number } | undefined {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** The byte length of a fixed[n] type, or undefined for any other type. */
export function fixedLength(type: string): number | undefined {
  const m = /^fixed\[(\d+)\]$/.exec(type);
  return m ? Number(m[1]) : undefined;
}

export interface Column {
  id: number;
  name: string;
  required: boolean;
  type: ColumnType;
  doc?: string;
}

export interface RowSchema {
  /** Increases whenever columns change; ids are never reused. */
  schemaId: number;
  columns: Column[];
}

export const SystemColumn = {
  PARTITION: { id: 1, name: '_kafka_partition' },
  OFFSET: { id: 2, name: '_kafka_offset' },
  TIMESTAMP: { id: 3, name: '_kafka_timestamp' },
  KEY: { id: 4, name: '_kafka_key' },
  HEADERS: { id: 5, name: '_kafka_headers' },
  /** ids 6, 7 and 8 are the element of the headers list and its key and value fields. */
  HEADERS_ELEMENT: 6,
  HEADER_KEY: 7,
  HEADER_VALUE: 8,
} as const;

/** The first id available for value columns. */
export const FIRST_VALUE_FIELD_ID = 9;

const p = (type: PrimitiveColumnType): ColumnType => ({ kind: 'primitive', type });

export function systemColumns(): Column[] {
  return [
    { id: SystemColumn.PARTITION.id, name: SystemColumn.PARTITION.name, required: true, type: p('int'), doc: 'Kafka partition' },
    { id: SystemColumn.OFFSET.id, name: SystemColumn.OFFSET.name, required: true, type: p('long'), doc: 'Kafka offset' },
    { id: SystemColumn.TIMESTAMP.id, name: SystemColumn.TIMESTAMP.name, required: true, type: p('timestamptz'), doc: 'Kafka record timestamp (CreateTime or LogAppendTime)' },
    { id: SystemColumn.KEY.id, name: SystemColumn.KEY.name, required: false, type: p('binary'), doc: 'Kafka record key' },
    {
      id: SystemColumn.HEADERS.id,
      name: SystemColumn.HEADERS.name,
      required: false,
      doc: 'Kafka record headers, in order (keys may repeat)',
      type: {
        kind: 'list',
        elementId: SystemColumn.HEADERS_ELEMENT,
        elementRequired: true,
        element: {
          kind: 'struct',
          fields: [
            { id: SystemColumn.HEADER_KEY, name: 'key', required: true, type: p('string') },
            { id: SystemColumn.HEADER_VALUE, name: 'value', required: false, type: p('binary') },
          ],
        },
      },
    },
  ];
}

/** The largest field id used anywhere in the schema (Iceberg's last-column-id). */
export function maxFieldId(columns: Column[]): number {
  let max = 0;
  const visit = (t: ColumnType) => {
    if (t.kind === 'struct') for (const c of t.fields) visitColumn(c);
    if (t.kind === 'list') {
      max = Math.max(max, t.elementId);
      visit(t.element);
    }
    if (t.kind === 'map') {
      max = Math.max(max, t.keyId, t.valueId);
      visit(t.key);
      visit(t.value);
    }
  };
  const visitColumn = (c: Column) => {
    max = Math.max(max, c.id);
    visit(c.type);
  };
  columns.forEach(visitColumn);
  return max;
}
