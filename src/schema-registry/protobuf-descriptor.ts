/**
 * Protobuf schemas registered as a base64-encoded FileDescriptorProto, the form Confluent's
 * Python (and Go) ProtobufSerializer sends. Confluent's registry accepts it and keeps the
 * schema's .proto text; so does this one: `descriptorToProtoText` turns such a string into
 * .proto text, which is then parsed, stored, compared and served like any other.
 *
 * Printed: syntax, package, imports (public/weak), the string/number/boolean file options,
 * messages (nested), fields with their labels (proto3 `optional` included), map fields (from
 * their map-entry types), oneofs, proto2 defaults, `packed`/`deprecated` field options,
 * reserved ranges and names, enums and services. Not printed: extensions and custom options
 * (uninterpreted options), which lakegate's checks do not look at.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { parseProtoFile } from './protobuf.js';
import type { ResolvedSchema } from './types.js';

const require = createRequire(import.meta.url);
let descriptorTypes: { FileDescriptorProto: protobuf.Type } | undefined;
function fileDescriptorProto(): protobuf.Type {
  descriptorTypes ??= require('protobufjs/ext/descriptor') as { FileDescriptorProto: protobuf.Type };
  return descriptorTypes.FileDescriptorProto;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- descriptor messages as plain objects */
type Obj = Record<string, any>;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The .proto text of `schema` when it is a base64-encoded FileDescriptorProto declaring at
 * least one message or enum; undefined for anything else (.proto text never matches: it has
 * spaces, braces or semicolons).
 */
export function descriptorToProtoText(schema: string): string | undefined {
  const text = schema.trim();
  if (text.length < 4 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  let file: Obj;
  try {
    const type = fileDescriptorProto();
    file = type.toObject(type.decode(Buffer.from(text, 'base64')), { enums: String, longs: String, defaults: false, arrays: true });
  } catch {
    return undefined;
  }
  if (!(file.messageType?.length || file.enumType?.length)) return undefined;
  return printFile(file);
}

function printFile(f: Obj): string {
  const out: string[] = [];
  const syntax = f.syntax || 'proto2';
  out.push(`syntax = "${syntax}";`);
  if (f.package) out.push(`package ${f.package};`);
  const publicDeps = new Set<number>(f.publicDependency ?? []);
  const weakDeps = new Set<number>(f.weakDependency ?? []);
  (f.dependency ?? []).forEach((d: string, i: number) => {
    out.push(`import ${publicDeps.has(i) ? 'public ' : weakDeps.has(i) ? 'weak ' : ''}${JSON.stringify(d)};`);
  });
  for (const [k, v] of Object.entries(f.options ?? {})) {
    // optimize_for is an enum (its value name is printed bare); the other string options are strings.
    if (typeof v === 'string') out.push(`option ${snake(k)} = ${k === 'optimizeFor' ? v : JSON.stringify(v)};`);
    else if (typeof v === 'boolean' || typeof v === 'number') out.push(`option ${snake(k)} = ${v};`);
  }
  for (const e of f.enumType ?? []) printEnum(e, '', out);
  for (const m of f.messageType ?? []) printMessage(m, '', syntax, out);
  for (const s of f.service ?? []) printService(s, out);
  return `${out.join('\n')}\n`;
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function printEnum(e: Obj, indent: string, out: string[]): void {
  out.push(`${indent}enum ${e.name} {`);
  if (e.options?.allowAlias) out.push(`${indent}  option allow_alias = true;`);
  for (const v of e.value ?? []) out.push(`${indent}  ${v.name} = ${v.number ?? 0};`);
  printReserved(e, indent + '  ', true, out);
  out.push(`${indent}}`);
}

function printReserved(d: Obj, indent: string, inclusiveEnd: boolean, out: string[]): void {
  const ranges = (d.reservedRange ?? []).map((r: Obj) => {
    const start = r.start ?? 0;
    const end = inclusiveEnd ? r.end ?? 0 : (r.end ?? 0) - 1;
    return start === end ? `${start}` : `${start} to ${end >= (inclusiveEnd ? 2_147_483_647 : 536_870_911) ? 'max' : end}`;
  });
  if (ranges.length) out.push(`${indent}reserved ${ranges.join(', ')};`);
  if (d.reservedName?.length) out.push(`${indent}reserved ${d.reservedName.map((n: string) => JSON.stringify(n)).join(', ')};`);
}

const SCALARS: Record<string, string> = {
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'float',
  TYPE_INT64: 'int64',
  TYPE_UINT64: 'uint64',
  TYPE_INT32: 'int32',
  TYPE_FIXED64: 'fixed64',
  TYPE_FIXED32: 'fixed32',
  TYPE_BOOL: 'bool',
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_UINT32: 'uint32',
  TYPE_SFIXED32: 'sfixed32',
  TYPE_SFIXED64: 'sfixed64',
  TYPE_SINT32: 'sint32',
  TYPE_SINT64: 'sint64',
};

function typeOf(field: Obj): string {
  if (field.type === 'TYPE_MESSAGE' || field.type === 'TYPE_ENUM' || field.type === 'TYPE_GROUP' || !field.type) return field.typeName;
  const t = SCALARS[field.type];
  if (!t) throw new Error(`unknown field type ${field.type}`);
  return t;
}

function fieldOptions(field: Obj, syntax: string): string {
  const opts: string[] = [];
  if (field.defaultValue !== undefined && syntax === 'proto2') {
    const quoted = field.type === 'TYPE_STRING' || field.type === 'TYPE_BYTES';
    opts.push(`default = ${quoted ? JSON.stringify(field.defaultValue) : field.defaultValue}`);
  }
  // `packed` only means something on repeated scalars (some descriptor writers set it on all).
  const packable = field.label === 'LABEL_REPEATED' && !['TYPE_STRING', 'TYPE_BYTES', 'TYPE_MESSAGE', 'TYPE_GROUP'].includes(field.type);
  if (field.options?.packed !== undefined && packable) opts.push(`packed = ${field.options.packed}`);
  if (field.options?.deprecated) opts.push('deprecated = true');
  return opts.length ? ` [${opts.join(', ')}]` : '';
}

function printMessage(m: Obj, indent: string, syntax: string, out: string[]): void {
  const inner = indent + '  ';
  out.push(`${indent}message ${m.name} {`);
  // Map fields are repeated fields of a nested map-entry type; that type is not printed.
  const entries = new Map<string, Obj>();
  for (const n of m.nestedType ?? []) if (n.options?.mapEntry) entries.set(n.name, n);
  const entryOf = (field: Obj): Obj | undefined => {
    if (field.type !== 'TYPE_MESSAGE' || field.label !== 'LABEL_REPEATED') return undefined;
    const name = String(field.typeName ?? '').split('.').pop()!;
    return entries.get(name);
  };
  const fieldLine = (field: Obj, pad: string, inOneof: boolean): string => {
    const entry = entryOf(field);
    const end = ` ${field.name} = ${field.number}${fieldOptions(field, syntax)};`;
    if (entry) {
      const [k, v] = [entry.field.find((f: Obj) => f.number === 1), entry.field.find((f: Obj) => f.number === 2)];
      return `${pad}map<${typeOf(k)}, ${typeOf(v)}>${end}`;
    }
    let label = '';
    if (!inOneof) {
      if (field.label === 'LABEL_REPEATED') label = 'repeated ';
      else if (field.label === 'LABEL_REQUIRED') label = 'required ';
      else if (syntax === 'proto2' || field.proto3Optional) label = 'optional ';
    }
    return `${pad}${label}${typeOf(field)}${end}`;
  };
  const oneofs: Obj[] = m.oneofDecl ?? [];
  const printedOneofs = new Set<number>();
  const fields: Obj[] = m.field ?? [];
  for (const field of fields) {
    // A proto3 `optional` field sits in a synthetic oneof of its own: print it as a field.
    const oneof = field.oneofIndex !== undefined && !field.proto3Optional ? (field.oneofIndex as number) : undefined;
    if (oneof === undefined) {
      out.push(fieldLine(field, inner, false));
      continue;
    }
    if (printedOneofs.has(oneof)) continue;
    printedOneofs.add(oneof);
    out.push(`${inner}oneof ${oneofs[oneof].name} {`);
    for (const member of fields.filter((f) => f.oneofIndex === oneof && !f.proto3Optional)) out.push(fieldLine(member, inner + '  ', true));
    out.push(`${inner}}`);
  }
  for (const e of m.enumType ?? []) printEnum(e, inner, out);
  for (const n of m.nestedType ?? []) if (!n.options?.mapEntry) printMessage(n, inner, syntax, out);
  printReserved(m, inner, false, out);
  out.push(`${indent}}`);
}

function printService(s: Obj, out: string[]): void {
  out.push(`service ${s.name} {`);
  for (const r of s.method ?? []) {
    const inStream = r.clientStreaming ? 'stream ' : '';
    const outStream = r.serverStreaming ? 'stream ' : '';
    out.push(`  rpc ${r.name} (${inStream}${r.inputType}) returns (${outStream}${r.outputType});`);
  }
  out.push('}');
}

// ---- the other way: .proto text -> FileDescriptorProto (GET ...?format=serialized) ----

const FIELD_TYPES: Record<string, number> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const MAX_FIELD_NUMBER = 536_870_911;

/**
 * The base64-encoded FileDescriptorProto of a .proto schema (its references resolved), what
 * Confluent's registry answers for `format=serialized` and its Protobuf deserializers decode.
 * Type names are fully qualified; map fields get their `<Name>Entry` types; imports are the
 * file's dependencies by the paths it imports them with. Not carried: file, message and field
 * options other than packed, deprecated and map_entry (custom options included), extensions.
 * The file is named `default` (clients name it themselves).
 */
export function protoTextToDescriptor(schema: ResolvedSchema): string {
  const { root, parsed, imported } = parseProtoFile(schema);
  const text = schema.schema.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const syntax = /\bsyntax\s*=\s*["'](proto[23])["']/.exec(text)?.[1] ?? 'proto2';
  const pkg = parsed.package ?? '';
  const scope = pkg ? root.lookup(pkg) : root;
  const own = scope instanceof protobuf.Namespace ? scope.nestedArray.filter((o) => !imported.has(o)) : [];
  const file: Obj = {
    name: 'default',
    package: pkg || undefined,
    dependency: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
    weakDependency: (parsed.weakImports ?? []).map((_, i) => (parsed.imports ?? []).length + i),
    messageType: own.filter((o): o is protobuf.Type => o instanceof protobuf.Type).map((t) => messageDescriptor(t, syntax)),
    enumType: own.filter((o): o is protobuf.Enum => o instanceof protobuf.Enum).map(enumDescriptor),
    service: own.filter((o): o is protobuf.Service => o instanceof protobuf.Service).map(serviceDescriptor),
    syntax: syntax === 'proto3' ? 'proto3' : undefined,
  };
  const type = fileDescriptorProto();
  return Buffer.from(type.encode(type.fromObject(file)).finish()).toString('base64');
}

function qualified(o: protobuf.ReflectionObject): string {
  return o.fullName.startsWith('.') ? o.fullName : `.${o.fullName}`;
}

function camel(name: string): string {
  return name.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, '');
}

function scalarOrNamed(type: string, resolved: protobuf.ReflectionObject | null): Obj {
  if (resolved instanceof protobuf.Type) return { type: TYPE_MESSAGE, typeName: qualified(resolved) };
  if (resolved instanceof protobuf.Enum) return { type: TYPE_ENUM, typeName: qualified(resolved) };
  const t = FIELD_TYPES[type];
  if (t === undefined) throw new Error(`cannot describe field type ${type}`);
  return { type: t };
}

function messageDescriptor(t: protobuf.Type, syntax: string): Obj {
  // Synthetic oneofs (proto3 `optional`) come after the real ones, as protoc orders them.
  const synthetic = (o: protobuf.OneOf) => o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional === true;
  const oneofs = [...t.oneofsArray.filter((o) => !synthetic(o)), ...t.oneofsArray.filter(synthetic)];
  const nestedType: Obj[] = [];
  const field = t.fieldsArray.map((f) => {
    const d: Obj = { name: f.name, number: f.id };
    if (f instanceof protobuf.MapField) {
      const entry = `${camel(f.name)}Entry`;
      nestedType.push({
        name: entry,
        field: [
          { name: 'key', number: 1, label: 1, ...scalarOrNamed(f.keyType, null) },
          { name: 'value', number: 2, label: 1, ...scalarOrNamed(f.type, f.resolvedType) },
        ],
        options: { mapEntry: true },
      });
      return { ...d, label: 3, type: TYPE_MESSAGE, typeName: `${qualified(t)}.${entry}` };
    }
    Object.assign(d, scalarOrNamed(f.type, f.resolvedType));
    d.label = f.repeated ? 3 : f.required ? 2 : 1;
    if (f.partOf) d.oneofIndex = oneofs.indexOf(f.partOf);
    if (f.options?.proto3_optional) d.proto3Optional = true;
    const def = f.options?.default as unknown;
    if (syntax === 'proto2' && def !== undefined) d.defaultValue = String(def);
    const options: Obj = {};
    if (f.options?.packed !== undefined) options.packed = f.options.packed === true || f.options.packed === 'true';
    if (f.options?.deprecated) options.deprecated = true;
    if (Object.keys(options).length) d.options = options;
    return d;
  });
  const nested = t.nestedArray;
  const reserved = (t.reserved ?? []) as Array<number[] | string>;
  return {
    name: t.name,
    field,
    nestedType: [...nested.filter((o): o is protobuf.Type => o instanceof protobuf.Type).map((n) => messageDescriptor(n, syntax)), ...nestedType],
    enumType: nested.filter((o): o is protobuf.Enum => o instanceof protobuf.Enum).map(enumDescriptor),
    oneofDecl: oneofs.map((o) => ({ name: o.name })),
    // Message reserved ranges end exclusive in a descriptor (inclusive in .proto text).
    reservedRange: reserved.filter((r): r is number[] => Array.isArray(r)).map(([start, end]) => ({ start, end: Math.min(end, MAX_FIELD_NUMBER) + 1 })),
    reservedName: reserved.filter((r): r is string => typeof r === 'string'),
  };
}

function enumDescriptor(e: protobuf.Enum): Obj {
  const reserved = (e.reserved ?? []) as Array<number[] | string>;
  return {
    name: e.name,
    value: Object.entries(e.values).map(([name, number]) => ({ name, number })),
    options: e.options?.allow_alias ? { allowAlias: true } : undefined,
    reservedRange: reserved.filter((r): r is number[] => Array.isArray(r)).map(([start, end]) => ({ start, end })),
    reservedName: reserved.filter((r): r is string => typeof r === 'string'),
  };
}

function serviceDescriptor(s: protobuf.Service): Obj {
  return {
    name: s.name,
    method: s.methodsArray.map((m) => {
      m.resolve();
      return {
        name: m.name,
        inputType: m.resolvedRequestType ? qualified(m.resolvedRequestType) : m.requestType,
        outputType: m.resolvedResponseType ? qualified(m.resolvedResponseType) : m.responseType,
        clientStreaming: m.requestStream || undefined,
        serverStreaming: m.responseStream || undefined,
      };
    }),
  };
}
