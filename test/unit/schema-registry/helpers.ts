/** Shared by the schema-registry unit tests: parsing a schema text the way the registry does, and a journal in memory. */
import { HANDLERS } from '../../../src/schema-registry/compatibility.js';
import type { RegistryEvent, RegistryJournal } from '../../../src/schema-registry/events.js';
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

/** Keeps events in an array: the registry's semantics without a log (the log journal is covered by the integration test). */
export class ArrayJournal implements RegistryJournal {
  readonly events: RegistryEvent[] = [];
  async append(events: RegistryEvent[]): Promise<void> {
    this.events.push(...structuredClone(events));
  }
  async *replay(): AsyncIterable<RegistryEvent> {
    yield* this.events;
  }
}
