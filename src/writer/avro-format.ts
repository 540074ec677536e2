/**
 * Avro as a TypedFormat: its image is itself, and values are decoded with avsc. Each writer
 * schema id gets an avsc resolver to the reader schema on first use, so a record written with
 * any compatible version decodes into the reader's shape (added fields take their defaults,
 * int widens to long, float to double). A writer version that resolves only by changing what
 * a value means (decimal(10,2) read as decimal(10,4), timestamp-millis as timestamp-micros)
 * is refused like one that does not resolve: its records become bad records with the reason.
 */
import avro from 'avsc';
import { MAX_AVRO_VALUE_BYTES, zeroWidthItems } from '../schema-registry/avro-item-width.js';
import { avroParseOptions } from '../schema-registry/avro-long.js';
import { type AvroSchemaJson, collectNamedTypes, logicalTypeIssues } from '../schema-registry/avro-logical-types.js';
import { withOwnKeyMaps } from './avro-maps.js';
import type { AvroSchemaText } from './avro-schema.js';
import { describeError } from './errors.js';
import { BodyProblem, type FramedBodyReader, type SchemaText, type TypedFormat } from './typed-format.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

function imageOf(text: SchemaText): AvroSchemaText {
  return { schema: text.schema, references: text.references.map((r) => r.schema) };
}

/** avsc type of a schema text, with its JSON; references are parsed first into the same registry. */
function parseAvro(text: AvroSchemaText): AvroSchemaJson {
  // withOwnKeyMaps: a map key "__proto__" is an entry like any other (avro-maps.ts).
  const options = withOwnKeyMaps({ ...avroParseOptions(), wrapUnions: true } as const);
  const named = new Map<string, Record<string, unknown>>();
  const parse = (schema: string) => {
    const json: unknown = JSON.parse(schema);
    const type = avro.Type.forSchema(json as avro.Schema, options);
    collectNamedTypes(type, json, named);
    return { type, json, named };
  };
  for (const reference of text.references) parse(reference);
  return parse(text.schema);
}

class AvroBodyReader implements FramedBodyReader {
  private readonly reader: AvroSchemaJson;
  private readonly resolvers = new Map<number, Resolver | BodyProblem>();

  constructor(
    private readonly readerSchemaId: number,
    private readonly schemas: Record<number, SchemaText>,
  ) {
    this.reader = parseAvro(imageOf(schemas[readerSchemaId]));
  }

  private resolver(schemaId: number): Resolver | BodyProblem {
    let resolver = this.resolvers.get(schemaId);
    if (resolver === undefined) {
      const text = this.schemas[schemaId];
      if (!text) resolver = new BodyProblem(`schema id ${schemaId} is not a version of the topic's subject`);
      else if (text.schemaType !== 'AVRO') resolver = new BodyProblem(`schema id ${schemaId} is a ${text.schemaType} schema, not Avro`);
      else {
        try {
          const writer = parseAvro(imageOf(text));
          if (zeroWidthItems(writer.type)) {
            resolver = new BodyProblem(`schema ${schemaId} has an array or map whose items take no bytes; its values are not decoded (a few bytes could claim billions of items)`);
          } else {
            const resolved = this.reader.type.createResolver(writer.type);
            // Resolves, but would change what values mean: refused like a schema that does not.
            const meaningChanges = logicalTypeIssues(this.reader, writer);
            if (meaningChanges.length > 0) throw new Error(meaningChanges.join('; '));
            resolver = resolved;
          }
        } catch (err) {
          resolver = new BodyProblem(`schema ${schemaId} cannot be read as the table's schema ${this.readerSchemaId}: ${describeError(err, 300)}`);
        }
      }
      this.resolvers.set(schemaId, resolver);
    }
    return resolver;
  }

  read(schemaId: number, body: Buffer): unknown {
    if (body.length > MAX_AVRO_VALUE_BYTES) return new BodyProblem(`Avro value of ${body.length} bytes is larger than the ${MAX_AVRO_VALUE_BYTES} bytes lakegate decodes`);
    const resolver = this.resolver(schemaId);
    if (resolver instanceof BodyProblem) return resolver;
    try {
      // Refuses truncated payloads and bytes left after the value.
      return this.reader.type.fromBuffer(body, resolver, false);
    } catch (err) {
      return new BodyProblem(`value does not decode as Avro: ${describeError(err, 300)}`);
    }
  }
}

export const avroFormat: TypedFormat = {
  avroImage: imageOf,
  bodyReader: (readerSchemaId, schemas) => new AvroBodyReader(readerSchemaId, schemas),
};
