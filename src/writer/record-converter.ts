/**
 * One Kafka record to the values of one row, or the precise reason it cannot be one. The
 * converter owns a scratch array for the typed JSON values, reused for every record, and
 * checks everything before the row is appended so a bad record leaves no partial row behind.
 * JSON values are checked by a byte scanner that also locates the typed columns' properties;
 * only those properties are decoded into JS values, never the whole document.
 */
import { isUtf8 } from 'node:buffer';
import type { KafkaRecord } from '../protocol/records/records.js';
import type { ColumnPlan } from './column-plan.js';
import { describeError } from './errors.js';
import { convertJsonField, FieldError, type JsonScalar } from './json-fields.js';
import { JsonKind, JsonScanner, jsonScalarAt } from './json-scan.js';
import { fitsInt64 } from './temporal.js';
import type { JsonColumnSpec, MaterializeTask } from './task.js';
import type { TypedValueDecoder } from './typed-value-decoder.js';

export class RecordConverter {
  /** Typed JSON values of the last record converted, in jsonColumns order. */
  readonly json: JsonScalar[];
  /** Micros of the last record converted. */
  timestampMicros = 0n;
  /** The typed value columns' values of the last record converted (schema-backed formats). */
  typedRow: unknown[] | undefined;
  private readonly specs: JsonColumnSpec[];
  private readonly required: boolean[];
  private readonly isJson: boolean;
  private readonly valueMustBeUtf8: boolean;
  private readonly valueRequired: boolean;
  private readonly scanner: JsonScanner;

  constructor(
    task: MaterializeTask,
    plan: ColumnPlan,
    private readonly typed?: TypedValueDecoder,
  ) {
    this.specs = plan.jsonColumns;
    this.json = this.specs.map(() => null);
    const requiredIds = new Set(plan.columns.filter((c) => c.column.required).map((c) => c.column.id));
    this.required = this.specs.map((s) => requiredIds.has(s.fieldId));
    this.isJson = task.valueFormat === 'json';
    this.valueMustBeUtf8 = plan.columns.some((c) => c.source.kind === 'value' && c.source.type === 'string');
    this.valueRequired = plan.valueRequired;
    this.scanner = new JsonScanner(this.specs.map((s) => s.path));
  }

  /** undefined when the record makes a row (values in this.json / this.timestampMicros), else why not. */
  convert(record: KafkaRecord): string | undefined {
    const micros = fitsInt64(record.timestamp * 1000n);
    if (micros === undefined) return `timestamp ${record.timestamp} ms is out of range for microseconds`;
    this.timestampMicros = micros;
    const { value } = record;
    if (this.typed) {
      if (value === null) return `value is null (a tombstone); a ${this.typed.formatName} topic needs a value`;
      const row = this.typed.decode(value);
      if (typeof row === 'string') return row;
      this.typedRow = row;
      return undefined;
    }
    if (value === null) {
      if (this.isJson) return 'value is null (a tombstone); a JSON topic needs a document';
      return this.valueRequired ? 'value is null but the value column is required' : undefined;
    }
    if ((this.isJson || this.valueMustBeUtf8) && !isUtf8(value)) return 'value is not valid UTF-8';
    if (!this.isJson) return undefined;
    if (!this.scanner.scan(value)) return invalidJsonReason(value);
    return this.specs.length === 0 ? undefined : this.extract(value);
  }

  private extract(value: Buffer): string | undefined {
    const { scanner } = this;
    const top = scanner.topKind;
    if (top !== JsonKind.Object) {
      const what = top === JsonKind.Array ? 'array' : top === JsonKind.Null ? 'null' : top === JsonKind.Number ? 'number' : top === JsonKind.String || top === JsonKind.EscapedString ? 'string' : 'boolean';
      return `value is a JSON ${what}, not an object, so its typed columns cannot be read`;
    }
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i];
      const kind = scanner.kinds[i] as JsonKind;
      const start = scanner.starts[i];
      const end = scanner.ends[i];
      const raw = kind === JsonKind.Absent ? undefined : jsonScalarAt(value, kind, start, end);
      const converted = convertJsonField(spec, raw, value, start, end);
      if (converted instanceof FieldError) return converted.reason;
      if (converted === null && this.required[i]) return `field "${spec.path}" (column ${spec.name}) is required but ${raw === null ? 'null' : 'missing'}`;
      this.json[i] = converted;
    }
    return undefined;
  }
}

/** The reason a value the scanner rejected is bad, worded by JSON.parse as it always was. */
function invalidJsonReason(value: Buffer): string {
  try {
    JSON.parse(value.toString('utf8'));
  } catch (err) {
    return `value is not valid JSON: ${describeError(err, 120)}`;
  }
  // The scanner and JSON.parse disagree: a scanner bug. Keep the record out rather than guess.
  return 'value is not valid JSON (rejected by the byte scanner although JSON.parse accepts it)';
}
