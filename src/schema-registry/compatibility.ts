/**
 * Compatibility levels built from one question each schema type answers (can a reader schema
 * read data written with a writer schema?): BACKWARD = the new schema reads the old one,
 * FORWARD = the old reads the new, FULL = both; the _TRANSITIVE forms check every live
 * version, the others only the latest. A change of schema type is always incompatible.
 */
import { avroHandler } from './avro.js';
import { jsonSchemaHandler } from './json-schema.js';
import { protobufHandler } from './protobuf.js';
import type { SchemaHandler } from './schema-handler.js';
import type { CompatibilityLevel, SchemaType } from './types.js';

export const HANDLERS: Record<SchemaType, SchemaHandler> = {
  AVRO: avroHandler as SchemaHandler,
  JSON: jsonSchemaHandler as SchemaHandler,
  PROTOBUF: protobufHandler as SchemaHandler,
};

export interface ParsedSchema {
  schemaType: SchemaType;
  parsed: unknown;
}

export interface ParsedVersion extends ParsedSchema {
  version: number;
}

/**
 * Why `candidate` may not follow `existing` (the subject's live versions, oldest first) under
 * `level`; empty when it may.
 */
export function compatibilityIssues(level: CompatibilityLevel, candidate: ParsedSchema, existing: ParsedVersion[]): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const issues: string[] = [];
  for (const old of against) {
    if (old.schemaType !== candidate.schemaType) {
      issues.push(`version ${old.version}: schema type changed from ${old.schemaType} to ${candidate.schemaType}`);
      continue;
    }
    const handler = HANDLERS[candidate.schemaType];
    if (backward) for (const m of handler.readerIssues(candidate.parsed, old.parsed)) issues.push(`version ${old.version} (new schema reading old data): ${m}`);
    if (forward) for (const m of handler.readerIssues(old.parsed, candidate.parsed)) issues.push(`version ${old.version} (old schema reading new data): ${m}`);
  }
  return issues;
}
