/** Shared by the schema-registry unit tests: parsing a schema text the way the registry does. */
import { HANDLERS } from '../../../src/schema-registry/compatibility.js';
import type { ResolvedSchema, SchemaType } from '../../../src/schema-registry/types.js';

export function resolved(schemaType: SchemaType, schema: unknown, dependencies = new Map<string, ResolvedSchema>()): ResolvedSchema {
  return { schemaType, schema: typeof schema === 'string' ? schema : JSON.stringify(schema), references: [], dependencies };
}

export function parse(schemaType: SchemaType, schema: unknown, dependencies?: Map<string, ResolvedSchema>): unknown {
  return HANDLERS[schemaType].parse(resolved(schemaType, schema, dependencies));
}

/** Issues found when a reader schema reads data written with a writer schema. */
export function readerIssues(schemaType: SchemaType, reader: unknown, writer: unknown): string[] {
  return HANDLERS[schemaType].readerIssues(parse(schemaType, reader), parse(schemaType, writer));
}
