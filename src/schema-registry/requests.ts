/**
 * Request bodies and path values of the Confluent API, checked into typed values; anything
 * malformed becomes a RegistryError with Confluent's code rather than an exception later.
 */
import { RegistryError, invalidCompatibilityLevel, invalidMode, invalidSchema, invalidVersion } from './errors.js';
import { COMPATIBILITY_LEVELS, MODES, SCHEMA_TYPES, type CompatibilityLevel, type Mode, type SchemaType } from './types.js';

/** A reference as sent: version -1 means the referenced subject's latest version. */
export interface ReferenceRequest {
  name: string;
  subject: string;
  version: number;
}

export interface SchemaRequest {
  schema: string;
  schemaType: SchemaType;
  references: ReferenceRequest[];
  /** IMPORT mode only: the id and version to register under. */
  id?: number;
  version?: number;
}

export type VersionSpec = number | 'latest';

const INT32_MAX = 2 ** 31 - 1;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseSchemaRequest(body: unknown): SchemaRequest {
  if (!isObject(body)) throw new RegistryError(422, 422, 'Request body must be a JSON object with a "schema" field');
  const { schema, schemaType = 'AVRO', references = [], id, version } = body;
  if (typeof schema !== 'string' || schema.trim() === '') throw invalidSchema('Empty schema');
  if (typeof schemaType !== 'string' || !SCHEMA_TYPES.includes(schemaType.toUpperCase() as SchemaType)) {
    throw invalidSchema(`Invalid schema type ${JSON.stringify(schemaType)}; valid types are ${SCHEMA_TYPES.join(', ')}`);
  }
  if (!Array.isArray(references)) throw invalidSchema('references must be an array');
  const refs = references.map((r, i) => {
    if (!isObject(r) || typeof r.name !== 'string' || r.name === '' || typeof r.subject !== 'string' || r.subject === '') {
      throw invalidSchema(`reference ${i} needs a non-empty name and subject`);
    }
    const v = r.version;
    if (typeof v !== 'number' || !Number.isInteger(v) || (v < 1 && v !== -1) || v > INT32_MAX) {
      throw invalidSchema(`reference ${r.name}: version must be a positive integer or -1 (latest)`);
    }
    return { name: r.name, subject: r.subject, version: v };
  });
  const names = new Set(refs.map((r) => r.name));
  if (names.size !== refs.length) throw invalidSchema('reference names must be unique');
  const request: SchemaRequest = { schema, schemaType: schemaType.toUpperCase() as SchemaType, references: refs };
  if (id !== undefined && id !== null && id !== -1 && id !== 0) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > INT32_MAX) throw new RegistryError(422, 422, 'id must be a positive integer');
    request.id = id;
  }
  if (version !== undefined && version !== null && version !== -1 && version !== 0) {
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > INT32_MAX) throw invalidVersion(String(version));
    request.version = version;
  }
  return request;
}

/** A version path segment: "latest", -1 (also latest) or 1..2^31-1. */
export function parseVersion(raw: string): VersionSpec {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(raw)) throw invalidVersion(raw);
  const n = Number(raw);
  if (n < 1 || n > INT32_MAX) throw invalidVersion(raw);
  return n;
}

/** A schema id path segment; anything else is no schema. */
export function parseSchemaId(raw: string): number {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > INT32_MAX) {
    throw new RegistryError(404, 40403, `Schema ${raw} not found`);
  }
  return Number(raw);
}

export function parseCompatibilityBody(body: unknown): CompatibilityLevel {
  const value = isObject(body) ? body.compatibility ?? body.compatibilityLevel : undefined;
  if (typeof value !== 'string') throw invalidCompatibilityLevel();
  const level = value.toUpperCase();
  if (!COMPATIBILITY_LEVELS.includes(level as CompatibilityLevel)) throw invalidCompatibilityLevel();
  return level as CompatibilityLevel;
}

export function parseModeBody(body: unknown): Mode {
  const value = isObject(body) ? body.mode : undefined;
  if (typeof value !== 'string') throw invalidMode();
  const mode = value.toUpperCase();
  if (!MODES.includes(mode as Mode)) throw invalidMode();
  return mode as Mode;
}

/** Confluent refuses subjects that are empty or hold control characters. */
export function checkSubjectName(subject: string): void {
  // eslint-disable-next-line no-control-regex
  if (subject.length === 0 || subject.length > 255 || /[\u0000-\u001f\u007f]/.test(subject)) {
    throw new RegistryError(422, 42208, `Invalid subject ${JSON.stringify(subject)}`);
  }
}

/** Query flags arrive as strings; Confluent accepts true/false in any case. */
export function flag(value: unknown): boolean {
  return typeof value === 'string' && value.toLowerCase() === 'true';
}
