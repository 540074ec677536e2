/**
 * One Kafka record to the values of one row, or the precise reason it cannot be one. The
 * converter owns a scratch array for the typed JSON values, reused for every record, and
 * checks everything before the row is appended so a bad record leaves no partial row behind.
 */
import { isUtf8 } from 'node:buffer';
import type { KafkaRecord } from '../protocol/records/records.js';
import type { ColumnPlan } from './column-plan.js';
import { describeError } from './errors.js';
import { convertJsonField, FieldError, type JsonScalar } from './json-fields.js';
import { fitsInt64 } from './temporal.js';
import type { JsonColumnSpec, MaterializeTask } from './task.js';

export class RecordConverter {
  /** Typed JSON values of the last record converted, in jsonColumns order. */
  readonly json: JsonScalar[];
  /** Micros of the last record converted. */
  timestampMicros = 0n;
  private readonly specs: JsonColumnSpec[];
  private readonly required: boolean[];
  private readonly isJson: boolean;
  private readonly valueMustBeUtf8: boolean;
  private readonly valueRequired: boolean;

  constructor(task: MaterializeTask, plan: ColumnPlan) {
    this.specs = plan.jsonColumns;
    this.json = this.specs.map(() => null);
    const requiredIds = new Set(plan.columns.filter((c) => c.column.required).map((c) => c.column.id));
    this.required = this.specs.map((s) => requiredIds.has(s.fieldId));
    this.isJson = task.valueFormat === 'json';
    this.valueMustBeUtf8 = plan.columns.some((c) => c.source.kind === 'value' && c.source.type === 'string');
    this.valueRequired = plan.valueRequired;
  }

  /** undefined when the record makes a row (values in this.json / this.timestampMicros), else why not. */
  convert(record: KafkaRecord): string | undefined {
    const micros = fitsInt64(record.timestamp * 1000n);
    if (micros === undefined) return `timestamp ${record.timestamp} ms is out of range for microseconds`;
    this.timestampMicros = micros;
    const { value } = record;
    if (value === null) {
      if (this.isJson) return 'value is null (a tombstone); a JSON topic needs a document';
      return this.valueRequired ? 'value is null but the value column is required' : undefined;
    }
    if ((this.isJson || this.valueMustBeUtf8) && !isUtf8(value)) return 'value is not valid UTF-8';
    if (!this.isJson) return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(value.toString('utf8'));
    } catch (err) {
      return `value is not valid JSON: ${describeError(err, 120)}`;
    }
    return this.specs.length === 0 ? undefined : this.extract(doc);
  }

  private extract(doc: unknown): string | undefined {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      return `value is a JSON ${Array.isArray(doc) ? 'array' : doc === null ? 'null' : typeof doc}, not an object, so its typed columns cannot be read`;
    }
    const object = doc as Record<string, unknown>;
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i];
      const raw = Object.hasOwn(object, spec.path) ? object[spec.path] : undefined;
      const converted = convertJsonField(spec, raw);
      if (converted instanceof FieldError) return converted.reason;
      if (converted === null && this.required[i]) return `field "${spec.path}" (column ${spec.name}) is required but ${raw === null ? 'null' : 'missing'}`;
      this.json[i] = converted;
    }
    return undefined;
  }
}
