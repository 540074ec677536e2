/**
 * Logical types between two versions of an Avro schema. Avro's resolution works on the
 * underlying types only (avsc's createResolver, like Java's SchemaCompatibility, never looks
 * at logicalType), so a value written as decimal(10,2) would be read as decimal(10,4) (1.23
 * becomes 0.0123), timestamp-millis as timestamp-micros, an int date promoted to a long
 * timestamp-millis: the bytes resolve, the meaning does not. Both the registry's
 * compatibility check and the table writer refuse such a pair with the issues found here.
 *
 * The rule, per value the reader would read from the writer's value:
 * - both sides carry a logical type: it must be the same one. Decimals must have the same
 *   scale, and the reader a precision at least the writer's: the bytes are the unscaled
 *   value, so only a different scale moves the point, and a wider precision keeps every value
 *   (Iceberg promotes decimal(P,S) to decimal(P',S) for P' > P the same way). The Avro
 *   specification is stricter ("match if their scales and precisions match"); refusing a
 *   widening would turn an older version's records into dead letters for no lost digit;
 * - one side only: accepted, as Avro's Java implementation (and so Confluent's registry) and
 *   its Rust one do. The value is read unchanged; a reader that adds `timestamp-millis` to a
 *   plain `long` states what the numbers already were (the usual way to annotate an
 *   existing field), and a reader that drops a logical type reads the plain number or bytes;
 * - a logical type Avro does not know, or one that is invalid (e.g. `date` on a long, a
 *   decimal whose scale exceeds its precision), is ignored, as the specification says: the
 *   value is its underlying type.
 *
 * avsc keeps no logicalType (none are registered, so the columns see plain values), hence
 * the check reads the schema JSON next to avsc's types: avsc decides the pairing (which
 * reader field or union branch reads which writer value, names resolved across
 * references), the JSON says what each paired value means.
 */
import avro from 'avsc';

type JsonObject = Record<string, unknown>;

/** A parsed Avro schema: avsc's type, the JSON it was parsed from, and its named types' JSON. */
export interface AvroSchemaJson {
  type: avro.Type;
  json: unknown;
  /** Every named type's JSON definition by full name, those of references included. */
  named: ReadonlyMap<string, JsonObject>;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface AvscRecord {
  fields: Array<{ name: string; aliases: string[]; type: avro.Type }>;
}

/**
 * Adds the named types (record, error, enum, fixed) one parsed document defines: `type` is
 * avsc's type of `json`, walked in step with it so that avsc's full names are the keys.
 */
export function collectNamedTypes(type: avro.Type, json: unknown, into: Map<string, JsonObject>): void {
  if (Array.isArray(json)) {
    const branches = (type as unknown as { types: avro.Type[] }).types;
    json.forEach((branch, i) => collectNamedTypes(branches[i], branch, into));
    return;
  }
  // A string is a primitive or a reference to a type defined elsewhere.
  if (!isObject(json)) return;
  switch (json.type) {
    case 'record':
    case 'error': {
      into.set(type.name!, json);
      const fields = json.fields as JsonObject[];
      (type as unknown as AvscRecord).fields.forEach((field, i) => collectNamedTypes(field.type, fields[i].type, into));
      return;
    }
    case 'enum':
    case 'fixed':
      into.set(type.name!, json);
      return;
    case 'array':
      collectNamedTypes((type as unknown as { itemsType: avro.Type }).itemsType, json.items, into);
      return;
    case 'map':
      collectNamedTypes((type as unknown as { valuesType: avro.Type }).valuesType, json.values, into);
      return;
  }
}

/**
 * The logical type a schema gives its values, as Avro would honour it (e.g. `decimal(10,2)`,
 * `timestamp-millis`); undefined for none, an unknown one or an invalid one.
 */
export function logicalTypeOf(json: unknown): string | undefined {
  if (!isObject(json) || typeof json.logicalType !== 'string') return undefined;
  const logical = json.logicalType;
  const base = json.type;
  const size = Number(json.size);
  switch (logical) {
    case 'decimal':
      return decimalOf(json, base === 'fixed' ? size : base === 'bytes' ? Infinity : undefined);
    case 'big-decimal':
      return base === 'bytes' ? logical : undefined;
    case 'uuid':
      return base === 'string' || (base === 'fixed' && size === 16) ? logical : undefined;
    case 'duration':
      return base === 'fixed' && size === 12 ? logical : undefined;
    case 'date':
    case 'time-millis':
      return base === 'int' ? logical : undefined;
    case 'time-micros':
    case 'timestamp-millis':
    case 'timestamp-micros':
    case 'timestamp-nanos':
    case 'local-timestamp-millis':
    case 'local-timestamp-micros':
    case 'local-timestamp-nanos':
      return base === 'long' ? logical : undefined;
    default:
      return undefined;
  }
}

/**
 * decimal(p,s) when valid on bytes (size Infinity) or a fixed of `size` bytes. Attributes
 * are read with Number() as the table's column mapping reads them (writer/avro-schema.ts),
 * so every decimal that becomes a decimal column is compared here.
 */
function decimalOf(json: JsonObject, size: number | undefined): string | undefined {
  if (size === undefined) return undefined;
  const precision = Number(json.precision);
  const scale = json.scale === undefined ? 0 : Number(json.scale);
  if (!Number.isInteger(precision) || precision < 1) return undefined;
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  // A fixed of n bytes holds at most floor(log10(2^(8n-1) - 1)) digits.
  if (size !== Infinity && precision > Math.floor(Math.log10(2) * (8 * size - 1))) return undefined;
  return `decimal(${precision},${scale})`;
}

/** A place in a schema: avsc's type there and the JSON that wrote it. */
interface Place {
  type: avro.Type;
  json: unknown;
}

/** Why values written with `writer` would change meaning when read with `reader`; empty when none would. */
export function logicalTypeIssues(reader: AvroSchemaJson, writer: AvroSchemaJson): string[] {
  const issues: string[] = [];
  const pairedRecords = new Set<string>(); // recursive records are compared once
  const definition = (schema: AvroSchemaJson, place: Place): unknown => (place.type.name ? schema.named.get(place.type.name) : place.json);
  const branch = (place: Place, i: number): Place => ({ type: (place.type as unknown as { types: avro.Type[] }).types[i], json: (place.json as unknown[])[i] });

  const visit = (r: Place, w: Place, path: string): void => {
    if (avro.Type.isType(w.type, 'union')) {
      // avsc resolves every writer branch on its own.
      const count = (w.json as unknown[]).length;
      for (let i = 0; i < count; i++) visit(r, branch(w, i), path);
      return;
    }
    if (avro.Type.isType(r.type, 'union')) {
      // avsc reads a writer value with the first reader branch that resolves it.
      const count = (r.json as unknown[]).length;
      for (let i = 0; i < count; i++) {
        const candidate = branch(r, i);
        if (resolves(candidate.type, w.type)) return visit(candidate, w, path);
      }
      return;
    }
    const rJson = definition(reader, r);
    const wJson = definition(writer, w);
    if (avro.Type.isType(r.type, 'record', 'error') && avro.Type.isType(w.type, 'record', 'error')) {
      const key = `${r.type.name}:${w.type.name}`;
      if (pairedRecords.has(key)) return;
      pairedRecords.add(key);
      const rFields = (r.type as unknown as AvscRecord).fields;
      const wFields = (w.type as unknown as AvscRecord).fields;
      rFields.forEach((field, i) => {
        // avsc matches a reader field to the writer field named as it or as one of its aliases.
        const names = [field.name, ...(field.aliases ?? [])];
        const j = wFields.findIndex((f) => names.includes(f.name));
        if (j < 0) return; // the reader's default, nothing written
        const rType = ((rJson as JsonObject).fields as JsonObject[])[i].type;
        const wType = ((wJson as JsonObject).fields as JsonObject[])[j].type;
        visit({ type: field.type, json: rType }, { type: wFields[j].type, json: wType }, path ? `${path}.${field.name}` : field.name);
      });
      return;
    }
    if (avro.Type.isType(r.type, 'array') && avro.Type.isType(w.type, 'array')) {
      const items = (p: Place) => ({ type: (p.type as unknown as { itemsType: avro.Type }).itemsType, json: (p.json as JsonObject).items });
      visit(items(r), items(w), `${path}[]`);
      return;
    }
    if (avro.Type.isType(r.type, 'map') && avro.Type.isType(w.type, 'map')) {
      const values = (p: Place) => ({ type: (p.type as unknown as { valuesType: avro.Type }).valuesType, json: (p.json as JsonObject).values });
      visit(values(r), values(w), `${path}{}`);
      return;
    }
    const rLogical = logicalTypeOf(rJson);
    const wLogical = logicalTypeOf(wJson);
    if (rLogical !== undefined && wLogical !== undefined && !readsSameValue(rLogical, wLogical)) {
      const where = path ? `field ${path}` : 'the value';
      issues.push(
        `${where}: the writer's ${underlying(wJson)} ${wLogical} would be read as ${underlying(rJson)} ${rLogical}; ` +
          'Avro resolution does not convert between logical types, so the value would change meaning',
      );
    }
  };
  visit({ type: reader.type, json: reader.json }, { type: writer.type, json: writer.json }, '');
  return issues;
}

const DECIMAL = /^decimal\((\d+),(\d+)\)$/;

/** Whether a value of logical type `writer` means the same read as `reader` (see the rule above). */
function readsSameValue(reader: string, writer: string): boolean {
  if (reader === writer) return true;
  const r = DECIMAL.exec(reader);
  const w = DECIMAL.exec(writer);
  return r !== null && w !== null && r[2] === w[2] && Number(r[1]) >= Number(w[1]);
}

function underlying(json: unknown): string {
  return isObject(json) ? String(json.type) : String(json);
}

function resolves(reader: avro.Type, writer: avro.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}
