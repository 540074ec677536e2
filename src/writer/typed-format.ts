/**
 * What a schema-backed value format (Avro, Protobuf, JSON Schema) must provide for its values
 * to become typed columns. Every format is seen through an "Avro image": an Avro schema that
 * describes the same values. The image's columns (writer/avro-schema.ts) are the table's
 * value columns, its paths keep field ids stable across versions
 * (tables/typed-value-schemas.ts), and one set of column writers (writer/avro-columns.ts)
 * fills them whatever the format. So a format only has to say what its schema looks like as
 * Avro and how its bytes become the values avsc would decode for that image.
 */
import type { AvroSchemaText } from './avro-schema.js';

export type RegistrySchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

/**
 * A registered schema with every schema it references, directly or not, flattened:
 * dependencies before dependents, each under the name it is referenced by (the import path
 * for Protobuf, the `$ref` URL for JSON Schema, the reference name for Avro).
 */
export interface SchemaText {
  schemaType: RegistrySchemaType;
  schema: string;
  references: Array<{ name: string; schema: string }>;
}

/** Why a value cannot be decoded; the reason goes to the bad-record report verbatim. */
export class BodyProblem {
  constructor(readonly reason: string) {}
}

/**
 * Worker side: reads the body of a Confluent-framed value (what follows magic byte and schema
 * id; for Protobuf the message-index list and then the payload) written with `schemaId`.
 *
 * The value returned has exactly the shape avsc gives when decoding the reader's Avro image
 * with `wrapUnions: true` and longs as bigint: a record is an object keyed by field name;
 * int/float/double are numbers (int within int32); long is a bigint; bytes and fixed are
 * Buffers; enum is the symbol string; array is an array; map is a plain object; a nullable
 * union value is null or `{[branchTypeName]: value}` (branch name: `long`, `string`, `array`,
 * `map`, or a named type's full name); timestamp-micros etc. are bigints of their unit.
 * Anything that does not fit the image must come back as a BodyProblem, never as a
 * wrongly typed value (the column writers trust the shape).
 */
export interface FramedBodyReader {
  read(schemaId: number, body: Buffer): unknown | BodyProblem;
}

export interface TypedFormat {
  /**
   * The Avro image of a schema (event loop, once per new version; and each worker, once per
   * task). Throws (preferably AvroMappingError) when the schema cannot be columns, e.g. a
   * recursive type. Must be deterministic: the same text gives the same image.
   */
  avroImage(text: SchemaText): AvroSchemaText;
  /**
   * A reader that decodes values written with any of `schemas` (the subject's versions, by
   * id) into the shape of `schemas[readerSchemaId]`'s image. Throws when the reader schema
   * cannot be used at all.
   */
  bodyReader(readerSchemaId: number, schemas: Record<number, SchemaText>): FramedBodyReader;
}
