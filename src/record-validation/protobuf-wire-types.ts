/**
 * Whether every field of a Protobuf value arrives with the wire type its schema gives it,
 * nested messages and map entries included, checked before protobufjs decodes the value.
 *
 * protobufjs reads a known field number by the schema's type whatever wire type the tag says:
 * a string sent where the schema has an int32 decodes as the string's length, and the
 * string's bytes then read as more fields. `message W { string a = 1; }` with a = "\x10\x07"
 * decodes as `message R { int32 a = 1; int32 b = 2; }` {a: 2, b: 7}, with no error. (Java's
 * protobuf keeps such a field as an unknown field and leaves it unset.) A value whose wire
 * types do not match cannot have been written with a compatible schema: it is a bad record,
 * and the reason names the field.
 *
 * Pure and allocation-light: one pass over the bytes, per message type a table of field
 * number -> expected wire type built once. Groups of fields the schema does not have are
 * skipped; malformed bytes (a truncated varint, a length past the end, a group end with no
 * start) stop the check and are left to protobufjs, which refuses them.
 */
import protobuf from 'protobufjs';

const enum Wire {
  VARINT = 0,
  I64 = 1,
  LEN = 2,
  START_GROUP = 3,
  END_GROUP = 4,
  I32 = 5,
}

const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'group start', 'group end', '32-bit'];
/** Deeper nesting than this is not checked further (protobufjs' own limit is its stack). */
const MAX_DEPTH = 100;

interface FieldWire {
  name: string;
  typeName: string;
  wire: number;
  /** A repeated numeric field may come packed, as one length-delimited run. */
  packable: boolean;
  /** For a message field: its type, checked inside. */
  message: protobuf.Type | null;
  /** For a map field: the entry's key and value, checked inside each entry. */
  entry: Map<number, FieldWire> | null;
}

const cache = new WeakMap<protobuf.Type, Map<number, FieldWire> | null>();

/** Why the value's wire types do not fit `type`, or null when they do (or cannot be told). */
export function wireTypeProblem(type: protobuf.Type, bytes: Uint8Array): string | null {
  const result = checkMessage(type, bytes, 0, bytes.length, 0, type.name);
  return typeof result === 'string' ? result : null;
}

/** Null when fine, UNCHECKABLE when the bytes are malformed (protobufjs reports those), or the problem. */
const UNCHECKABLE = 1;

function checkMessage(type: protobuf.Type, buf: Uint8Array, pos: number, end: number, depth: number, path: string): string | null | typeof UNCHECKABLE {
  const fields = fieldWires(type);
  if (fields === null || depth > MAX_DEPTH) return null;
  return checkFields(fields, buf, pos, end, depth, path);
}

function checkFields(fields: Map<number, FieldWire>, buf: Uint8Array, pos: number, end: number, depth: number, path: string): string | null | typeof UNCHECKABLE {
  while (pos < end) {
    const tag = readVarint32(buf, pos, end);
    if (tag === null) return UNCHECKABLE;
    pos = tag.next;
    const wire = tag.value & 7;
    const number = tag.value >>> 3;
    const field = fields.get(number);
    if (field && wire !== field.wire && !(field.packable && wire === Wire.LEN)) {
      const sent = WIRE_NAMES[wire] ?? `invalid wire type ${wire}`;
      return `field ${path}.${field.name} (number ${number}) arrived as ${sent}, but the schema's ${field.typeName} is ${WIRE_NAMES[field.wire]}`;
    }
    if (wire === Wire.LEN && (field?.message || field?.entry)) {
      const len = readVarint32(buf, pos, end);
      if (len === null || len.next + len.value > end) return UNCHECKABLE;
      const inner = len.next;
      pos = inner + len.value;
      const at = `${path}.${field.name}`;
      const r = field.message ? checkMessage(field.message, buf, inner, pos, depth + 1, at) : checkFields(field.entry!, buf, inner, pos, depth + 1, at);
      if (r !== null) return r;
      continue;
    }
    // Anything else is skipped, a group of a field the schema does not have included (as
    // protobufjs skips it); the fields after it are still checked. A group end with no start
    // and wire types 6 and 7 stop the check: protobufjs refuses them itself.
    const next = skipValue(buf, pos, end, wire, depth);
    if (next === null) return UNCHECKABLE;
    pos = next;
  }
  return pos === end ? null : UNCHECKABLE;
}

/** Position after a value of wire type `wire` that starts at pos; null if malformed (or a group end). */
function skipValue(buf: Uint8Array, pos: number, end: number, wire: number, depth: number): number | null {
  switch (wire) {
    case Wire.VARINT:
      return skipVarint(buf, pos, end);
    case Wire.I64:
      return pos + 8;
    case Wire.I32:
      return pos + 4;
    case Wire.LEN: {
      const len = readVarint32(buf, pos, end);
      return len === null || len.next + len.value > end ? null : len.next + len.value;
    }
    case Wire.START_GROUP:
      return skipGroup(buf, pos, end, depth + 1);
    default:
      return null;
  }
}

/** Position after the end tag of a group whose start tag ends at pos; null if malformed. */
function skipGroup(buf: Uint8Array, pos: number, end: number, depth: number): number | null {
  if (depth > MAX_DEPTH) return null;
  while (pos < end) {
    const tag = readVarint32(buf, pos, end);
    if (tag === null) return null;
    pos = tag.next;
    if ((tag.value & 7) === Wire.END_GROUP) return pos;
    const next = skipValue(buf, pos, end, tag.value & 7, depth);
    if (next === null) return null;
    pos = next;
  }
  return null;
}

function fieldWires(type: protobuf.Type): Map<number, FieldWire> | null {
  let fields = cache.get(type);
  if (fields === undefined) {
    fields = buildFieldWires(type);
    cache.set(type, fields);
  }
  return fields;
}

/** Null for a type this check does not cover (one with a group field). */
function buildFieldWires(type: protobuf.Type): Map<number, FieldWire> | null {
  type.resolveAll();
  const out = new Map<number, FieldWire>();
  for (const field of type.fieldsArray) {
    if (field instanceof protobuf.MapField) {
      const entry = new Map<number, FieldWire>();
      entry.set(1, scalarWire('key', field.keyType, false));
      entry.set(2, valueWire('value', field.type, field.resolvedType, false));
      out.set(field.id, { name: field.name, typeName: `map<${field.keyType}, ${field.type}>`, wire: Wire.LEN, packable: false, message: null, entry });
      continue;
    }
    const group = field.resolvedType instanceof protobuf.Type && ((field.resolvedType as { group?: boolean }).group || (field as { delimited?: boolean }).delimited);
    if (group) return null;
    out.set(field.id, valueWire(field.name, field.type, field.resolvedType, field.repeated));
  }
  return out;
}

function valueWire(name: string, typeName: string, resolved: protobuf.Type | protobuf.Enum | null, repeated: boolean): FieldWire {
  if (resolved instanceof protobuf.Type) return { name, typeName, wire: Wire.LEN, packable: false, message: resolved, entry: null };
  if (resolved instanceof protobuf.Enum) return { name, typeName, wire: Wire.VARINT, packable: repeated, message: null, entry: null };
  return scalarWire(name, typeName, repeated);
}

function scalarWire(name: string, typeName: string, repeated: boolean): FieldWire {
  const wire = (protobuf.types.basic as Record<string, number | undefined>)[typeName];
  if (wire === undefined) throw new Error(`protobuf field ${name}: no wire type for type ${typeName}`);
  return { name, typeName, wire, packable: repeated && wire !== Wire.LEN, message: null, entry: null };
}

/** A varint of up to 5 bytes as an unsigned 32-bit value (tags and lengths); null if truncated or longer. */
function readVarint32(buf: Uint8Array, pos: number, end: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return null;
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value > 0xffffffff ? null : { value: value >>> 0, next: pos };
  }
  return null;
}

/** Position after a varint of up to 10 bytes; null if truncated or longer. */
function skipVarint(buf: Uint8Array, pos: number, end: number): number | null {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return null;
    if (buf[pos++]! < 0x80) return pos;
  }
  return null;
}
