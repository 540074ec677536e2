/**
 * JSON Schema as a TypedFormat. The body (after magic byte and schema id) is the UTF-8 JSON
 * document. The image is the mapping in json-schema-image.ts; values are converted to the
 * avsc shape of the reader schema's image. JSON names its properties, so a document written
 * with any version reads as the reader: a property the reader lacks is ignored, one the
 * document lacks is null. Conversion is strict: a value of another JSON type, a fraction or
 * more than int64 for an integer, an unparsable date-time or date is a BodyProblem, never a
 * null or a rounded value. date-time is RFC 3339 with an offset (`T`, `t` or a space between
 * date and time); fraction digits past microseconds (at most nine in all) are truncated.
 */
import { MAX_AVRO_VALUE_BYTES } from '../schema-registry/avro-item-width.js';
import { JsonNumber, JsonSyntaxError, exactInteger, jsonText, parseJsonDocument, type JsonValue } from './json-document.js';
import { branchName, jsonSchemaImage, jsonSchemaShape, type JsonShape, type JsonSlot } from './json-schema-image.js';
import { setOwn } from './own-property.js';
import { parseIsoDate, parseIsoTimestampMicros } from './temporal.js';
import { BodyProblem, type FramedBodyReader, type SchemaText, type TypedFormat } from './typed-format.js';

/** Deeper documents are refused unread: real data does not nest like this, and it bounds the recursion. */
export const MAX_JSON_DEPTH = 64;

/** What temporal.ts leaves lenient (no offset, no seconds, a bare date), RFC 3339 requires. */
const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

class Mismatch extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function described(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (v instanceof JsonNumber) return `the number ${v.text.length > 40 ? `${v.text.slice(0, 40)}...` : v.text}`;
  return Array.isArray(v) ? 'an array' : 'an object';
}

function mismatch(path: string, expected: string, v: JsonValue): Mismatch {
  return new Mismatch(`${path}: expected ${expected}, found ${described(v)}`);
}

function convertSlot(slot: JsonSlot, v: JsonValue, path: string): unknown {
  if (v === null) {
    if (!slot.nullable) throw new Mismatch(`${path}: null where the schema allows none`);
    return null;
  }
  const value = convert(slot.shape, v, path);
  return slot.nullable ? { [branchName(slot.shape)]: value } : value;
}

function convert(shape: JsonShape, v: JsonValue, path: string): unknown {
  switch (shape.kind) {
    case 'long': {
      if (!(v instanceof JsonNumber)) throw mismatch(path, 'an integer', v);
      const n = exactInteger(v);
      if (n === 'fraction') throw mismatch(path, 'an integer', v);
      if (n === 'range') throw mismatch(path, 'an integer within 64 bits', v);
      return n;
    }
    case 'double': {
      const n = v instanceof JsonNumber ? Number(v.text) : NaN;
      if (!Number.isFinite(n)) throw mismatch(path, 'a number within double range', v);
      return n;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw mismatch(path, 'a boolean', v);
      return v;
    case 'string':
      if (typeof v !== 'string') throw mismatch(path, 'a string', v);
      return v;
    case 'timestamp': {
      const micros = typeof v === 'string' && RFC3339_DATE_TIME.test(v) ? parseIsoTimestampMicros(v) : undefined;
      if (micros === undefined) throw mismatch(path, 'an RFC 3339 date-time with an offset', v);
      return micros;
    }
    case 'date': {
      const days = typeof v === 'string' ? parseIsoDate(v) : undefined;
      if (days === undefined) throw mismatch(path, 'a date (YYYY-MM-DD)', v);
      return days;
    }
    case 'json':
      return jsonText(v);
    case 'record': {
      if (!(v instanceof Map)) throw mismatch(path, 'an object', v);
      const out: Record<string, unknown> = {};
      for (const f of shape.fields) {
        const value = v.get(f.property);
        setOwn(out, f.name, value === undefined || value === null ? null : convertSlot({ shape: f.shape, nullable: true }, value, `${path}.${f.property}`));
      }
      return out;
    }
    case 'array':
      if (!Array.isArray(v)) throw mismatch(path, 'an array', v);
      return v.map((item, i) => convertSlot(shape.items, item, `${path}[${i}]`));
    case 'map': {
      if (!(v instanceof Map)) throw mismatch(path, 'an object', v);
      const out: Record<string, unknown> = {};
      for (const [key, value] of v) setOwn(out, key, convertSlot(shape.values, value, `${path}[${JSON.stringify(key)}]`));
      return out;
    }
  }
}

class JsonSchemaBodyReader implements FramedBodyReader {
  private readonly shape: JsonShape;

  constructor(private readonly schemas: Record<number, SchemaText>, readerSchemaId: number) {
    const reader = schemas[readerSchemaId];
    if (!reader) throw new Error(`reader schema ${readerSchemaId} is not among the subject's versions`);
    this.shape = jsonSchemaShape(reader);
  }

  read(schemaId: number, body: Buffer): unknown {
    const writer = this.schemas[schemaId];
    if (!writer) return new BodyProblem(`schema id ${schemaId} is not a version of the topic's subject`);
    if (writer.schemaType !== 'JSON') return new BodyProblem(`schema id ${schemaId} is ${writer.schemaType}, not JSON Schema`);
    if (body.length > MAX_AVRO_VALUE_BYTES) return new BodyProblem(`JSON value of ${body.length} bytes is larger than the ${MAX_AVRO_VALUE_BYTES} bytes lakegate decodes`);
    let doc: JsonValue;
    try {
      doc = parseJsonDocument(utf8.decode(body), MAX_JSON_DEPTH);
    } catch (err) {
      if (err instanceof JsonSyntaxError) return new BodyProblem(`value is not JSON: ${err.message}`);
      return new BodyProblem('value is not UTF-8 text');
    }
    if (!(doc instanceof Map)) return new BodyProblem(`value is ${described(doc)}, not the JSON object the schema describes`);
    try {
      return convert(this.shape, doc, '$');
    } catch (err) {
      if (err instanceof Mismatch) return new BodyProblem(err.message);
      throw err;
    }
  }
}

export const jsonSchemaFormat: TypedFormat = {
  avroImage: jsonSchemaImage,
  bodyReader: (readerSchemaId, schemas) => new JsonSchemaBodyReader(schemas, readerSchemaId),
};
