import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecordBatchHeader, type RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { DEFAULT_LOG_OPTIONS, type LogOptions } from '../../../src/log/index.js';

export interface TestBatch {
  buf: Buffer;
  header: RecordBatchHeader;
}

export interface BatchSpec {
  records?: number;
  valueSize?: number;
  timestamp?: bigint;
  producerId?: bigint;
  epoch?: number;
  seq?: number;
  /** Distinguishes batch contents so tests can tell which batch came back. */
  tag?: string;
}

export function makeBatch(spec: BatchSpec = {}): TestBatch {
  const n = spec.records ?? 1;
  const ts = spec.timestamp ?? 1_700_000_000_000n;
  const records = Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: Buffer.from(((spec.tag ?? '') + ':' + i).padEnd(spec.valueSize ?? 16, '.')),
    timestamp: ts + BigInt(i),
  }));
  const buf = encodeRecordBatch({
    records,
    producerId: spec.producerId,
    producerEpoch: spec.epoch,
    baseSequence: spec.seq,
  });
  return { buf, header: readRecordBatchHeader(buf) };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lakegate-log-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function opts(o: Partial<LogOptions> = {}): LogOptions {
  return { ...DEFAULT_LOG_OPTIONS, ...o };
}

/** Splits concatenated batches into their headers. */
export function headersIn(buf: Buffer): RecordBatchHeader[] {
  const out: RecordBatchHeader[] = [];
  for (let p = 0; p + 12 <= buf.length; ) {
    const h = readRecordBatchHeader(buf, p);
    out.push(h);
    p += h.length + 12;
  }
  return out;
}
