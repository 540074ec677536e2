/**
 * Protobuf as a TypedFormat. The table holds the schema's first top-level message (Confluent's
 * message index [0]); its Avro image is a record with one nullable field per Protobuf field,
 * named as written in the .proto (Iceberg value columns are optional, and proto3 fields may
 * be absent).
 *
 * Mapping (also in the README):
 *   double -> double, float -> float, int32/sint32/sfixed32 -> int,
 *   int64/sint64/sfixed64 -> long, uint32/fixed32 -> long, uint64/fixed64 -> long (a value
 *   above 2^63-1 is a bad record), bool -> boolean, string -> string, bytes -> bytes,
 *   enum -> string (the value's name; an unknown number, which proto3 keeps, as its decimal
 *   digits: an Avro enum could not hold it and the record would be lost),
 *   message -> record named by its full Protobuf name, repeated T -> array of T,
 *   map<K, V> -> map of V (keys as strings: String() of int and bool keys),
 *   oneof members and proto3 `optional` fields -> ordinary nullable fields (at most one
 *   member of a oneof is set), google.protobuf.Timestamp -> long timestamp-micros,
 *   google.protobuf.Duration -> long (microseconds; nanoseconds below a microsecond dropped),
 *   google.protobuf.*Value wrappers -> their primitive as above (null when unset),
 *   google.protobuf.Struct / Value / ListValue -> string holding the JSON they stand for.
 *   Other messages, well-known or not (Any, FieldMask, google.type.Date), are records of their
 *   fields. Recursive messages and messages without fields cannot be columns
 *   (AvroMappingError). Extensions are not columns.
 *
 * Values: a field with presence (message, oneof member, proto3 `optional`, every proto2
 * singular field) is null when absent; a proto3 scalar without presence takes its default
 * (0, "", false, empty bytes, the enum's first value), as every Protobuf reader sees it;
 * repeated fields and maps are empty when absent.
 *
 * Protobuf evolves by field number, so a value is decoded with the reader's message of the
 * same full name, whichever version wrote it: fields the writer did not know are absent
 * (null or default), fields the reader does not know are skipped.
 */
import protobuf from 'protobufjs';
import { wireTypeProblem } from '../record-validation/protobuf-wire-types.js';
import { RecordProblem, readMessageIndexes } from '../record-validation/wire-format.js';
import { MAX_AVRO_VALUE_BYTES } from '../schema-registry/avro-item-width.js';
import { protobufHandler } from '../schema-registry/protobuf.js';
import type { ResolvedSchema } from '../schema-registry/types.js';
import { AvroMappingError, type AvroSchemaText } from './avro-schema.js';
import { describeError } from './errors.js';
import { setOwn } from './own-property.js';
import { BodyProblem, type FramedBodyReader, type SchemaText, type TypedFormat } from './typed-format.js';

/** Decoding allocates a JS value per item, as Avro's does: the same bound on value size. */
export const MAX_PROTOBUF_VALUE_BYTES = MAX_AVRO_VALUE_BYTES;

const MAX_LONG = 2n ** 63n - 1n;
const MIN_LONG = -(2n ** 63n);

type AvroPrimitive = 'int' | 'long' | 'float' | 'double' | 'boolean' | 'string' | 'bytes';

const SCALARS: Record<string, AvroPrimitive> = {
  double: 'double',
  float: 'float',
  int32: 'int',
  sint32: 'int',
  sfixed32: 'int',
  int64: 'long',
  sint64: 'long',
  sfixed64: 'long',
  uint32: 'long',
  fixed32: 'long',
  uint64: 'long',
  fixed64: 'long',
  bool: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

/** The wrappers' `value` field type, by the wrapper's full name. */
const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

const JSON_TYPES = new Set(['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue']);

/** What one (non-repeated) value of a field is, as far as columns are concerned. */
type ValueKind =
  | { kind: 'scalar'; type: string }
  | { kind: 'enum'; enum: protobuf.Enum }
  | { kind: 'timestamp'; type: protobuf.Type }
  | { kind: 'duration'; type: protobuf.Type }
  | { kind: 'wrapper'; type: string }
  | { kind: 'json'; type: protobuf.Type }
  | { kind: 'message'; type: protobuf.Type };

function valueKind(field: protobuf.Field): ValueKind {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return { kind: 'enum', enum: resolved };
  if (!(resolved instanceof protobuf.Type)) return { kind: 'scalar', type: field.type };
  const name = resolved.fullName;
  if (name === '.google.protobuf.Timestamp') return { kind: 'timestamp', type: resolved };
  if (name === '.google.protobuf.Duration') return { kind: 'duration', type: resolved };
  if (WRAPPERS[name]) return { kind: 'wrapper', type: WRAPPERS[name] };
  if (JSON_TYPES.has(name)) return { kind: 'json', type: resolved };
  return { kind: 'message', type: resolved };
}

/** The fields that are columns: extensions (named `.pkg.field` by protobufjs) are not. */
function dataFields(type: protobuf.Type): protobuf.Field[] {
  return type.fieldsArray.filter((f) => !f.declaringField && !f.name.startsWith('.'));
}

/** Whether an absent field reads as null (it has presence) rather than as its default. */
function hasPresence(field: protobuf.Field): boolean {
  if (field.repeated || field.map) return false;
  // protobufjs reports message fields of proto3 files as implicit; messages always have presence.
  return Boolean(field.hasPresence) || field.resolvedType instanceof protobuf.Type;
}

function avroName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

/* ---------------------------------------------------------------- parsing */

/** The references are flattened: any file may import any of them by name. */
function resolvedOf(text: SchemaText): ResolvedSchema {
  const dependencies = new Map<string, ResolvedSchema>();
  for (const r of text.references) dependencies.set(r.name, { schemaType: 'PROTOBUF', schema: r.schema, references: [], dependencies });
  return { schemaType: 'PROTOBUF', schema: text.schema, references: [], dependencies };
}

/** The file's top-level messages in declaration order (the registry's parser, imports resolved). */
function topLevelMessages(text: SchemaText): protobuf.Type[] {
  if (text.schemaType !== 'PROTOBUF') throw new Error(`a ${text.schemaType} schema is not Protobuf`);
  const { messages } = protobufHandler.parse(resolvedOf(text));
  return [...messages.values()].filter((t) => !(t.parent instanceof protobuf.Type));
}

/* ---------------------------------------------------------------- the image */

type Json = unknown;

class ImageBuilder {
  private readonly defined = new Set<string>();
  private readonly visiting = new Set<string>();

  /**
   * A record definition the first time, a reference by full name after that (Avro names are
   * defined once). A message of a file without a package has a name without dots; a reference
   * to it from inside a nested message is resolved by avro-schema.ts (which falls back to the
   * bare name) but not by strict Avro parsers, which would look in the enclosing namespace.
   */
  record(type: protobuf.Type): Json {
    const name = avroName(type);
    if (this.visiting.has(name)) throw new AvroMappingError(`recursive Protobuf message ${name} cannot be a column`);
    if (this.defined.has(name)) return name;
    const fields = dataFields(type);
    if (fields.length === 0) throw new AvroMappingError(`Protobuf message ${name} has no fields, which no Parquet column can hold`);
    this.visiting.add(name);
    try {
      return {
        type: 'record',
        name,
        // A name without dots would otherwise land in the enclosing record's namespace.
        ...(name.includes('.') ? {} : { namespace: '' }),
        fields: fields.map((f) => ({ name: f.name, type: ['null', this.field(f)], default: null })),
      };
    } finally {
      this.visiting.delete(name);
      this.defined.add(name);
    }
  }

  private field(field: protobuf.Field): Json {
    const value = this.value(valueKind(field));
    if (field.map) return { type: 'map', values: value };
    if (field.repeated) return { type: 'array', items: value };
    return value;
  }

  private value(kind: ValueKind): Json {
    switch (kind.kind) {
      case 'scalar':
        return SCALARS[kind.type];
      case 'enum':
      case 'json':
        return 'string';
      case 'timestamp':
        return { type: 'long', logicalType: 'timestamp-micros' };
      case 'duration':
        return 'long';
      case 'wrapper':
        return SCALARS[kind.type];
      case 'message':
        return this.record(kind.type);
    }
  }
}

function imageOf(text: SchemaText): AvroSchemaText {
  const [root] = topLevelMessages(text);
  return { schema: JSON.stringify(new ImageBuilder().record(root)), references: [] };
}

/* ---------------------------------------------------------------- values */

/** A decoded value that does not fit its column (the reason names the field). */
class ValueProblem extends Error {}

type Convert = (raw: unknown) => unknown;

/** A protobufjs Long ({low, high}) or number as an exact bigint. */
function bigintOf(v: unknown, unsigned: boolean, path: string): bigint {
  if (typeof v === 'number') {
    // Only without the long package does protobufjs give numbers, rounded past 2^53.
    if (!Number.isSafeInteger(v)) throw new ValueProblem(`${path}: 64-bit value ${v} was not decoded exactly`);
    return BigInt(v);
  }
  const { low, high } = v as { low: number; high: number };
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

function bufferOf(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return Buffer.from(v as number[]);
}

/** Converts an absent (undefined) scalar to the type's default, as proto3 readers see it. */
function scalarConvert(type: string, path: string): Convert {
  switch (type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return (v) => (v === undefined ? 0n : bigintOf(v, false, path));
    case 'uint64':
    case 'fixed64':
      return (v) => {
        const n = v === undefined ? 0n : bigintOf(v, true, path);
        if (n > MAX_LONG) throw new ValueProblem(`${path}: ${type} value ${n} is above the long column's maximum 2^63-1`);
        return n;
      };
    case 'uint32':
    case 'fixed32':
      return (v) => BigInt(((v as number | undefined) ?? 0) >>> 0);
    case 'bool':
      return (v) => v === true;
    case 'string':
      return (v) => (v as string | undefined) ?? '';
    case 'bytes':
      return (v) => (v === undefined ? Buffer.alloc(0) : bufferOf(v));
    default:
      return (v) => (v as number | undefined) ?? 0;
  }
}

function enumConvert(e: protobuf.Enum): Convert {
  // The first name declared for a number (aliases share numbers).
  const names = new Map<number, string>();
  for (const [name, id] of Object.entries(e.values)) if (!names.has(id)) names.set(id, name);
  const first = Object.values(e.values)[0] ?? 0;
  return (v) => {
    const n = (v as number | undefined) ?? first;
    return names.get(n) ?? String(n);
  };
}

/** A message's field value by field number, so it works whatever case the field names are in. */
function byId(type: protobuf.Type, id: number): (msg: Record<string, unknown>) => unknown {
  const name = type.fieldsById[id]?.name;
  return (msg) => (name !== undefined && Object.hasOwn(msg, name) ? msg[name] : undefined);
}

/** seconds and nanos (Timestamp, Duration) as microseconds, inside the long range. */
function microsConvert(type: protobuf.Type, path: string, round: (micros: number) => number): Convert {
  const seconds = byId(type, 1);
  const nanos = byId(type, 2);
  return (raw) => {
    const msg = raw as Record<string, unknown>;
    const s = seconds(msg);
    const micros = (s === undefined ? 0n : bigintOf(s, false, path)) * 1_000_000n + BigInt(round(((nanos(msg) as number | undefined) ?? 0) / 1000));
    if (micros > MAX_LONG || micros < MIN_LONG) throw new ValueProblem(`${path}: ${micros} microseconds is out of the long range`);
    return micros;
  };
}

/** google.protobuf.Struct / Value / ListValue as the JSON they stand for. */
function jsonConvert(type: protobuf.Type): Convert {
  const root = type.root;
  const struct = root.lookupType('.google.protobuf.Struct');
  const value = root.lookupType('.google.protobuf.Value');
  const list = root.lookupType('.google.protobuf.ListValue');
  const structFields = byId(struct, 1);
  const [, numberOf, stringOf, boolOf, structOf, listOf] = [1, 2, 3, 4, 5, 6].map((id) => byId(value, id));
  const listValues = byId(list, 1);
  const fromStruct = (s: Record<string, unknown>): unknown => {
    // No prototype, so no key of the value can reach one.
    const out: Record<string, unknown> = Object.create(null);
    const fields = (structFields(s) ?? {}) as Record<string, Record<string, unknown> | null>;
    for (const key of Object.keys(fields)) out[key] = fromValue(fields[key]);
    return out;
  };
  const fromList = (l: Record<string, unknown>): unknown => ((listValues(l) ?? []) as Array<Record<string, unknown>>).map(fromValue);
  const fromValue = (v: Record<string, unknown> | null): unknown => {
    if (!v) return null;
    for (const read of [numberOf, stringOf, boolOf]) {
      const x = read(v);
      if (x !== undefined) return x;
    }
    const s = structOf(v);
    if (s !== undefined) return fromStruct(s as Record<string, unknown>);
    const l = listOf(v);
    if (l !== undefined) return fromList(l as Record<string, unknown>);
    return null; // null_value, or no kind set
  };
  const name = type.fullName;
  const from = name === '.google.protobuf.Struct' ? fromStruct : name === '.google.protobuf.ListValue' ? fromList : fromValue;
  return (raw) => JSON.stringify(from((raw ?? {}) as Record<string, unknown>) ?? null);
}

/** The Avro branch name avsc wraps a nullable field's value in. */
function branchOf(field: protobuf.Field, kind: ValueKind): string {
  if (field.map) return 'map';
  if (field.repeated) return 'array';
  switch (kind.kind) {
    case 'scalar':
      return SCALARS[kind.type];
    case 'wrapper':
      return SCALARS[kind.type];
    case 'enum':
    case 'json':
      return 'string';
    case 'timestamp':
    case 'duration':
      return 'long';
    case 'message':
      return avroName(kind.type);
  }
}

/** Whether each 64-bit key type is unsigned. */
const LONG_KEYS: Record<string, boolean> = { int64: false, sint64: false, sfixed64: false, uint64: true, fixed64: true };

/**
 * A map key as protobufjs gives it to the string the column holds: protobufjs keys 64-bit
 * keys by an 8-character hash of their bits, the others by String() of the value.
 */
function mapKeyConvert(keyType: string): (key: string) => string {
  const unsigned = LONG_KEYS[keyType];
  if (unsigned === undefined) return (key) => key;
  return (key) => {
    const bits = protobuf.util.LongBits.fromHash(key);
    return bigintOf({ low: bits.lo, high: bits.hi }, unsigned, keyType).toString();
  };
}

class ConverterBuilder {
  private readonly messages = new Map<protobuf.Type, Convert>();

  /** A decoded message (or undefined: absent, all defaults) to the record object of its image. */
  message(type: protobuf.Type): Convert {
    let convert = this.messages.get(type);
    if (!convert) {
      const fields = dataFields(type).map((f) => ({ name: f.name, read: this.field(f, `${avroName(type)}.${f.name}`) }));
      convert = (raw) => {
        const msg = (raw ?? {}) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = f.read(msg);
        return out;
      };
      this.messages.set(type, convert);
    }
    return convert;
  }

  private field(field: protobuf.Field, path: string): (msg: Record<string, unknown>) => unknown {
    const kind = valueKind(field);
    const branch = branchOf(field, kind);
    const value = this.value(kind, path);
    const name = field.name;
    const own = (msg: Record<string, unknown>) => (Object.hasOwn(msg, name) ? msg[name] : undefined);
    if (field.map) {
      const keyOf = mapKeyConvert((field as unknown as protobuf.MapField).keyType);
      return (msg) => {
        const raw = (own(msg) ?? {}) as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        // A message value absent from its entry is protobufjs' null: the empty message.
        // protobufjs keeps a key "__proto__" as an own property; setOwn keeps it one here.
        for (const key of Object.keys(raw)) setOwn(out, keyOf(key), value(raw[key] ?? undefined));
        return { map: out };
      };
    }
    if (field.repeated) return (msg) => ({ array: ((own(msg) ?? []) as unknown[]).map(value) });
    if (hasPresence(field)) {
      return (msg) => {
        const raw = own(msg);
        return raw === undefined || raw === null ? null : { [branch]: value(raw) };
      };
    }
    return (msg) => ({ [branch]: value(own(msg)) });
  }

  private value(kind: ValueKind, path: string): Convert {
    switch (kind.kind) {
      case 'scalar':
        return scalarConvert(kind.type, path);
      case 'enum':
        return enumConvert(kind.enum);
      case 'timestamp':
        return microsConvert(kind.type, path, Math.floor);
      case 'duration':
        return microsConvert(kind.type, path, Math.trunc);
      case 'wrapper': {
        const scalar = scalarConvert(kind.type, path);
        return (raw) => scalar(Object.hasOwn((raw ?? {}) as object, 'value') ? (raw as { value: unknown }).value : undefined);
      }
      case 'json':
        return jsonConvert(kind.type);
      case 'message':
        return this.message(kind.type);
    }
  }
}

/* ---------------------------------------------------------------- the reader */

class ProtobufBodyReader implements FramedBodyReader {
  private readonly root: protobuf.Type;
  private readonly rootName: string;
  private readonly convert: Convert;
  /** Each writer schema's top-level messages, or why it cannot be read. */
  private readonly writers = new Map<number, protobuf.Type[] | BodyProblem>();

  constructor(
    readerSchemaId: number,
    private readonly schemas: Record<number, SchemaText>,
  ) {
    const text = schemas[readerSchemaId];
    if (!text) throw new Error(`reader schema ${readerSchemaId} is not among the schemas`);
    const topLevel = topLevelMessages(text);
    this.writers.set(readerSchemaId, topLevel);
    this.root = topLevel[0];
    this.rootName = avroName(this.root);
    // The image refuses what cannot be columns (recursion included) before converters are built.
    new ImageBuilder().record(this.root);
    this.convert = new ConverterBuilder().message(this.root);
  }

  private writer(schemaId: number): protobuf.Type[] | BodyProblem {
    let writer = this.writers.get(schemaId);
    if (writer === undefined) {
      const text = this.schemas[schemaId];
      if (!text) writer = new BodyProblem(`schema id ${schemaId} is not a version of the topic's subject`);
      else {
        try {
          writer = topLevelMessages(text);
        } catch (err) {
          writer = new BodyProblem(`schema ${schemaId} cannot be read as Protobuf: ${describeError(err)}`);
        }
      }
      this.writers.set(schemaId, writer);
    }
    return writer;
  }

  /** The full name of the message the indexes pick in the writer schema. */
  private writtenName(topLevel: protobuf.Type[], indexes: number[], schemaId: number): string | BodyProblem {
    let candidates = topLevel;
    let type: protobuf.Type | undefined;
    for (const index of indexes) {
      type = candidates[index];
      if (!type) return new BodyProblem(`Protobuf message indexes [${indexes.join(', ')}] name no message of schema ${schemaId}`);
      candidates = type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
    }
    return avroName(type!);
  }

  read(schemaId: number, body: Buffer): unknown {
    if (body.length > MAX_PROTOBUF_VALUE_BYTES) {
      return new BodyProblem(`Protobuf value of ${body.length} bytes is larger than the ${MAX_PROTOBUF_VALUE_BYTES} bytes lakegate decodes`);
    }
    const writer = this.writer(schemaId);
    if (writer instanceof BodyProblem) return writer;
    let indexes: number[];
    let payload: Buffer;
    try {
      ({ indexes, payload } = readMessageIndexes(body));
    } catch (err) {
      if (err instanceof RecordProblem) return new BodyProblem(err.message);
      throw err;
    }
    const name = this.writtenName(writer, indexes, schemaId);
    if (name instanceof BodyProblem) return name;
    if (name !== this.rootName) return new BodyProblem(`value is a Protobuf ${name} message, but the table holds ${this.rootName} messages`);
    const wrongWire = wireTypeProblem(this.root, payload);
    if (wrongWire) return new BodyProblem(`value does not decode as Protobuf message ${this.rootName}: ${wrongWire}`);
    let decoded: protobuf.Message;
    try {
      // A plain Uint8Array gets protobufjs' bounds-checked Reader; its Buffer reader clamps a
      // string or bytes field that runs past the end instead of failing.
      decoded = this.root.decode(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
    } catch (err) {
      return new BodyProblem(`value does not decode as Protobuf message ${this.rootName}: ${describeError(err)}`);
    }
    try {
      return this.convert(decoded);
    } catch (err) {
      if (err instanceof ValueProblem) return new BodyProblem(err.message);
      // Whatever else a converter throws is about this value too.
      return new BodyProblem(`value of Protobuf message ${this.rootName} cannot be converted: ${describeError(err)}`);
    }
  }
}

export const protobufFormat: TypedFormat = {
  avroImage: imageOf,
  bodyReader: (readerSchemaId, schemas) => new ProtobufBodyReader(readerSchemaId, schemas),
};
