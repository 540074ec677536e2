/**
 * Worker-side decoding of Confluent-framed Avro values into the values of the table's
 * columns. The task carries the schema texts (the event loop looked them up once per cycle);
 * each writer schema id gets an avsc resolver to the table's reader schema on first use, so a
 * record written with any compatible version decodes into the reader's shape (added fields
 * take their defaults, int widens to long, float to double).
 */
import avro from 'avsc';
import { RecordProblem, readFramedValue } from '../record-validation/wire-format.js';
import { MAX_AVRO_VALUE_BYTES, zeroWidthItems } from '../schema-registry/avro-item-width.js';
import { checkSlot, columnWriter, type ColumnWriter } from './avro-columns.js';
import { avroColumns, avroValueSlots, columnPaths, type AvroSchemaText, type AvroSlot } from './avro-schema.js';
import { describeError, TaskInputError } from './errors.js';
import type { Column } from './schema.js';
import type { AvroTaskSchemas, MaterializeTask } from './task.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

/** longs as bigint over the full 64-bit range (avsc's default refuses values above 2^53). */
const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number | bigint),
  toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** Decoding allocates a JS value per Avro item; see schema-registry/avro-item-width.ts. */
export { MAX_AVRO_VALUE_BYTES };

/** avsc type of a schema text; references are parsed first into the same registry. */
function parseAvro(text: AvroSchemaText): avro.Type {
  const registry: Record<string, avro.Type> = { long: BIGINT_LONG };
  const options = { registry, wrapUnions: true } as const;
  for (const reference of text.references) avro.Type.forSchema(JSON.parse(reference) as avro.Schema, options);
  return avro.Type.forSchema(JSON.parse(text.schema) as avro.Schema, options);
}

export class AvroValueDecoder {
  readonly slots: AvroSlot[];
  /** The value columns the reader schema maps to, with the task schema's field ids. */
  readonly columns: Column[];
  private readonly reader: avro.Type;
  private readonly resolvers = new Map<number, Resolver | string>();
  private readonly rootIsRecord: boolean;

  constructor(private readonly schemas: AvroTaskSchemas) {
    const text = schemas.schemas[schemas.readerSchemaId];
    if (!text) throw new TaskInputError(`reader schema ${schemas.readerSchemaId} is not among the task's schemas`);
    try {
      const { slots, rootRecord } = avroValueSlots(text);
      this.slots = slots;
      this.rootIsRecord = rootRecord;
      this.reader = parseAvro(text);
    } catch (err) {
      throw new TaskInputError(`reader schema ${schemas.readerSchemaId} cannot be used: ${describeError(err)}`);
    }
    this.columns = [];
  }

  /** Maps the reader schema onto the task's table schema; every path must have its id there. */
  bind(task: MaterializeTask): Column[] {
    const known = columnPaths(task.schema.columns);
    const columns = avroColumns(this.slots, (path) => {
      const found = known.get(path);
      if (!found) throw new TaskInputError(`the table schema ${task.schema.schemaId} has no column for Avro field ${path}`);
      return found.id;
    });
    this.columns.splice(0, this.columns.length, ...columns);
    return columns;
  }

  /** One writer per value column, for a new block of rows. */
  writers(): ColumnWriter[] {
    return this.columns.map((c, i) => columnWriter(this.slots[i].node, c.type, c.id));
  }

  private resolver(schemaId: number): Resolver | string {
    let resolver = this.resolvers.get(schemaId);
    if (resolver === undefined) {
      const text = this.schemas.schemas[schemaId];
      if (!text) resolver = `schema id ${schemaId} is not a version of the topic's subject`;
      else {
        try {
          const writer = parseAvro(text);
          resolver = zeroWidthItems(writer)
            ? `schema ${schemaId} has an array or map whose items take no bytes; its values are not decoded (a few bytes could claim billions of items)`
            : this.reader.createResolver(writer);
        } catch (err) {
          resolver = `schema ${schemaId} cannot be read as the table's schema ${this.schemas.readerSchemaId}: ${describeError(err, 300)}`;
        }
      }
      this.resolvers.set(schemaId, resolver);
    }
    return resolver;
  }

  /** The slots' values of one record value, or why it cannot be a row. */
  decode(value: Buffer): unknown[] | string {
    if (value.length > MAX_AVRO_VALUE_BYTES) return `Avro value of ${value.length} bytes is larger than the ${MAX_AVRO_VALUE_BYTES} bytes lakegate decodes`;
    let decoded: unknown;
    try {
      const { schemaId, body } = readFramedValue(value);
      const resolver = this.resolver(schemaId);
      if (typeof resolver === 'string') return resolver;
      // Refuses truncated payloads and bytes left after the value.
      decoded = this.reader.fromBuffer(body, resolver, false);
    } catch (err) {
      if (err instanceof RecordProblem) return err.message;
      return `value does not decode as Avro: ${describeError(err, 300)}`;
    }
    const row = this.rootIsRecord ? this.slots.map((s) => (decoded as Record<string, unknown>)[s.name]) : [decoded];
    for (let i = 0; i < row.length; i++) {
      const problem = checkSlot(this.slots[i], this.columns[i].type, row[i], this.slots[i].name);
      if (problem) return problem;
    }
    return row;
  }
}
