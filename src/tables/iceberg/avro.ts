/**
 * Avro object container files (Avro spec "Object Container Files") for manifests and
 * manifest lists, written and read synchronously in memory.
 *
 * avsc encodes and decodes the records, but the container is framed here so that the header's
 * `avro.schema` is exactly the schema JSON we pass in: Iceberg readers resolve manifest
 * fields by the `field-id` / `element-id` attributes of that header schema, and avsc drops
 * unknown attributes when it serializes a Type. Longs are bigint end to end (snapshot ids
 * are 63-bit), through a BigInt long type registered for every schema.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const SYNC_SIZE = 16;
const RECORDS_PER_BLOCK = 4096;

export type AvroCodec = 'null' | 'deflate';

/** avsc long type whose JS values are bigint (full 64-bit range). */
export const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(n);
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number | bigint),
  toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= -(2n ** 63n) && n < 2n ** 63n,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** An avsc Type for a schema, with bigint longs. A fresh registry per call keeps names apart. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: BIGINT_LONG } });
}

const LONG = avroType('long');
const META = avroType({ type: 'map', values: 'bytes' });

export interface AvroWriteOptions {
  codec?: AvroCodec;
  /** File metadata (`avro.schema` and `avro.codec` are added). */
  metadata?: Record<string, string>;
}

/** A complete container file holding `records`, with `schema` (raw JSON, attributes kept) in the header. */
export function writeAvroFile(schema: object, records: readonly unknown[], opts: AvroWriteOptions = {}): Buffer {
  const codec = opts.codec ?? 'deflate';
  const type = avroType(schema);
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(opts.metadata ?? {})) meta[k] = Buffer.from(v, 'utf8');
  meta['avro.schema'] = Buffer.from(JSON.stringify(schema), 'utf8');
  meta['avro.codec'] = Buffer.from(codec, 'utf8');
  const sync = randomBytes(SYNC_SIZE);
  const parts: Buffer[] = [MAGIC, META.toBuffer(meta), sync];
  for (let i = 0; i < records.length; i += RECORDS_PER_BLOCK) {
    const chunk = records.slice(i, i + RECORDS_PER_BLOCK);
    const encoded = Buffer.concat(
      chunk.map((r, j) => {
        const errors: string[] = [];
        if (!type.isValid(r, { errorHook: (path: string[]) => errors.push(path.join('.')) })) {
          throw new Error(`record ${i + j} does not match the Avro schema at: ${errors.join(', ')}`);
        }
        return type.toBuffer(r);
      }),
    );
    const data = codec === 'deflate' ? deflateRawSync(encoded) : encoded;
    parts.push(LONG.toBuffer(BigInt(chunk.length)), LONG.toBuffer(BigInt(data.length)), data, sync);
  }
  return Buffer.concat(parts);
}

export interface AvroFile {
  /** The header schema exactly as written (parsed JSON, attributes kept). */
  schema: unknown;
  metadata: Record<string, string>;
  records: unknown[];
}

/** Reads a container file written by anyone (null or deflate codec), decoding with its own schema. */
export function readAvroFile(buf: Buffer): AvroFile {
  if (buf.length < MAGIC.length + SYNC_SIZE || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new Error('not an Avro object container file');
  }
  const header = META.decode(buf, 4);
  if (header.offset < 0) throw new Error('truncated Avro header');
  const rawMeta = header.value as Record<string, Buffer>;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawMeta)) metadata[k] = v.toString('utf8');
  const schemaText = metadata['avro.schema'];
  if (schemaText === undefined) throw new Error('Avro header has no avro.schema');
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`unsupported Avro codec ${codec}`);
  const schema: unknown = JSON.parse(schemaText);
  const type = avroType(schema);
  let pos = header.offset;
  const sync = buf.subarray(pos, pos + SYNC_SIZE);
  pos += SYNC_SIZE;
  const records: unknown[] = [];
  while (pos < buf.length) {
    const count = LONG.decode(buf, pos);
    const size = LONG.decode(buf, count.offset);
    if (count.offset < 0 || size.offset < 0) throw new Error('truncated Avro block header');
    const start = size.offset;
    const end = start + Number(size.value as bigint);
    if (end + SYNC_SIZE > buf.length) throw new Error('truncated Avro block');
    const raw = buf.subarray(start, end);
    const data = codec === 'deflate' ? inflateRawSync(raw) : raw;
    let p = 0;
    for (let i = 0n; i < (count.value as bigint); i++) {
      const r = type.decode(data, p);
      if (r.offset < 0) throw new Error('truncated Avro record');
      records.push(r.value);
      p = r.offset;
    }
    if (!buf.subarray(end, end + SYNC_SIZE).equals(sync)) throw new Error('Avro sync marker mismatch');
    pos = end + SYNC_SIZE;
  }
  return { schema, metadata, records };
}

export type AvroSchema = Record<string, unknown> | string | unknown[];

/** A required Avro field carrying its Iceberg field id (which readers need in the header). */
export function requiredField(id: number, name: string, type: AvroSchema, doc?: string): Record<string, unknown> {
  return doc === undefined ? { name, type, 'field-id': id } : { name, type, doc, 'field-id': id };
}

/** An optional Avro field: a union with null, defaulting to null, with its Iceberg field id. */
export function optionalField(id: number, name: string, type: AvroSchema, doc?: string): Record<string, unknown> {
  const f: Record<string, unknown> = { name, type: ['null', type], default: null };
  if (doc !== undefined) f['doc'] = doc;
  f['field-id'] = id;
  return f;
}
