/** The registry's vocabulary, shared by the store, the schema-type modules and the HTTP plugin. */

export const SCHEMA_TYPES = ['AVRO', 'PROTOBUF', 'JSON'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];
export const DEFAULT_MODE: Mode = 'READWRITE';

/** A schema's reference to another registered schema, as Confluent spells it. */
export interface SchemaReference {
  /** Avro: the full name of the referenced type; JSON: the $ref URL; Protobuf: the import path. */
  name: string;
  subject: string;
  version: number;
}

/** A schema's content, identified by its id; the same content always has the same id. */
export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** One version of a subject: which schema it holds and whether it is soft-deleted. */
export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

/** A schema's content with what it references already resolved, ready to parse. */
export interface ResolvedSchema {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  /** The schemas it references directly, by reference name (each with its own dependencies). */
  dependencies: Map<string, ResolvedSchema>;
}
