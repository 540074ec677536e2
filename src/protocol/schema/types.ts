/**
 * The declarative vocabulary in which every API message is described once, for all of its
 * versions, in the spirit of Kafka's own JSON message specs. src/protocol/messages/ holds the
 * descriptions; schema/codec.ts is the single interpreter that encodes and decodes them.
 */
import { parseVersions, type VersionRange } from './versions.js';

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'float64'
  | 'uuid'
  | 'string'
  | 'bytes'
  /** Record batches: nullable bytes on the wire, kept as an untouched Buffer slice. */
  | 'records';

export type FieldType =
  | { kind: 'primitive'; type: PrimitiveType }
  | { kind: 'array'; of: FieldType }
  | { kind: 'struct'; struct: StructSchema };

export interface Field {
  /** camelCase property name of the decoded JS object. */
  name: string;
  type: FieldType;
  versions: VersionRange;
  nullable: VersionRange | null;
  /** Tagged fields live in the struct's tagged-field block (flexible versions only). */
  tag: number | null;
  default: unknown;
}

export interface StructSchema {
  fields: Field[];
}

export interface ApiSchema {
  apiKey: number;
  name: string;
  /** Versions lakegate answers. */
  versions: VersionRange;
  /** First flexible version (compact encodings, tagged fields, header v2/v1). */
  flexibleFrom: number;
  request: StructSchema;
  response: StructSchema;
}

export interface FieldOptions {
  nullable?: string;
  tag?: number;
  default?: unknown;
}

function makeField(name: string, type: FieldType, versions: string, opts: FieldOptions = {}): Field {
  return {
    name,
    type,
    versions: parseVersions(versions),
    nullable: opts.nullable === undefined ? null : parseVersions(opts.nullable),
    tag: opts.tag ?? null,
    default: opts.default,
  };
}

const primitive =
  (type: PrimitiveType) =>
  (name: string, versions: string, opts?: FieldOptions): Field =>
    makeField(name, { kind: 'primitive', type }, versions, opts);

export const struct = (...fields: Field[]): StructSchema => ({ fields });

/** Field constructors; read `f.int32('partitionIndex', '0+')` as the JSON spec's line. */
export const f = {
  bool: primitive('bool'),
  int8: primitive('int8'),
  int16: primitive('int16'),
  int32: primitive('int32'),
  int64: primitive('int64'),
  uint16: primitive('uint16'),
  float64: primitive('float64'),
  uuid: primitive('uuid'),
  string: primitive('string'),
  bytes: primitive('bytes'),
  records: primitive('records'),
  struct: (name: string, versions: string, s: StructSchema, opts?: FieldOptions): Field =>
    makeField(name, { kind: 'struct', struct: s }, versions, opts),
  array: (name: string, versions: string, of: StructSchema | PrimitiveType, opts?: FieldOptions): Field =>
    makeField(
      name,
      {
        kind: 'array',
        of: typeof of === 'string' ? { kind: 'primitive', type: of } : { kind: 'struct', struct: of },
      },
      versions,
      opts,
    ),
};

export function defineApi(api: {
  apiKey: number;
  name: string;
  versions: string;
  flexibleFrom: number | null;
  request: StructSchema;
  response: StructSchema;
}): ApiSchema {
  return {
    ...api,
    versions: parseVersions(api.versions),
    flexibleFrom: api.flexibleFrom ?? Number.MAX_SAFE_INTEGER,
  };
}
