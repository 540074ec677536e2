/**
 * A JSON Schema document as an Avro image (see typed-format.ts), and the shape its values are
 * converted by (json-schema-format.ts). One walk builds both, so the image and the conversion
 * cannot disagree.
 *
 * Mapping (also in the README). The root must be `type: object` with properties; its
 * properties, in document order, are the record's fields, and every field is nullable.
 *   integer -> long; number -> double; boolean -> boolean; string -> string;
 *   string + format date-time -> long timestamp-micros (RFC 3339 with an offset);
 *   string + format date -> int date (days since 1970-01-01); other formats (uuid, time) -> string;
 *   enum of strings (type string or no type) -> string;
 *   object with properties -> record (additionalProperties/patternProperties beside them are
 *   not columns); object with only additionalProperties: <schema> -> map;
 *   array with items: <schema> -> array (items nullable only where the schema allows null);
 *   type [T, "null"], anyOf/oneOf [<T>, {type: null}] -> nullable T; a one-branch
 *   anyOf/oneOf/allOf -> its branch; $ref (#/definitions, #/$defs, an anchor, a reference by name) is
 *   followed, a recursive one is refused;
 *   anything else -> string holding the value's JSON text ("free-form JSON text"): an object
 *   with neither properties nor additionalProperties, an array without items or with tuple
 *   items (items: [..] or prefixItems), other unions and allOf, mixed enums, const, type null,
 *   several types, or no type.
 * Property names become Avro names: characters outside [A-Za-z0-9_] become `_`, and a leading
 * digit gets a `_` before it (two properties that end up with one name are refused).
 */
import { findAnchor, isAnchorFragment } from '../schema-registry/json-schema-anchors.js';
import { AvroMappingError, avroValueSlots, type AvroSchemaText } from './avro-schema.js';
import { documentKeys, parseJsonDocument, plainObjects } from './json-document.js';
import type { SchemaText } from './typed-format.js';

export type JsonShape =
  | { kind: 'long' | 'double' | 'boolean' | 'string' | 'timestamp' | 'date' | 'json' }
  | { kind: 'record'; name: string; fields: JsonField[] }
  | { kind: 'array'; items: JsonSlot }
  | { kind: 'map'; values: JsonSlot };

/** A place a value sits and whether JSON null may sit there. */
export interface JsonSlot {
  shape: JsonShape;
  nullable: boolean;
}

/** A record field: its Avro name and the JSON property it is read from. Fields are always nullable. */
export interface JsonField {
  name: string;
  property: string;
  shape: JsonShape;
}

type Node = boolean | Record<string, unknown>;
interface Located {
  node: Node;
  /** The document's reference name; '' for the registered schema itself. */
  doc: string;
}

const JSON_TEXT: JsonShape = { kind: 'json' };
/** A DAG of $refs can expand exponentially; real schemas stay far below this. */
const MAX_IMAGE_NODES = 10_000;
const COMBINATORS = ['anyOf', 'oneOf', 'allOf'] as const;
const ANNOTATIONS = new Set(['title', 'description', 'default', '$comment', 'examples', '$schema', '$id', 'id', '$anchor', 'readOnly', 'writeOnly', 'deprecated']);

function isNode(v: unknown): v is Node {
  return typeof v === 'boolean' || (typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** true, {} or only annotations: any value is valid, so nothing is known about its type. */
function acceptsAnything(v: unknown): boolean {
  return v === true || (isNode(v) && v !== false && Object.keys(v).every((k) => ANNOTATIONS.has(k)));
}

function avroName(property: string): string {
  const name = property.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

class ImageBuilder {
  private readonly docs = new Map<string, Node>();
  /** $ref targets being expanded: meeting one again is recursion. */
  private readonly expanding = new Set<string>();
  private readonly recordNames = new Set<string>();
  private nodes = 0;

  constructor(text: SchemaText) {
    this.docs.set('', parseSchema(text.schema, 'the schema'));
    for (const r of text.references) this.docs.set(r.name, parseSchema(r.schema, `reference ${r.name}`));
  }

  root(): JsonShape {
    return this.withRefs({ node: this.docs.get('')!, doc: '' }, '', (at) => {
      const node = at.node;
      if (typeof node === 'boolean' || node.type !== 'object' || !isNode(node.properties) || Object.keys(node.properties).length === 0) {
        throw new AvroMappingError('the root of a JSON schema must be {"type": "object"} with properties to become columns');
      }
      return this.typed(at, 'object', '');
    });
  }

  /** Follows at's $ref chain, marking each target as expanding while `then` maps the end of it. */
  private withRefs<T>(at: Located, path: string, then: (target: Located) => T): T {
    const node = at.node;
    if (typeof node === 'boolean' || typeof node.$ref !== 'string') return then(at);
    const target = this.resolve(node.$ref, at.doc, path);
    const key = `${target.doc}#${target.pointer}`;
    if (this.expanding.has(key)) throw new AvroMappingError(`${path || 'the root'}: recursive $ref ${node.$ref} cannot be columns`);
    this.expanding.add(key);
    try {
      return this.withRefs(target, path, then);
    } finally {
      this.expanding.delete(key);
    }
  }

  private resolve(ref: string, fromDoc: string, path: string): Located & { pointer: string } {
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const pointer = hash < 0 ? '' : ref.slice(hash + 1);
    const doc = base === '' ? fromDoc : base;
    let node: unknown = this.docs.get(doc);
    if (node === undefined) throw new AvroMappingError(`${path || 'the root'}: $ref ${ref} names no schema reference`);
    if (isAnchorFragment(pointer)) {
      const named = findAnchor(node, pointer);
      if ('problem' in named) throw new AvroMappingError(`${path || 'the root'}: $ref ${ref} ${named.problem}`);
      return { node: named.schema, doc, pointer: `#${pointer}` };
    }
    for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
      let key: string;
      try {
        key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        throw new AvroMappingError(`${path || 'the root'}: $ref ${ref} is not a valid JSON pointer`);
      }
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (!isNode(node)) throw new AvroMappingError(`${path || 'the root'}: $ref ${ref} does not point at a schema`);
    return { node, doc, pointer };
  }

  private isNullSchema(at: Located, path: string): boolean {
    return this.withRefs(at, path, ({ node }) => {
      if (typeof node === 'boolean') return false;
      return node.type === 'null' || (Array.isArray(node.type) && node.type.length === 1 && node.type[0] === 'null');
    });
  }

  /** The shape of a value at `path` and whether null is allowed there. */
  slot(at: Located, path: string): JsonSlot {
    if (++this.nodes > MAX_IMAGE_NODES) throw new AvroMappingError(`the JSON schema expands to more than ${MAX_IMAGE_NODES} columns and types`);
    return this.withRefs(at, path, (target) => {
      const node = target.node;
      if (typeof node === 'boolean') return { shape: JSON_TEXT, nullable: true };
      const combinators = COMBINATORS.filter((k) => node[k] !== undefined);
      if (combinators.length > 0) {
        const branches = node[combinators[0]];
        if (combinators.length > 1 || !Array.isArray(branches) || !branches.every(isNode)) return { shape: JSON_TEXT, nullable: true };
        const located = branches.map((b) => ({ node: b, doc: target.doc }));
        if (located.length === 1) return this.slot(located[0], path);
        // allOf [T, null] is not "T or null": only anyOf/oneOf make a nullable T.
        const nonNull = combinators[0] === 'allOf' ? located : located.filter((b) => !this.isNullSchema(b, path));
        if (located.length === 2 && nonNull.length === 1) return { shape: this.slot(nonNull[0], path).shape, nullable: true };
        return { shape: JSON_TEXT, nullable: true };
      }
      const type = node.type;
      if (Array.isArray(type)) {
        const nonNull = type.filter((t) => t !== 'null');
        if (nonNull.length !== 1 || typeof nonNull[0] !== 'string') return { shape: JSON_TEXT, nullable: true };
        return { shape: this.typed(target, nonNull[0], path), nullable: nonNull.length < type.length };
      }
      if (typeof type === 'string' && type !== 'null') return { shape: this.typed(target, type, path), nullable: false };
      if (type === undefined && Array.isArray(node.enum) && node.enum.length > 0 && node.enum.every((v) => typeof v === 'string')) {
        return { shape: { kind: 'string' }, nullable: false };
      }
      return { shape: JSON_TEXT, nullable: true };
    });
  }

  private typed(at: Located, type: string, path: string): JsonShape {
    const node = at.node as Record<string, unknown>;
    switch (type) {
      case 'integer':
        return { kind: 'long' };
      case 'number':
        return { kind: 'double' };
      case 'boolean':
        return { kind: 'boolean' };
      case 'string':
        return node.format === 'date-time' ? { kind: 'timestamp' } : node.format === 'date' ? { kind: 'date' } : { kind: 'string' };
      case 'array': {
        const items = node.items;
        if (node.prefixItems !== undefined || !isNode(items) || items === false || acceptsAnything(items)) return JSON_TEXT;
        return { kind: 'array', items: this.slot({ node: items, doc: at.doc }, `${path}.element`) };
      }
      case 'object':
        return this.object(at, path);
      default:
        return JSON_TEXT;
    }
  }

  private object(at: Located, path: string): JsonShape {
    const node = at.node as Record<string, unknown>;
    const properties = isNode(node.properties) && typeof node.properties === 'object' ? node.properties : {};
    if (Object.keys(properties).length === 0) {
      const extra = node.additionalProperties;
      if (!isNode(extra) || extra === false || acceptsAnything(extra)) return JSON_TEXT;
      return { kind: 'map', values: this.slot({ node: extra, doc: at.doc }, `${path}.value`) };
    }
    const fields: JsonField[] = [];
    const byName = new Map<string, string>();
    for (const property of documentKeys(properties)) {
      const schema = properties[property];
      // A property whose schema is false can never be present: no column for it.
      if (schema === false || !isNode(schema)) continue;
      const name = avroName(property);
      const clash = byName.get(name);
      if (clash !== undefined) throw new AvroMappingError(`${path || 'the root'}: properties ${JSON.stringify(clash)} and ${JSON.stringify(property)} both become the field ${name}`);
      byName.set(name, property);
      const fieldPath = path === '' ? name : `${path}.${name}`;
      fields.push({ name, property, shape: this.slot({ node: schema, doc: at.doc }, fieldPath).shape });
    }
    if (fields.length === 0) throw new AvroMappingError(`${path || 'the root'}: an object whose properties are all false holds no columns`);
    return { kind: 'record', name: this.recordName(path), fields };
  }

  /** Unique, valid and deterministic: from the path, numbered on a clash. */
  private recordName(path: string): string {
    const base = path === '' ? 'value' : `value_${path.replace(/\./g, '_')}`;
    let name = base;
    for (let n = 2; this.recordNames.has(name); n++) name = `${base}_${n}`;
    this.recordNames.add(name);
    return name;
  }
}

/** Schemas nest deeper than documents (definitions, combinators), but not this deep. */
const MAX_SCHEMA_DEPTH = 512;

/** Read with the document parser, not JSON.parse, for the properties' document order. */
function parseSchema(text: string, what: string): Node {
  let parsed: unknown;
  try {
    parsed = plainObjects(parseJsonDocument(text, MAX_SCHEMA_DEPTH));
  } catch (err) {
    throw new AvroMappingError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (!isNode(parsed)) throw new AvroMappingError(`${what} is not a JSON schema (an object or a boolean)`);
  return parsed;
}

/** Avro branch name of a shape, as avsc wraps a nullable value of it. */
export function branchName(shape: JsonShape): string {
  switch (shape.kind) {
    case 'long':
    case 'timestamp':
      return 'long';
    case 'date':
      return 'int';
    case 'json':
      return 'string';
    case 'record':
      return shape.name;
    default:
      return shape.kind;
  }
}

function avroType(shape: JsonShape): unknown {
  switch (shape.kind) {
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros' };
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'json':
      return 'string';
    case 'record':
      return { type: 'record', name: shape.name, fields: shape.fields.map((f) => ({ name: f.name, type: ['null', avroType(f.shape)], default: null })) };
    case 'array':
      return { type: 'array', items: slotType(shape.items) };
    case 'map':
      return { type: 'map', values: slotType(shape.values) };
    default:
      return shape.kind;
  }
}

function slotType(slot: JsonSlot): unknown {
  return slot.nullable ? ['null', avroType(slot.shape)] : avroType(slot.shape);
}

/** The root record's shape of a JSON schema; throws AvroMappingError when it cannot be columns. */
export function jsonSchemaShape(text: SchemaText): Extract<JsonShape, { kind: 'record' }> {
  if (text.schemaType !== 'JSON') throw new AvroMappingError(`the schema is ${text.schemaType}, not JSON Schema`);
  return new ImageBuilder(text).root() as Extract<JsonShape, { kind: 'record' }>;
}

export function jsonSchemaImage(text: SchemaText): AvroSchemaText {
  const image = { schema: JSON.stringify(avroType(jsonSchemaShape(text))), references: [] };
  // Refuses what the column mapping refuses (e.g. fields named _kafka_*) here, at image time.
  avroValueSlots(image);
  return image;
}
