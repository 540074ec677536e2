/**
 * What the registry needs from a schema type (one module each: avro.ts, json-schema.ts,
 * protobuf.ts): parsing with references resolved, the form identical registrations are
 * recognised by, and the reader-can-read-writer test that every compatibility level is
 * built from (BACKWARD: new reads old, FORWARD: old reads new, FULL: both).
 */
import type { ResolvedSchema } from './types.js';

export interface SchemaHandler<Parsed = unknown> {
  /** Parses the schema (references resolved); throws an Error whose message says why it is invalid. */
  parse(schema: ResolvedSchema): Parsed;
  /**
   * The text stored and compared for identity: insignificant whitespace removed; with
   * normalize, also an order-independent form (object keys sorted, proto comments dropped).
   */
  canonical(schema: string, normalize: boolean): string;
  /** Why data written with `writer` cannot be read with `reader`; empty when it can. */
  readerIssues(reader: Parsed, writer: Parsed): string[];
}

/** JSON with object keys sorted at every level, so key order does not change identity. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    // fromEntries defines own properties: `out[key] = ...` would turn a "__proto__" key into the
    // prototype, and two schemas differing only there would get one identity.
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** JSON.parse with the registry's error wording. */
export function parseJsonText(schema: string, what: string): unknown {
  try {
    return JSON.parse(schema);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
