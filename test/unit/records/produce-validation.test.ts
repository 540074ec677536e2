import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { BatchAttributes, BatchLayout } from '../../../src/protocol/records/batch-header.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { validateProducedRecords } from '../../../src/protocol/records/produce-validation.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { assertKafkaError, fixture, reseal } from './support.js';

const LATEST = 9;
const idempotent = () => Buffer.from(fixture('java-gzip.bin')); // producerId 1234, baseSequence 42
const edited = (edit: (b: Buffer) => void, resealed = true) => {
  const b = idempotent();
  edit(b);
  return resealed ? reseal(b) : b;
};

test('accepts every data batch the Java client wrote and returns its header', () => {
  for (const name of ['java-none', 'java-gzip', 'java-snappy', 'java-lz4', 'java-zstd', 'java-none-log-append-time', 'raw-snappy']) {
    const header = validateProducedRecords(fixture(`${name}.bin`), LATEST);
    assert.equal(header.producerId, 1234n, name);
    assert.equal(header.baseSequence, 42, name);
  }
  const plain = validateProducedRecords(encodeRecordBatch({ records: [{ value: Buffer.from('x') }] }), 3);
  assert.equal(plain.producerId, -1n);
  assert.equal(plain.recordsCount, 1);
});

test('no complete batch (empty, short, truncated) is INVALID_RECORD, as Kafka\'s batch iterator finds none', () => {
  const batch = idempotent();
  assertKafkaError(() => validateProducedRecords(Buffer.alloc(0), LATEST), ErrorCode.INVALID_RECORD, /at least one/);
  assertKafkaError(() => validateProducedRecords(batch.subarray(0, 11), LATEST), ErrorCode.INVALID_RECORD, /at least one/);
  assertKafkaError(() => validateProducedRecords(batch.subarray(0, 16), LATEST), ErrorCode.INVALID_RECORD, /at least one/);
  assertKafkaError(() => validateProducedRecords(batch.subarray(0, batch.length - 1), LATEST), ErrorCode.INVALID_RECORD, /at least one/);
  const longer = edited((b) => b.writeInt32BE(b.length, BatchLayout.LENGTH), false);
  assertKafkaError(() => validateProducedRecords(longer, LATEST), ErrorCode.INVALID_RECORD, /at least one/);
});

test('a Length below the minimum record overhead is CORRUPT_MESSAGE', () => {
  const b = edited((x) => x.writeInt32BE(13, BatchLayout.LENGTH), false);
  assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.CORRUPT_MESSAGE, /minimum record overhead/);
  const negative = edited((x) => x.writeInt32BE(-1, BatchLayout.LENGTH), false);
  assertKafkaError(() => validateProducedRecords(negative, LATEST), ErrorCode.CORRUPT_MESSAGE);
});

test('magic 0 or 1 is INVALID_RECORD; a magic outside 0..2 is CORRUPT_MESSAGE', () => {
  for (const magic of [0, 1]) {
    const b = edited((x) => (x[BatchLayout.MAGIC] = magic), false);
    assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.INVALID_RECORD, /magic version 2/);
  }
  for (const magic of [3, 0xff]) {
    const b = edited((x) => (x[BatchLayout.MAGIC] = magic), false);
    assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.CORRUPT_MESSAGE, /invalid magic/);
  }
});

test('zstd before Produce v7 is UNSUPPORTED_COMPRESSION_TYPE', () => {
  const zstd = fixture('java-zstd.bin');
  for (const version of [3, 4, 5, 6]) {
    assertKafkaError(() => validateProducedRecords(zstd, version), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, /ZStandard/);
  }
  assert.equal(validateProducedRecords(zstd, 7).recordsCount, 5);
  assert.equal(validateProducedRecords(fixture('java-lz4.bin'), 3).recordsCount, 5);
});

test('a second complete batch is INVALID_RECORD; any other trailing bytes are CORRUPT_MESSAGE', () => {
  const one = idempotent();
  assertKafkaError(() => validateProducedRecords(Buffer.concat([one, one]), LATEST), ErrorCode.INVALID_RECORD, /exactly one/);
  assertKafkaError(() => validateProducedRecords(Buffer.concat([one, Buffer.alloc(5)]), LATEST), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => validateProducedRecords(Buffer.concat([one, one.subarray(0, 70)]), LATEST), ErrorCode.CORRUPT_MESSAGE, /Length says/);
  const shorter = edited((b) => b.writeInt32BE(b.length - 13, BatchLayout.LENGTH), false);
  assertKafkaError(() => validateProducedRecords(shorter, LATEST), ErrorCode.CORRUPT_MESSAGE);
});

test('a complete batch smaller than the 61-byte header is CORRUPT_MESSAGE', () => {
  const small = idempotent().subarray(0, 40);
  small.writeInt32BE(28, BatchLayout.LENGTH);
  assertKafkaError(() => validateProducedRecords(small, LATEST), ErrorCode.CORRUPT_MESSAGE, /minimum allowed overhead 61/);
});

test('a non-zero BaseOffset is INVALID_RECORD', () => {
  const b = edited((x) => x.writeBigInt64BE(5n, BatchLayout.BASE_OFFSET), false);
  assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.INVALID_RECORD, /baseOffset/);
});

test('a CRC mismatch is CORRUPT_MESSAGE', () => {
  const b = edited((x) => (x[x.length - 1] ^= 1), false);
  assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.CORRUPT_MESSAGE, /crc/);
  const attrs = edited((x) => x.writeInt16BE(CompressionCodec.Snappy, BatchLayout.ATTRIBUTES), false);
  assertKafkaError(() => validateProducedRecords(attrs, LATEST), ErrorCode.CORRUPT_MESSAGE, /crc/);
});

test('unknown codec ids 5-7 are CORRUPT_MESSAGE', () => {
  for (const codec of [5, 6, 7]) {
    const b = edited((x) => x.writeInt16BE(codec, BatchLayout.ATTRIBUTES));
    assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.CORRUPT_MESSAGE, new RegExp(`unknown compression codec id ${codec}`));
  }
});

test('offset range and record count must agree: INVALID_RECORD', () => {
  const negative = edited((x) => x.writeInt32BE(-1, BatchLayout.LAST_OFFSET_DELTA));
  assertKafkaError(() => validateProducedRecords(negative, LATEST), ErrorCode.INVALID_RECORD, /invalid offset range/);
  for (const count of [0, -3]) {
    const b = edited((x) => x.writeInt32BE(count, BatchLayout.RECORDS_COUNT));
    assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.INVALID_RECORD, /invalid reported count/);
  }
  const mismatch = edited((x) => x.writeInt32BE(4, BatchLayout.RECORDS_COUNT));
  assertKafkaError(() => validateProducedRecords(mismatch, LATEST), ErrorCode.INVALID_RECORD, /inconsistent batch offset range/);
});

test('control batches are INVALID_RECORD (the Java client\'s own COMMIT marker)', () => {
  assertKafkaError(() => validateProducedRecords(fixture('java-control-commit.bin'), LATEST), ErrorCode.INVALID_RECORD, /control records/);
});

test('a producer id without a base sequence is INVALID_RECORD', () => {
  const b = edited((x) => x.writeInt32BE(-1, BatchLayout.BASE_SEQUENCE));
  assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.INVALID_RECORD, /invalid sequence number -1/);
});

test('transactional batches are INVALID_RECORD until lakegate has transactions', () => {
  const b = edited((x) => x.writeInt16BE(x.readInt16BE(BatchLayout.ATTRIBUTES) | BatchAttributes.TRANSACTIONAL, BatchLayout.ATTRIBUTES));
  assertKafkaError(() => validateProducedRecords(b, LATEST), ErrorCode.INVALID_RECORD, /transactions/);
});

test('arbitrary bytes only ever raise KafkaError', () => {
  const one = idempotent();
  for (let cut = 0; cut <= one.length + 20; cut += 7) {
    const input = cut <= one.length ? one.subarray(0, cut) : Buffer.concat([one, Buffer.alloc(cut - one.length, 0xff)]);
    try {
      validateProducedRecords(input, LATEST);
    } catch (err) {
      assert.equal((err as Error).name, 'KafkaError', String(err));
    }
  }
});
