/**
 * Avro schemas via avsc. Compatibility is Avro's own schema resolution: avsc's
 * createResolver(writer) succeeds exactly when the reader type can decode what the writer
 * type wrote (fields added with defaults, promotions int->long->float->double, enum symbols,
 * union branches, matching names or aliases), so no rule is re-implemented here.
 *
 * References: each referenced schema defines named types that the referencing schema uses by
 * full name; they are parsed first into one avsc registry, dependencies before dependents.
 */
import avro from 'avsc';
import { avroParseOptions } from './avro-long.js';
import { parseJsonText, sortedJson, type SchemaHandler } from './schema-handler.js';
import type { ResolvedSchema } from './types.js';

type AvroType = ReturnType<typeof avro.Type.forSchema>;

function parseInto(schema: ResolvedSchema, registry: Record<string, AvroType>, done: Set<ResolvedSchema>): AvroType {
  for (const dep of schema.dependencies.values()) {
    if (!done.has(dep)) {
      done.add(dep);
      parseInto(dep, registry, done);
    }
  }
  const json = parseJsonText(schema.schema, 'Avro schema');
  return avro.Type.forSchema(json as avro.Schema, avroParseOptions(registry));
}

export const avroHandler: SchemaHandler<AvroType> = {
  parse(schema) {
    try {
      return parseInto(schema, {}, new Set());
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
      reader.createResolver(writer);
      return [];
    } catch (err) {
      return [`reader schema cannot read data written with the writer schema: ${(err as Error).message}`];
    }
  },
};
