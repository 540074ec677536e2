/** Fixture loading and batch surgery shared by the record tests (no tests in here). */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { KafkaError } from '../../../src/protocol/errors.js';
import { BatchLayout, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';

// dist/test/unit/records/support.js -> repository root
const ROOT = new URL('../../../../', import.meta.url);

export function fixture(path: string): Buffer {
  return readFileSync(new URL(`test/fixtures/record-batches/${path}`, ROOT));
}

export type ManifestValue = string | null | { length: number; sha256: string };

export interface ManifestBatch {
  size: number;
  baseOffset: string;
  lastOffset: string;
  partitionLeaderEpoch: number;
  crc: number;
  codec: number;
  timestampType: 'CreateTime' | 'LogAppendTime';
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
  control: boolean;
  count: number;
  records: Array<{
    offset: string;
    timestamp: string;
    key: string | null;
    value: ManifestValue;
    headers: Array<{ key: string; value: string | null }>;
  }>;
}

export function manifest(): Record<string, ManifestBatch> {
  return JSON.parse(fixture('manifest.json').toString('utf8')) as Record<string, ManifestBatch>;
}

/** After editing a batch: fix Length and CRC so the edit, not the framing, is what gets tested. */
export function reseal(batch: Buffer): Buffer {
  batch.writeInt32BE(batch.length - BatchLayout.LOG_OVERHEAD, BatchLayout.LENGTH);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchLayout.CRC);
  return batch;
}

export function assertKafkaError(fn: () => unknown, code: number, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `code for: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Deterministic PRNG (mulberry32) so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
