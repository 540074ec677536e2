/**
 * Worker-side decoding of Confluent-framed values (Avro, Protobuf, JSON Schema) into the
 * values of the table's columns. The task carries the subject's schema texts (the event loop
 * looked them up once per cycle); the format's body reader turns a value into the shape of
 * the reader schema's Avro image (writer/typed-format.ts), and the image's slots check it in
 * full before any column writer sees it.
 */
import { RecordProblem, readFramedValue } from '../record-validation/wire-format.js';
import { checkSlot, columnWriter, type ColumnWriter } from './avro-columns.js';
import { avroColumns, avroValueSlots, columnPaths, type AvroSlot } from './avro-schema.js';
import { describeError, TaskInputError } from './errors.js';
import type { Column } from './schema.js';
import type { MaterializeTask, TypedTaskSchemas, TypedValueFormat } from './task.js';
import { BodyProblem, type FramedBodyReader } from './typed-format.js';
import { TYPED_FORMATS } from './typed-formats.js';

const FORMAT_NAMES: Record<TypedValueFormat, string> = { avro: 'Avro', protobuf: 'Protobuf', jsonschema: 'JSON Schema' };

export class TypedValueDecoder {
  readonly slots: AvroSlot[];
  /** The value columns the reader schema maps to, with the task schema's field ids. */
  readonly columns: Column[] = [];
  /** The format's name in reasons ("an Avro topic needs a value"). */
  readonly formatName: string;
  private readonly body: FramedBodyReader;
  private readonly rootIsRecord: boolean;

  constructor(format: TypedValueFormat, schemas: TypedTaskSchemas) {
    this.formatName = FORMAT_NAMES[format];
    const entry = TYPED_FORMATS[format];
    if (!entry) throw new TaskInputError(`value format ${format} has no decoder`);
    const text = schemas.schemas[schemas.readerSchemaId];
    if (!text) throw new TaskInputError(`reader schema ${schemas.readerSchemaId} is not among the task's schemas`);
    try {
      const { slots, rootRecord } = avroValueSlots(entry.format.avroImage(text));
      this.slots = slots;
      this.rootIsRecord = rootRecord;
      this.body = entry.format.bodyReader(schemas.readerSchemaId, schemas.schemas);
    } catch (err) {
      throw new TaskInputError(`reader schema ${schemas.readerSchemaId} cannot be used: ${describeError(err)}`);
    }
  }

  /** Maps the reader schema onto the task's table schema; every path must have its id there. */
  bind(task: MaterializeTask): Column[] {
    const known = columnPaths(task.schema.columns);
    const columns = avroColumns(this.slots, (path) => {
      const found = known.get(path);
      if (!found) throw new TaskInputError(`the table schema ${task.schema.schemaId} has no column for field ${path}`);
      return found.id;
    });
    this.columns.splice(0, this.columns.length, ...columns);
    return columns;
  }

  /** One writer per value column, for a new block of rows. */
  writers(): ColumnWriter[] {
    return this.columns.map((c, i) => columnWriter(this.slots[i].node, c.type, c.id));
  }

  /** The slots' values of one record value, or why it cannot be a row. */
  decode(value: Buffer): unknown[] | string {
    let decoded: unknown;
    try {
      const { schemaId, body } = readFramedValue(value);
      decoded = this.body.read(schemaId, body);
    } catch (err) {
      if (err instanceof RecordProblem) return err.message;
      return `value does not decode as ${this.formatName}: ${describeError(err, 300)}`;
    }
    if (decoded instanceof BodyProblem) return decoded.reason;
    const row = this.rootIsRecord ? this.slots.map((s) => (decoded as Record<string, unknown>)[s.name]) : [decoded];
    for (let i = 0; i < row.length; i++) {
      const problem = checkSlot(this.slots[i], this.columns[i].type, row[i], this.slots[i].name);
      if (problem) return problem;
    }
    return row;
  }
}
