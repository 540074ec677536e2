/**
 * The one interpreter of message schemas: decodes and encodes any struct at any version.
 * Flexible versions switch strings, bytes and arrays to compact (uvarint) lengths and add a
 * tagged-field block at the end of every struct; tagged fields are written only when they
 * differ from their default, as Kafka does.
 */
import { MalformedMessageError, type Reader } from '../reader.js';
import { Writer } from '../writer.js';
import type { Field, FieldType, StructSchema } from './types.js';
import { inRange } from './versions.js';

export type Message = Record<string, unknown>;

const ZERO_UUID = Buffer.alloc(16);

function isNullable(field: Field, version: number): boolean {
  return field.nullable !== null && inRange(field.nullable, version);
}

/** The value a field has when absent from a version or not given by a handler. */
export function defaultOf(field: Field, version: number): unknown {
  if (field.default !== undefined) return field.default;
  if (isNullable(field, version) && field.type.kind !== 'array') return null;
  switch (field.type.kind) {
    case 'array':
      return [];
    case 'struct':
      return decodeDefaults(field.type.struct, version);
    case 'primitive':
      switch (field.type.type) {
        case 'bool':
          return false;
        case 'int64':
          return 0n;
        case 'string':
          return '';
        case 'uuid':
          return ZERO_UUID;
        case 'bytes':
        case 'records':
          return Buffer.alloc(0);
        default:
          return 0;
      }
  }
}

function decodeDefaults(schema: StructSchema, version: number): Message {
  const out: Message = {};
  for (const field of schema.fields) out[field.name] = defaultOf(field, version);
  return out;
}

// ---------------------------------------------------------------- decode

function decodeValue(type: FieldType, r: Reader, version: number, flexible: boolean, nullable: boolean, name: string): unknown {
  switch (type.kind) {
    case 'struct':
      return decodeStruct(type.struct, r, version, flexible);
    case 'array': {
      const n = r.length(flexible, 'int32');
      if (n < 0) {
        if (!nullable) throw new MalformedMessageError(`${name}: null array in a non-nullable field`);
        return null;
      }
      // Each element takes at least one byte, so a count beyond the remaining bytes is a lie.
      if (n > r.remaining) throw new MalformedMessageError(`${name}: array of ${n} exceeds the ${r.remaining} bytes left`);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = decodeValue(type.of, r, version, flexible, false, name);
      return out;
    }
    case 'primitive':
      switch (type.type) {
        case 'bool':
          return r.bool();
        case 'int8':
          return r.int8();
        case 'int16':
          return r.int16();
        case 'uint16':
          return r.uint16();
        case 'int32':
          return r.int32();
        case 'int64':
          return r.int64();
        case 'float64':
          return r.float64();
        case 'uuid':
          return r.uuid();
        case 'string': {
          const n = r.length(flexible, 'int16');
          if (n < 0) {
            if (!nullable) throw new MalformedMessageError(`${name}: null string in a non-nullable field`);
            return null;
          }
          return r.raw(n, name).toString('utf8');
        }
        case 'bytes':
        case 'records': {
          const n = r.length(flexible, 'int32');
          if (n < 0) {
            if (!nullable) throw new MalformedMessageError(`${name}: null bytes in a non-nullable field`);
            return null;
          }
          return r.raw(n, name);
        }
      }
  }
}

export function decodeStruct(schema: StructSchema, r: Reader, version: number, flexible: boolean): Message {
  const out: Message = {};
  for (const field of schema.fields) {
    if (!inRange(field.versions, version) || (field.tag !== null && flexible)) {
      out[field.name] = defaultOf(field, version);
      continue;
    }
    out[field.name] = decodeValue(field.type, r, version, flexible, isNullable(field, version), field.name);
  }
  if (flexible) decodeTaggedFields(schema, r, version, out);
  return out;
}

function decodeTaggedFields(schema: StructSchema, r: Reader, version: number, out: Message): void {
  const count = r.uvarint();
  if (count > r.remaining) throw new MalformedMessageError(`tagged field count ${count} exceeds the bytes left`);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const body = r.raw(size, `tagged field ${tag}`);
    const field = schema.fields.find((fl) => fl.tag === tag && inRange(fl.versions, version));
    // Unknown tags are skipped: that is what makes tagged fields forward compatible.
    if (!field) continue;
    const sub = new (r.constructor as typeof Reader)(body);
    out[field.name] = decodeValue(field.type, sub, version, true, isNullable(field, version), field.name);
  }
}

// ---------------------------------------------------------------- encode

function encodeValue(type: FieldType, w: Writer, value: unknown, version: number, flexible: boolean, nullable: boolean, name: string): void {
  switch (type.kind) {
    case 'struct':
      encodeStruct(type.struct, w, (value ?? {}) as Message, version, flexible);
      return;
    case 'array': {
      if (value === null || value === undefined) {
        if (!nullable && value === null) throw new Error(`${name}: null for a non-nullable array`);
        w.length(value === null ? -1 : 0, flexible, 'int32');
        return;
      }
      const items = value as unknown[];
      w.length(items.length, flexible, 'int32');
      for (const item of items) encodeValue(type.of, w, item, version, flexible, false, name);
      return;
    }
    case 'primitive':
      switch (type.type) {
        case 'bool':
          w.bool(Boolean(value));
          return;
        case 'int8':
          w.int8(Number(value ?? 0));
          return;
        case 'int16':
          w.int16(Number(value ?? 0));
          return;
        case 'uint16':
          w.uint16(Number(value ?? 0));
          return;
        case 'int32':
          w.int32(Number(value ?? 0));
          return;
        case 'int64':
          w.int64(BigInt((value as bigint | number | undefined) ?? 0n));
          return;
        case 'float64':
          w.float64(Number(value ?? 0));
          return;
        case 'uuid':
          w.raw((value as Buffer | undefined) ?? ZERO_UUID);
          return;
        case 'string': {
          if (value === null) {
            if (!nullable) throw new Error(`${name}: null for a non-nullable string`);
            w.length(-1, flexible, 'int16');
            return;
          }
          const bytes = Buffer.from((value as string | undefined) ?? '', 'utf8');
          w.length(bytes.length, flexible, 'int16').raw(bytes);
          return;
        }
        case 'bytes':
        case 'records': {
          if (value === null) {
            if (!nullable) throw new Error(`${name}: null for non-nullable bytes`);
            w.length(-1, flexible, 'int32');
            return;
          }
          const bytes = (value as Buffer | undefined) ?? Buffer.alloc(0);
          w.length(bytes.length, flexible, 'int32').raw(bytes);
          return;
        }
      }
  }
}

function isDefault(field: Field, value: unknown, version: number): boolean {
  if (value === undefined) return true;
  const def = defaultOf(field, version);
  if (Array.isArray(value)) return value.length === 0 && Array.isArray(def);
  if (Buffer.isBuffer(value) && Buffer.isBuffer(def)) return value.equals(def);
  if (field.type.kind === 'struct') return false;
  // Defaults of int64 fields may be declared as numbers; compare loosely across bigint/number.
  // eslint-disable-next-line eqeqeq
  return value == def;
}

export function encodeStruct(schema: StructSchema, w: Writer, value: Message, version: number, flexible: boolean): void {
  const tagged: Field[] = [];
  for (const field of schema.fields) {
    if (!inRange(field.versions, version)) continue;
    if (field.tag !== null && flexible) {
      if (!isDefault(field, value[field.name], version)) tagged.push(field);
      continue;
    }
    const v = value[field.name] === undefined ? defaultOf(field, version) : value[field.name];
    encodeValue(field.type, w, v, version, flexible, isNullable(field, version), field.name);
  }
  if (!flexible) return;
  tagged.sort((a, b) => (a.tag as number) - (b.tag as number));
  w.uvarint(tagged.length);
  for (const field of tagged) {
    const sub = new Writer(64);
    encodeValue(field.type, sub, value[field.name], version, true, isNullable(field, version), field.name);
    const bytes = sub.finish();
    w.uvarint(field.tag as number).uvarint(bytes.length).raw(bytes);
  }
}
