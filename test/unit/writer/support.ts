/** Segment files, tasks and Parquet read-back shared by the writer tests (no tests in here). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { encodeRecordBatch, type EncodeBatchInput } from '../../../src/protocol/records/records.js';
import { systemColumns, type Column, type RowSchema } from '../../../src/writer/schema.js';
import type { JsonColumnSpec, MaterializeTask } from '../../../src/writer/task.js';

const require = createRequire(import.meta.url);
const zstd = require('zstd-napi') as { decompress(b: Buffer): Buffer };

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'lakegate-writer-'));
}

export interface SegmentLayout {
  path: string;
  /** Position and size of each batch in the file. */
  batches: { position: number; size: number }[];
  length: number;
  /** The first batch's base offset and the last batch's last offset, as written. */
  firstOffset: bigint;
  lastOffset: bigint;
}

/** Writes the batches back to back (after `prefix` junk bytes) like a log segment. */
export function writeSegment(dir: string, inputs: EncodeBatchInput[], prefix = 0): SegmentLayout {
  const parts: Buffer[] = [Buffer.alloc(prefix, 0xee)];
  const batches: { position: number; size: number }[] = [];
  let position = prefix;
  for (const input of inputs) {
    const b = encodeRecordBatch(input);
    batches.push({ position, size: b.length });
    parts.push(b);
    position += b.length;
  }
  const file = path.join(dir, '00000000000000000000.log');
  writeFileSync(file, Buffer.concat(parts));
  const firstOffset = inputs[0]?.baseOffset ?? 0n;
  const lastInput = inputs.at(-1);
  const lastOffset = lastInput ? (lastInput.baseOffset ?? 0n) + BigInt(lastInput.records.length) - 1n : -1n;
  return { path: file, batches, length: position - prefix, firstOffset, lastOffset };
}

export function rawSchema(): RowSchema {
  return { schemaId: 0, columns: [...systemColumns(), { id: 9, name: 'value', required: false, type: { kind: 'primitive', type: 'binary' } }] };
}

export function jsonSchema(specs: JsonColumnSpec[]): RowSchema {
  const typed: Column[] = specs.map((s) => ({ id: s.fieldId, name: s.name, required: false, type: { kind: 'primitive', type: s.type } }));
  return {
    schemaId: 1,
    columns: [...systemColumns(), { id: 9, name: 'value', required: false, type: { kind: 'primitive', type: 'string' } }, ...typed],
  };
}

/** A task over the whole segment, its offsets exactly those the segment holds (as the materializer plans them). */
export function task(segment: SegmentLayout, outputDir: string, overrides: Partial<MaterializeTask> = {}): MaterializeTask {
  return {
    topic: 't',
    partition: 3,
    segmentPath: segment.path,
    position: segment.batches[0]?.position ?? 0,
    length: segment.length,
    fromOffset: segment.firstOffset,
    toOffset: segment.lastOffset,
    schema: rawSchema(),
    valueFormat: 'raw',
    jsonColumns: [],
    partitionBy: 'none',
    outputDir,
    filePrefix: 'f',
    ...overrides,
  };
}

export type Row = Record<string, unknown>;

function fileBuffer(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

/** Rows as hyparquet sees them, with timestamps as raw micros (bigint). */
export async function readRows(file: string): Promise<Row[]> {
  return (await parquetReadObjects({
    file: fileBuffer(file),
    compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstd.decompress(Buffer.from(input))) },
    utf8: false,
    parsers: { timestampFromMicroseconds: (v: bigint) => v, dateFromDays: (v: number) => v },
  } as Parameters<typeof parquetReadObjects>[0])) as Row[];
}

export function footer(file: string): ReturnType<typeof parquetMetadata> {
  return parquetMetadata(fileBuffer(file));
}

/** Dotted path -> field_id of every schema element that has one. */
export function fieldIds(file: string): Map<string, number> {
  const { schema } = footer(file);
  const out = new Map<string, number>();
  const walk = (i: number, prefix: string): number => {
    const el = schema[i];
    const name = prefix ? `${prefix}.${el.name}` : el.name;
    if (el.field_id !== undefined) out.set(name, el.field_id);
    let next = i + 1;
    for (let k = 0; k < (el.num_children ?? 0); k++) next = walk(next, name);
    return next;
  };
  let next = 1;
  for (let k = 0; k < (schema[0].num_children ?? 0); k++) next = walk(next, '');
  return out;
}

/** A deterministic pseudo-random generator for reproducible data. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
