/**
 * Protobuf schemas (.proto text) via protobufjs, and a documented subset of Confluent's
 * Protobuf compatibility rules. `readerIssues(reader, writer)`: can a reader compiled from
 * `reader` decode every message written with `writer`?
 *
 * Checked (per message full name and field number): package changed, message removed,
 * required field added or removed (proto2), field kind changed (scalar / enum / message /
 * map), scalar type changed outside Protobuf's wire-compatible groups (int32 uint32 int64
 * uint64 bool; sint32 sint64; fixed32 sfixed32; fixed64 sfixed64; string bytes), named type
 * changed, repeated <-> singular, map key type changed, a field moved into an oneof that
 * already existed, several fields moved into one new oneof. Adding or removing optional
 * fields, enum values and messages is compatible. Not analysed: options, services, reserved
 * ranges, field names (Protobuf data does not carry them).
 *
 * References: an `import "x.proto"` is resolved through the reference named `x.proto`;
 * google/protobuf well-known types (any, duration, empty, field_mask, struct, timestamp,
 * wrappers, descriptor, api, type, source_context) and google/api annotations need none.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import type { SchemaHandler } from './schema-handler.js';
import type { ResolvedSchema } from './types.js';

export interface ProtoSchema {
  packageName: string;
  /** Every message type declared in this file (not its imports), by full name without the leading dot. */
  messages: Map<string, protobuf.Type>;
}

const PARSE_OPTIONS = { keepCase: true };

function importsOf(text: string): string[] {
  const parsed = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS);
  return [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
}

/** Adds every file `schema` imports (transitively) to root: references first, then bundled google types. */
function loadImports(schema: ResolvedSchema, root: protobuf.Root, loaded: Set<string>): void {
  for (const imported of importsOf(schema.schema)) {
    if (loaded.has(imported)) continue;
    loaded.add(imported);
    const dep = schema.dependencies.get(imported);
    if (dep) {
      protobuf.parse(dep.schema, root, PARSE_OPTIONS);
      loadImports(dep, root, loaded);
      continue;
    }
    const bundled = protobuf.common.get(imported);
    if (bundled) {
      root.addJSON(bundled.nested ?? {});
      continue;
    }
    const shipped = shippedProto(imported);
    if (!shipped) throw new Error(`import "${imported}" is neither a schema reference nor a bundled google/protobuf type`);
    protobuf.parse(shipped, root, PARSE_OPTIONS);
    loadImports({ schemaType: 'PROTOBUF', schema: shipped, references: [], dependencies: new Map() }, root, loaded);
  }
}

const require = createRequire(import.meta.url);

/**
 * The google/protobuf and google/api files protobufjs ships as .proto text but not as common
 * types (descriptor.proto for custom options, api, type, source_context, annotations, http).
 * Confluent serializers do not register well-known imports as references, so they must resolve.
 */
function shippedProto(file: string): string | undefined {
  if (!/^google\/(protobuf|api)\/[a-z_]+\.proto$/.test(file)) return undefined;
  try {
    return readFileSync(require.resolve(`protobufjs/${file}`), 'utf8');
  } catch {
    return undefined;
  }
}

function allTypes(root: protobuf.Root): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) out.push(child);
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(root);
  return out;
}

/**
 * Parses a .proto file with its imports into one resolved Root. `imported` holds every
 * reflection object the imports declared: what is not in it is the file's own.
 */
export function parseProtoFile(schema: ResolvedSchema): { root: protobuf.Root; parsed: protobuf.IParserResult; imported: Set<protobuf.ReflectionObject> } {
  const root = new protobuf.Root();
  // Imports go in first, so the objects that appear afterwards are exactly this file's own.
  loadImports(schema, root, new Set());
  const imported = new Set<protobuf.ReflectionObject>();
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const child of ns.nestedArray) {
      imported.add(child);
      if (child instanceof protobuf.Namespace) walk(child);
    }
  };
  walk(root);
  const parsed = protobuf.parse(schema.schema, root, PARSE_OPTIONS);
  root.resolveAll();
  return { root, parsed, imported };
}

const PUNCTUATION = new Set(['{', '}', '(', ')', ';', '=', '[', ']', ',', '<', '>']);

/**
 * A schema's identity: comments and layout are not part of it; declaration order and string
 * literals are, byte for byte. One pass: comment and whitespace stripping by regular
 * expressions took time quadratic in an unterminated run of comment openers (a 120 KB string
 * of them held the event loop for 7 s), and also changed what string literals held.
 */
export function canonicalProtoText(text: string): string {
  let out = '';
  let space = false;
  let i = 0;
  const word = (token: string) => {
    if (space && out !== '' && !PUNCTUATION.has(out[out.length - 1]!)) out += ' ';
    space = false;
    out += token;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      word(text.slice(i, Math.min(j + 1, text.length)));
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      space = true;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i + 2);
      i = end < 0 ? text.length : end + 1;
      space = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      space = true;
      i++;
    } else if (PUNCTUATION.has(c)) {
      out += c;
      space = false;
      i++;
    } else {
      word(c);
      i++;
    }
  }
  return out;
}

export const protobufHandler: SchemaHandler<ProtoSchema> = {
  parse(schema) {
    try {
      const { root, parsed, imported } = parseProtoFile(schema);
      const messages = new Map<string, protobuf.Type>();
      for (const t of allTypes(root)) if (!imported.has(t)) messages.set(t.fullName.replace(/^\./, ''), t);
      if (messages.size === 0) throw new Error('the schema declares no message');
      return { packageName: parsed.package ?? '', messages };
    } catch (err) {
      throw new Error(`Invalid Protobuf schema: ${(err as Error).message}`);
    }
  },
  canonical(schema) {
    return canonicalProtoText(schema);
  },
  readerIssues(reader, writer) {
    const issues: string[] = [];
    if (reader.packageName !== writer.packageName) issues.push(`package changed from '${writer.packageName}' to '${reader.packageName}'`);
    for (const [name, w] of writer.messages) {
      const r = reader.messages.get(name);
      if (!r) issues.push(`message ${name} removed`);
      else compareMessage(r, w, name, issues);
    }
    return issues;
  },
};

const WIRE_GROUPS: string[][] = [
  ['int32', 'uint32', 'int64', 'uint64', 'bool'],
  ['sint32', 'sint64'],
  ['fixed32', 'sfixed32'],
  ['fixed64', 'sfixed64'],
  ['string', 'bytes'],
  ['float'],
  ['double'],
];

function wireGroup(type: string): number {
  return WIRE_GROUPS.findIndex((g) => g.includes(type));
}

function kindOf(field: protobuf.Field): string {
  if (field instanceof protobuf.MapField) return 'map';
  if (field.resolvedType instanceof protobuf.Type) return 'message';
  if (field.resolvedType instanceof protobuf.Enum) return 'enum';
  return 'scalar';
}

function compareMessage(r: protobuf.Type, w: protobuf.Type, name: string, issues: string[]): void {
  const movedIntoNewOneof = new Map<string, number>();
  for (const wf of w.fieldsArray) {
    const rf = r.fieldsById[wf.id];
    const where = `${name} field ${wf.id}`;
    if (!rf) {
      if (wf.required) issues.push(`${where}: required field removed`);
      continue;
    }
    if (rf.required && !wf.required) issues.push(`${where}: field made required`);
    if (wf.required && !rf.required) issues.push(`${where}: required field made optional`);
    if (rf.repeated !== wf.repeated) issues.push(`${where}: changed between repeated and singular`);
    const rk = kindOf(rf);
    const wk = kindOf(wf);
    if (rk !== wk) issues.push(`${where}: kind changed from ${wk} to ${rk}`);
    else if (rk === 'scalar' && rf.type !== wf.type && wireGroup(rf.type) !== wireGroup(wf.type)) {
      issues.push(`${where}: type changed from ${wf.type} to ${rf.type}`);
    } else if (rk === 'message' || rk === 'enum' || rk === 'map') {
      const rName = rf.resolvedType?.fullName ?? rf.type;
      const wName = wf.resolvedType?.fullName ?? wf.type;
      if (rName !== wName) issues.push(`${where}: named type changed from ${wName} to ${rName}`);
      if (rk === 'map' && (rf as unknown as protobuf.MapField).keyType !== (wf as unknown as protobuf.MapField).keyType) issues.push(`${where}: map key type changed`);
    }
    const rOneof = rf.partOf;
    if (rOneof && !wf.partOf) {
      if (w.oneofs?.[rOneof.name]) issues.push(`${where}: moved into the existing oneof ${rOneof.name}`);
      else movedIntoNewOneof.set(rOneof.name, (movedIntoNewOneof.get(rOneof.name) ?? 0) + 1);
    }
  }
  for (const rf of r.fieldsArray) {
    if (rf.required && !w.fieldsById[rf.id]) issues.push(`${name} field ${rf.id}: required field added`);
  }
  for (const [oneof, count] of movedIntoNewOneof) {
    if (count > 1) issues.push(`${name}: ${count} existing fields moved into the new oneof ${oneof}`);
  }
}
