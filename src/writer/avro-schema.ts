/**
 * An Avro schema as table columns. The event loop maps a subject's schema here once per
 * schema change (assigning field ids), and each worker maps the same reader schema again to
 * know how every decoded value becomes column values; both use this one function, so they
 * cannot disagree.
 *
 * Mapping (also in the README):
 *   record -> struct (the root record's fields are the table's value columns), array -> list,
 *   map -> map<string, V>, enum -> string, ["null", T] -> optional T, other unions -> struct of
 *   optional member0..memberN (one per non-null branch, the matching one set), fixed[n] ->
 *   fixed[n], bytes -> binary, decimal(p,s) (bytes or fixed, p <= 38) -> decimal(p,s), uuid
 *   (string or fixed 16) -> uuid, date -> date, time-millis/micros -> time,
 *   timestamp-millis/micros -> timestamptz, local-timestamp-millis/micros -> timestamp.
 * Value columns are all optional: Iceberg v2 can only add optional columns, and an optional
 * column can take any later version's records.
 *
 * Field ids are keyed by path: a column's name, `a.b` for a struct field, `a.element` for a
 * list element, `a.key` / `a.value` for a map, `a.member1` for a union branch.
 */
import { type Column, type ColumnType, decimalType, MAX_DECIMAL_PRECISION, type PrimitiveColumnType, SystemColumn } from './schema.js';

export class AvroMappingError extends Error {}

/** How one decoded Avro leaf value becomes a column value. */
export type AvroLeaf =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'string'
  | 'bytes'
  | 'enum'
  | 'fixed'
  | 'decimal'
  | 'uuid-string'
  | 'uuid-fixed'
  | 'date'
  | 'time-millis'
  | 'time-micros'
  | 'timestamp-millis'
  | 'timestamp-micros';

export type AvroNode =
  | { kind: 'leaf'; leaf: AvroLeaf; type: PrimitiveColumnType; size?: number }
  | { kind: 'record'; fields: AvroSlot[] }
  /** Two or more non-null branches; keys are the branch names avsc wraps values in. */
  | { kind: 'union'; branches: Array<{ key: string; node: AvroNode }> }
  | { kind: 'array'; items: AvroSlot }
  | { kind: 'map'; values: AvroSlot };

/** A place a value sits (field, array item, map value) and whether null may sit there. */
export interface AvroSlot {
  name: string;
  node: AvroNode;
  nullable: boolean;
  /** The decoded value is a union wrapper ({branch: value}) to unwrap (avsc wrapUnions). */
  wrapped: boolean;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

type Json = Record<string, unknown>;
interface Named {
  schema: Json;
  namespace: string;
  fullName: string;
}

function fullNameOf(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? '' : fullName.slice(0, dot);
}

/** Records every named type (record, enum, fixed) by full name, as Avro scopes them. */
function registerNamed(schema: unknown, namespace: string, named: Map<string, Named>): void {
  if (Array.isArray(schema)) {
    for (const branch of schema) registerNamed(branch, namespace, named);
    return;
  }
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  const type = s.type;
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const declared = typeof s.namespace === 'string' ? s.namespace : namespace;
    const fullName = fullNameOf(String(s.name), declared);
    named.set(fullName, { schema: s, namespace: namespaceOf(fullName), fullName });
    if (Array.isArray(s.fields)) for (const f of s.fields as Json[]) registerNamed(f.type, namespaceOf(fullName), named);
  } else if (type === 'array') registerNamed(s.items, namespace, named);
  else if (type === 'map') registerNamed(s.values, namespace, named);
  else if (type && typeof type === 'object') registerNamed(type, namespace, named);
}

class Mapper {
  private readonly visiting = new Set<string>();
  constructor(private readonly named: Map<string, Named>) {}

  /** The slot of a schema: unions with null become nullable, one-branch unions collapse. */
  slot(name: string, schema: unknown, namespace: string): AvroSlot {
    if (!Array.isArray(schema)) return { name, node: this.node(schema, namespace), nullable: false, wrapped: false };
    const nullable = schema.some((b) => b === 'null' || (b as Json)?.type === 'null');
    const branches = schema.filter((b) => !(b === 'null' || (b as Json)?.type === 'null'));
    if (branches.length === 0) throw new AvroMappingError(`field ${name} is always null`);
    if (branches.length === 1) return { name, node: this.node(branches[0], namespace), nullable, wrapped: true };
    const mapped = branches.map((b) => ({ key: this.branchKey(b, namespace), node: this.node(b, namespace) }));
    return { name, node: { kind: 'union', branches: mapped }, nullable, wrapped: false };
  }

  /** avsc's branch name when no logical types are registered: full name, or the type name. */
  private branchKey(schema: unknown, namespace: string): string {
    if (typeof schema === 'string') return PRIMITIVES.has(schema) ? schema : this.lookup(schema, namespace).fullName;
    const s = schema as Json;
    if (s.type === 'record' || s.type === 'error' || s.type === 'enum' || s.type === 'fixed') {
      return fullNameOf(String(s.name), typeof s.namespace === 'string' ? s.namespace : namespace);
    }
    if (typeof s.type === 'string' && !PRIMITIVES.has(s.type) && s.type !== 'array' && s.type !== 'map') return this.lookup(s.type, namespace).fullName;
    if (s.type && typeof s.type === 'object') return this.branchKey(s.type, namespace);
    return String(s.type);
  }

  private lookup(name: string, namespace: string): Named {
    const found = this.named.get(fullNameOf(name, namespace)) ?? this.named.get(name);
    if (!found) throw new AvroMappingError(`unknown Avro type ${name}`);
    return found;
  }

  node(schema: unknown, namespace: string): AvroNode {
    if (typeof schema === 'string') {
      if (PRIMITIVES.has(schema)) return this.primitive(schema, undefined, {});
      return this.namedNode(this.lookup(schema, namespace));
    }
    if (Array.isArray(schema)) {
      const s = this.slot('union', schema, namespace);
      if (s.nullable || s.wrapped) throw new AvroMappingError('a nested nullable union needs a field around it');
      return s.node;
    }
    if (!schema || typeof schema !== 'object') throw new AvroMappingError(`not an Avro schema: ${JSON.stringify(schema)}`);
    const s = schema as Json;
    const type = s.type;
    if (type && typeof type === 'object') return this.node(type, namespace);
    if (typeof type !== 'string') throw new AvroMappingError(`Avro schema without a type: ${JSON.stringify(schema)}`);
    if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
      return this.namedNode(this.lookup(fullNameOf(String(s.name), typeof s.namespace === 'string' ? s.namespace : namespace), ''));
    }
    if (type === 'array') return { kind: 'array', items: this.slot('element', s.items, namespace) };
    if (type === 'map') return { kind: 'map', values: this.slot('value', s.values, namespace) };
    if (PRIMITIVES.has(type)) return this.primitive(type, typeof s.logicalType === 'string' ? s.logicalType : undefined, s);
    return this.namedNode(this.lookup(type, namespace));
  }

  private namedNode(named: Named): AvroNode {
    const s = named.schema;
    if (s.type === 'enum') return { kind: 'leaf', leaf: 'enum', type: 'string' };
    if (s.type === 'fixed') return this.fixed(s);
    if (this.visiting.has(named.fullName)) throw new AvroMappingError(`recursive Avro type ${named.fullName} cannot be a column`);
    const fields = Array.isArray(s.fields) ? (s.fields as Json[]) : [];
    // Parquet has no empty groups. Refusing them (and null and fixed(0)) also means every
    // array item takes at least a byte, so a small value cannot claim a huge array.
    if (fields.length === 0) throw new AvroMappingError(`record ${named.fullName} has no fields, which no Parquet column can hold`);
    this.visiting.add(named.fullName);
    try {
      return { kind: 'record', fields: fields.map((f) => this.slot(String(f.name), f.type, named.namespace)) };
    } finally {
      this.visiting.delete(named.fullName);
    }
  }

  private fixed(s: Json): AvroNode {
    const size = Number(s.size);
    if (!Number.isInteger(size) || size < 1) throw new AvroMappingError(`fixed ${String(s.name)} of size ${String(s.size)} cannot be a column`);
    const decimal = s.logicalType === 'decimal' ? decimalOf(s, size) : undefined;
    if (decimal) return { kind: 'leaf', leaf: 'decimal', type: decimal, size };
    if (s.logicalType === 'uuid' && size === 16) return { kind: 'leaf', leaf: 'uuid-fixed', type: 'uuid', size };
    return { kind: 'leaf', leaf: 'fixed', type: `fixed[${size}]`, size };
  }

  /** A primitive with its logical type; an invalid or unknown logical type is ignored, as Avro says. */
  private primitive(type: string, logical: string | undefined, s: Json): AvroNode {
    const leaf = (l: AvroLeaf, t: PrimitiveColumnType): AvroNode => ({ kind: 'leaf', leaf: l, type: t });
    switch (type) {
      case 'null':
        throw new AvroMappingError('a null type outside a union holds nothing');
      case 'boolean':
        return leaf('boolean', 'boolean');
      case 'int':
        if (logical === 'date') return leaf('date', 'date');
        if (logical === 'time-millis') return leaf('time-millis', 'time');
        return leaf('int', 'int');
      case 'long':
        if (logical === 'time-micros') return leaf('time-micros', 'time');
        if (logical === 'timestamp-millis') return leaf('timestamp-millis', 'timestamptz');
        if (logical === 'timestamp-micros') return leaf('timestamp-micros', 'timestamptz');
        if (logical === 'local-timestamp-millis') return leaf('timestamp-millis', 'timestamp');
        if (logical === 'local-timestamp-micros') return leaf('timestamp-micros', 'timestamp');
        return leaf('long', 'long');
      case 'float':
        return leaf('float', 'float');
      case 'double':
        return leaf('double', 'double');
      case 'string':
        return logical === 'uuid' ? leaf('uuid-string', 'uuid') : leaf('string', 'string');
      default: {
        const decimal = logical === 'decimal' ? decimalOf(s, Infinity) : undefined;
        return decimal ? leaf('decimal', decimal) : leaf('bytes', 'binary');
      }
    }
  }
}

/** decimal(p,s) when the attributes are valid and fit Iceberg (p <= 38) and the fixed size. */
function decimalOf(s: Json, size: number): PrimitiveColumnType | undefined {
  const precision = Number(s.precision);
  const scale = s.scale === undefined ? 0 : Number(s.scale);
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_DECIMAL_PRECISION) return undefined;
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  // A fixed of n bytes holds at most floor(log10(2^(8n-1) - 1)) digits.
  if (size !== Infinity && precision > Math.floor(Math.log10(2) * (8 * size - 1))) return undefined;
  return decimalType(precision, scale);
}

/** The parsed Avro schema (texts: references first, in dependency order, then the schema itself). */
export interface AvroSchemaText {
  schema: string;
  references: string[];
}

/**
 * The value's slots: the root record's fields (rootRecord), or one nullable `value` slot for
 * any other root type.
 */
export function avroValueSlots(text: AvroSchemaText): { slots: AvroSlot[]; rootRecord: boolean } {
  const named = new Map<string, Named>();
  const docs = [...text.references, text.schema].map((t) => JSON.parse(t) as unknown);
  for (const doc of docs) registerNamed(doc, '', named);
  const mapper = new Mapper(named);
  const top = mapper.slot('value', docs[docs.length - 1], '');
  if (top.node.kind !== 'record' || top.nullable) return { slots: [{ ...top, nullable: true }], rootRecord: false };
  for (const f of top.node.fields) {
    if (f.name.startsWith('_kafka_')) throw new AvroMappingError(`field ${f.name} collides with the system columns (_kafka_*)`);
  }
  return { slots: top.node.fields, rootRecord: true };
}

/** Gives the field id of a path; `kind` is the new type there (a primitive type, struct, list or map). */
export type FieldIds = (path: string, kind: string) => number;

/** The column type kind a node maps to, known before its children get ids. */
function nodeKind(node: AvroNode): string {
  if (node.kind === 'leaf') return node.type;
  return node.kind === 'array' ? 'list' : node.kind === 'map' ? 'map' : 'struct';
}

/** Ids go parent first (a struct before its fields), as Iceberg's own writers number them. */
function typeOf(node: AvroNode, path: string, ids: FieldIds): ColumnType {
  switch (node.kind) {
    case 'leaf':
      return { kind: 'primitive', type: node.type };
    case 'record':
      return { kind: 'struct', fields: node.fields.map((f) => columnOf(f, `${path}.${f.name}`, ids)) };
    case 'union':
      return {
        kind: 'struct',
        fields: node.branches.map((b, i) => columnOf({ name: `member${i}`, node: b.node, nullable: true, wrapped: false }, `${path}.member${i}`, ids)),
      };
    case 'array': {
      const elementPath = `${path}.element`;
      const elementId = ids(elementPath, nodeKind(node.items.node));
      return { kind: 'list', elementId, element: typeOf(node.items.node, elementPath, ids), elementRequired: !node.items.nullable };
    }
    case 'map': {
      const keyId = ids(`${path}.key`, 'string');
      const valueId = ids(`${path}.value`, nodeKind(node.values.node));
      return {
        kind: 'map',
        keyId,
        key: { kind: 'primitive', type: 'string' },
        valueId,
        value: typeOf(node.values.node, `${path}.value`, ids),
        valueRequired: !node.values.nullable,
      };
    }
  }
}

export function kindOf(type: ColumnType): string {
  return type.kind === 'primitive' ? type.type : type.kind;
}

function columnOf(slot: AvroSlot, path: string, ids: FieldIds): Column {
  const id = ids(path, nodeKind(slot.node));
  return { id, name: slot.name, required: false, type: typeOf(slot.node, path, ids) };
}

/** The value columns of the slots, ids by path. */
export function avroColumns(slots: AvroSlot[], ids: FieldIds): Column[] {
  return slots.map((s) => columnOf(s, s.name, ids));
}

/** Every field id of the columns by path, with the type kind at that path. */
export function columnPaths(columns: Column[]): Map<string, { id: number; kind: string }> {
  const out = new Map<string, { id: number; kind: string }>();
  const visit = (path: string, t: ColumnType) => {
    if (t.kind === 'struct') for (const f of t.fields) visitColumn(f, `${path}.${f.name}`);
    else if (t.kind === 'list') {
      out.set(`${path}.element`, { id: t.elementId, kind: kindOf(t.element) });
      visit(`${path}.element`, t.element);
    } else if (t.kind === 'map') {
      out.set(`${path}.key`, { id: t.keyId, kind: kindOf(t.key) });
      out.set(`${path}.value`, { id: t.valueId, kind: kindOf(t.value) });
      visit(`${path}.key`, t.key);
      visit(`${path}.value`, t.value);
    }
  };
  const visitColumn = (c: Column, path: string) => {
    out.set(path, { id: c.id, kind: kindOf(c.type) });
    visit(path, c.type);
  };
  for (const c of columns) if (c.id > SystemColumn.HEADER_VALUE) visitColumn(c, c.name);
  return out;
}
