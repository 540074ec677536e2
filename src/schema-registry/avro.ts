/**
 * Avro schemas via avsc. Compatibility is Avro's own schema resolution: avsc's
 * createResolver(writer) succeeds exactly when the reader type can decode what the writer
 * type wrote (fields added with defaults, promotions int->long->float->double, enum symbols,
 * union branches, matching names or aliases), so no rule is re-implemented here. Resolution
 * ignores logical types, so on top of it the pairs it makes must keep their logical types
 * (avro-logical-types.ts): decimal(10,2) read as decimal(10,4) resolves but rescales.
 *
 * References: each referenced schema defines named types that the referencing schema uses by
 * full name; they are parsed first into one avsc registry, dependencies before dependents.
 */
import avro from 'avsc';
import { avroParseOptions } from './avro-long.js';
import { type AvroSchemaJson, collectNamedTypes, logicalTypeIssues } from './avro-logical-types.js';
import { parseJsonText, sortedJson, type SchemaHandler } from './schema-handler.js';
import type { ResolvedSchema } from './types.js';

type AvroType = ReturnType<typeof avro.Type.forSchema>;

function parseInto(schema: ResolvedSchema, registry: Record<string, AvroType>, named: Map<string, Record<string, unknown>>, done: Set<ResolvedSchema>): AvroSchemaJson {
  for (const dep of schema.dependencies.values()) {
    if (!done.has(dep)) {
      done.add(dep);
      parseInto(dep, registry, named, done);
    }
  }
  const json = parseJsonText(schema.schema, 'Avro schema');
  const type = avro.Type.forSchema(json as avro.Schema, avroParseOptions(registry));
  collectNamedTypes(type, json, named);
  return { type, json, named };
}

export const avroHandler: SchemaHandler<AvroSchemaJson> = {
  parse(schema) {
    try {
      return parseInto(schema, {}, new Map(), new Set());
    } catch (err) {
      throw new Error(`Invalid Avro schema: ${(err as Error).message}`);
    }
  },
  canonical(schema, normalize) {
    const json = parseJsonText(schema, 'Avro schema');
    return normalize ? sortedJson(json) : JSON.stringify(json);
  },
  readerIssues(reader, writer) {
    try {
      reader.type.createResolver(writer.type);
    } catch (err) {
      return [`reader schema cannot read data written with the writer schema: ${(err as Error).message}`];
    }
    return logicalTypeIssues(reader, writer).map((issue) => `reader schema cannot read data written with the writer schema: ${issue}`);
  },
};
