/**
 * One decoder per registered schema: a function that throws a RecordProblem when a value's
 * payload (what follows the schema id) does not decode against the schema. Built from the
 * registry's resolved schema (references included) with the same parsers the registry uses,
 * so a schema the registry accepted is a schema that can check values.
 */
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import protobuf from 'protobufjs';
import { avroHandler } from '../schema-registry/avro.js';
import { MAX_AVRO_VALUE_BYTES, zeroWidthItems } from '../schema-registry/avro-item-width.js';
import { protobufHandler } from '../schema-registry/protobuf.js';
import type { ResolvedSchema } from '../schema-registry/types.js';
import { wireTypeProblem } from './protobuf-wire-types.js';
import { RecordProblem, readMessageIndexes } from './wire-format.js';

export type ValueDecoder = (body: Buffer) => void;

/** Builds the decoder; throws an Error when the stored schema cannot be compiled. */
export function buildValueDecoder(schema: ResolvedSchema): ValueDecoder {
  switch (schema.schemaType) {
    case 'AVRO':
      return avroDecoder(schema);
    case 'PROTOBUF':
      return protobufDecoder(schema);
    case 'JSON':
      return jsonDecoder(schema);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function avroDecoder(schema: ResolvedSchema): ValueDecoder {
  const { type } = avroHandler.parse(schema);
  if (zeroWidthItems(type)) {
    // Decoding could exhaust the worker's heap and abort the process (avro-item-width.ts);
    // the table writer refuses such values too, so they could never become rows.
    return () => {
      throw new RecordProblem('the schema has an array or map whose items take no bytes; its values are refused (a few bytes could claim billions of items)');
    };
  }
  return (body) => {
    if (body.length > MAX_AVRO_VALUE_BYTES) {
      throw new RecordProblem(`the Avro value is ${body.length} bytes, over the ${MAX_AVRO_VALUE_BYTES}-byte limit`);
    }
    try {
      // fromBuffer refuses both a truncated payload and bytes left after the value.
      type.fromBuffer(body);
    } catch (err) {
      throw new RecordProblem(`value does not decode as Avro ${type.name ?? type.typeName}: ${reason(err)}`);
    }
  };
}

function protobufDecoder(schema: ResolvedSchema): ValueDecoder {
  const proto = protobufHandler.parse(schema);
  const topLevel = [...proto.messages.values()].filter((t) => !(t.parent instanceof protobuf.Type));
  return (body) => {
    const { indexes, payload } = readMessageIndexes(body);
    const type = selectMessage(topLevel, indexes);
    const wrongWire = wireTypeProblem(type, payload);
    if (wrongWire) throw new RecordProblem(`value does not decode as Protobuf ${type.fullName.replace(/^\./, '')}: ${wrongWire}`);
    try {
      // A plain Uint8Array gets protobufjs' bounds-checked Reader; its Buffer reader clamps a
      // string or bytes field that runs past the end instead of failing.
      type.decode(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
    } catch (err) {
      throw new RecordProblem(`value does not decode as Protobuf ${type.fullName.replace(/^\./, '')}: ${reason(err)}`);
    }
  };
}

/** The message the indexes name: the first into the file's messages, the rest into nested ones. */
function selectMessage(topLevel: protobuf.Type[], indexes: number[]): protobuf.Type {
  let candidates = topLevel;
  let type: protobuf.Type | undefined;
  for (const index of indexes) {
    type = candidates[index];
    if (!type) throw new RecordProblem(`Protobuf message indexes [${indexes.join(', ')}] name no message of the schema`);
    candidates = type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
  }
  return type!;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
type AjvInstance = Ajv | Ajv2019 | Ajv2020;
const addFormats = (ajvFormats as unknown as { default: (ajv: AjvInstance) => unknown }).default;

/** The validator class for the draft the schema declares; draft-07 when it declares none. */
function ajvFor(root: unknown): AjvInstance {
  const declared = root && typeof root === 'object' ? String((root as AnySchemaObject).$schema ?? '') : '';
  // strict off: Confluent schemas carry annotations ajv does not know; validateSchema off:
  // the registry already accepted the schema, and older drafts' meta-schemas are not bundled.
  const options = { strict: false, validateSchema: false, allErrors: false, logger: false } as const;
  const ajv = declared.includes('2020-12') ? new Ajv2020(options) : declared.includes('2019-09') ? new Ajv2019(options) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

/** Every referenced document, by the reference name $refs use, dependencies included. */
function collectReferences(schema: ResolvedSchema, into: Map<string, unknown>): void {
  for (const [name, dep] of schema.dependencies) {
    if (into.has(name)) continue;
    into.set(name, withoutDraft(JSON.parse(dep.schema)));
    collectReferences(dep, into);
  }
}

/** $schema is only a draft marker here (the instance is chosen by it); ajv would look it up. */
function withoutDraft(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const { $schema: _ignored, ...rest } = doc as AnySchemaObject;
  return rest;
}

function jsonDecoder(schema: ResolvedSchema): ValueDecoder {
  const root = JSON.parse(schema.schema) as unknown;
  const ajv = ajvFor(root);
  const references = new Map<string, unknown>();
  collectReferences(schema, references);
  for (const [name, doc] of references) ajv.addSchema(doc as AnySchemaObject, name);
  const validate = ajv.compile(withoutDraft(root) as AnySchemaObject) as ValidateFunction;
  return (body) => {
    let doc: unknown;
    try {
      doc = JSON.parse(utf8.decode(body));
    } catch (err) {
      throw new RecordProblem(`value is not UTF-8 JSON: ${reason(err)}`);
    }
    if (!validate(doc)) throw new RecordProblem(`value does not match its JSON schema: ${ajv.errorsText(validate.errors, { dataVar: 'value' })}`);
  };
}
