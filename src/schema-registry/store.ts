/**
 * The read side of a schema registry, as the rest of lakegate needs it (the worker pool
 * decoding Confluent-framed records by schema id). The built-in registry implements it; an
 * external registry (--schema-registry-url) will implement the same interface, which is why
 * every method is asynchronous.
 */
import type { ResolvedSchema, StoredSchema, SubjectVersion } from './types.js';

export interface SchemaVersionInfo extends SubjectVersion {
  schema: StoredSchema;
}

export interface SchemaStore {
  /**
   * The schema with this id, or undefined when no such id was ever handed out. Unlike the
   * HTTP API (40403 once every version holding it is hard-deleted), content stays readable
   * here: records written with the id may still sit in the log and must remain decodable.
   */
  getById(id: number): Promise<StoredSchema | undefined>;
  /** A live version of a subject ('latest': the highest), or undefined. */
  getVersion(subject: string, version: number | 'latest'): Promise<SchemaVersionInfo | undefined>;
  /**
   * Ids of the schemas the subject's versions hold, soft-deleted versions included (a
   * producer may still be writing with one); hard-deleted versions are gone. Empty when the
   * subject has no versions.
   */
  subjectSchemaIds(subject: string): Promise<number[]>;
  /** The schema with its references resolved, ready for a schema-type parser. */
  resolve(schema: StoredSchema): Promise<ResolvedSchema>;
}
