import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { BatchAttributes, BatchLayout, hasValidCrc } from '../../../src/protocol/records/batch-header.js';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  iterateBatches,
  type KafkaRecord,
  type RecordInput,
} from '../../../src/protocol/records/records.js';
import { assertKafkaError, fixture, manifest, prng, reseal, type ManifestBatch, type ManifestValue } from './support.js';

const expected = manifest();
const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));

function assertValue(actual: Buffer | null, want: ManifestValue, where: string): void {
  if (want === null || typeof want === 'string') {
    assert.equal(hex(actual), want, where);
  } else {
    assert.ok(actual, where);
    assert.equal(actual.length, want.length, where);
    assert.equal(createHash('sha256').update(actual).digest('hex'), want.sha256, where);
  }
}

/** Everything Java's reader saw in the batch, field by field. */
function assertMatchesJava(batch: Buffer, want: ManifestBatch, name: string, sameBytes = true): KafkaRecord[] {
  const { header, records } = decodeRecordBatch(batch);
  if (sameBytes) {
    assert.equal(batch.length, want.size, name);
    assert.equal(header.crc, want.crc, name);
    assert.equal(header.attributes & BatchAttributes.COMPRESSION_MASK, want.codec, name);
  }
  assert.equal(header.baseOffset, BigInt(want.baseOffset), name);
  assert.equal(header.baseOffset + BigInt(header.lastOffsetDelta), BigInt(want.lastOffset), name);
  assert.equal(header.partitionLeaderEpoch, want.partitionLeaderEpoch, name);
  assert.equal(header.magic, 2, name);
  assert.equal((header.attributes & BatchAttributes.LOG_APPEND_TIME) !== 0, want.timestampType === 'LogAppendTime', name);
  assert.equal((header.attributes & BatchAttributes.TRANSACTIONAL) !== 0, want.transactional, name);
  assert.equal((header.attributes & BatchAttributes.CONTROL) !== 0, want.control, name);
  assert.equal(header.maxTimestamp, BigInt(want.maxTimestamp), name);
  assert.equal(header.producerId, BigInt(want.producerId), name);
  assert.equal(header.producerEpoch, want.producerEpoch, name);
  assert.equal(header.baseSequence, want.baseSequence, name);
  assert.equal(header.recordsCount, want.count, name);
  assert.equal(records.length, want.records.length, name);
  records.forEach((r, i) => {
    const w = want.records[i];
    const where = `${name} record ${i}`;
    assert.equal(r.offset, BigInt(w.offset), where);
    assert.equal(r.timestamp, BigInt(w.timestamp), where);
    assert.equal(hex(r.key), w.key, where);
    assertValue(r.value, w.value, where);
    assert.deepEqual(
      r.headers.map((h) => ({ key: Buffer.from(h.key, 'utf8').toString('hex'), value: hex(h.value) })),
      w.headers,
      where,
    );
  });
  return records;
}

function asInput(records: KafkaRecord[]): RecordInput[] {
  return records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }));
}

const javaFixtures = Object.keys(expected);

test('decodes every batch the Java client wrote, field by field', () => {
  assert.ok(javaFixtures.length >= 8);
  for (const name of javaFixtures) assertMatchesJava(fixture(`${name}.bin`), expected[name], name);
});

test('fixture records cover null keys, null values, empty values, headers and negative deltas', () => {
  const records = decodeRecordBatch(fixture('java-none.bin')).records;
  assert.equal(records[1].key, null);
  assert.equal(records[2].value, null);
  assert.equal(records[3].value?.length, 0);
  assert.deepEqual(records[3].headers.map((h) => h.key), ['trace-id', 'empty', 'null-valued', 'ünïcode']);
  assert.equal(records[3].headers[2].value, null);
  assert.ok(records[4].timestamp < records[0].timestamp);
});

test('decodes a raw (unframed) snappy batch as librdkafka and franz-go send it', () => {
  const batch = fixture('raw-snappy.bin');
  assert.notEqual(batch.readUInt32BE(BatchLayout.RECORDS), 0x82534e41, 'not xerial framed');
  assertMatchesJava(batch, expected['java-none'], 'raw-snappy', false);
});

test('LogAppendTime batches give every record the batch MaxTimestamp', () => {
  const { records } = decodeRecordBatch(fixture('java-none-log-append-time.bin'));
  for (const r of records) assert.equal(r.timestamp, 1700000000999n);
});

test('encoding the Java records with no compression reproduces Java\'s bytes exactly', () => {
  const java = fixture('java-none.bin');
  const ours = encodeRecordBatch({
    records: asInput(decodeRecordBatch(java).records),
    producerId: 1234n,
    producerEpoch: 3,
    baseSequence: 42,
    partitionLeaderEpoch: 7,
  });
  assert.ok(ours.equals(java));
  const javaLat = fixture('java-none-log-append-time.bin');
  const original = decodeRecordBatch(java).records.slice(0, 4);
  const oursLat = encodeRecordBatch({
    records: asInput(original),
    producerId: 1234n,
    producerEpoch: 3,
    baseSequence: 42,
    partitionLeaderEpoch: 7,
    logAppendTime: 1700000000999n,
  });
  assert.ok(oursLat.equals(javaLat));
});

test('encode/decode round trip per codec keeps every field', () => {
  const records = asInput(decodeRecordBatch(fixture('java-none.bin')).records);
  for (const codec of [0, 1, 2, 3, 4]) {
    const batch = encodeRecordBatch({ records, codec, baseOffset: 0n, producerId: 1234n, producerEpoch: 3, baseSequence: 42, partitionLeaderEpoch: 7 });
    assert.ok(hasValidCrc(batch));
    assert.equal(batch.readInt32BE(BatchLayout.LENGTH), batch.length - 12);
    assertMatchesJava(batch, { ...expected['java-none'], codec }, `codec ${codec}`, false);
    assert.equal(batch.readInt16BE(BatchLayout.ATTRIBUTES), codec);
  }
});

test('encode defaults: no producer, offsets from baseOffset, timestamps now, LastOffsetDelta and MaxTimestamp', () => {
  const before = BigInt(Date.now());
  const batch = encodeRecordBatch({
    baseOffset: 500n,
    records: [{ value: Buffer.from('a'), timestamp: 10n }, { value: null, timestamp: 30n }, { key: Buffer.from('k'), value: Buffer.from('c'), timestamp: 20n }],
  });
  const { header, records } = decodeRecordBatch(batch);
  assert.equal(header.producerId, -1n);
  assert.equal(header.producerEpoch, -1);
  assert.equal(header.baseSequence, -1);
  assert.equal(header.partitionLeaderEpoch, -1);
  assert.equal(header.lastOffsetDelta, 2);
  assert.equal(header.baseTimestamp, 10n);
  assert.equal(header.maxTimestamp, 30n);
  assert.deepEqual(records.map((r) => r.offset), [500n, 501n, 502n]);
  assert.deepEqual(records.map((r) => r.timestamp), [10n, 30n, 20n]);
  const stamped = decodeRecordBatch(encodeRecordBatch({ records: [{ value: null }], logAppendTime: true }));
  assert.ok(stamped.header.maxTimestamp >= before);
  assert.ok(stamped.header.attributes & BatchAttributes.LOG_APPEND_TIME);
  assert.throws(() => encodeRecordBatch({ records: [] }), RangeError);
});

test('a CRC mismatch is CORRUPT_MESSAGE', () => {
  const batch = Buffer.from(fixture('java-gzip.bin'));
  batch[batch.length - 1] ^= 0xff;
  assert.equal(hasValidCrc(batch), false);
  assertKafkaError(() => decodeRecordBatch(batch), ErrorCode.CORRUPT_MESSAGE, /CRC/);
});

test('framing errors are CORRUPT_MESSAGE', () => {
  const batch = fixture('java-none-log-append-time.bin');
  assertKafkaError(() => decodeRecordBatch(batch.subarray(0, 60)), ErrorCode.CORRUPT_MESSAGE, /61-byte/);
  assertKafkaError(() => decodeRecordBatch(batch.subarray(0, batch.length - 1)), ErrorCode.CORRUPT_MESSAGE, /Length/);
  assertKafkaError(() => decodeRecordBatch(Buffer.concat([batch, Buffer.alloc(1)])), ErrorCode.CORRUPT_MESSAGE, /Length/);
  const magic1 = Buffer.from(batch);
  magic1[BatchLayout.MAGIC] = 1;
  assertKafkaError(() => decodeRecordBatch(magic1), ErrorCode.CORRUPT_MESSAGE, /magic/);
  const codec7 = Buffer.from(batch);
  codec7.writeInt16BE(7, BatchLayout.ATTRIBUTES);
  assertKafkaError(() => decodeRecordBatch(reseal(codec7)), ErrorCode.CORRUPT_MESSAGE, /unknown compression codec id 7/);
  const fewer = Buffer.from(batch);
  fewer.writeInt32BE(3, BatchLayout.RECORDS_COUNT);
  assertKafkaError(() => decodeRecordBatch(reseal(fewer)), ErrorCode.CORRUPT_MESSAGE, /bytes after/);
  const more = Buffer.from(batch);
  more.writeInt32BE(5, BatchLayout.RECORDS_COUNT);
  assertKafkaError(() => decodeRecordBatch(reseal(more)), ErrorCode.CORRUPT_MESSAGE, /declares 5 records but holds 4/);
});

test('record-level lengths are checked against the bytes left', () => {
  const one = encodeRecordBatch({ records: [{ key: Buffer.from('kk'), value: Buffer.from('vvvv'), timestamp: 1n }] });
  // Record region: length, attrs, tsDelta, offsetDelta, keyLen, 'kk', valueLen, 'vvvv', headerCount
  const at = BatchLayout.RECORDS;
  const edit = (offset: number, byte: number) => {
    const b = Buffer.from(one);
    b[at + offset] = byte;
    return reseal(b);
  };
  assertKafkaError(() => decodeRecordBatch(edit(0, 0x7e)), ErrorCode.CORRUPT_MESSAGE, /record length/);
  assertKafkaError(() => decodeRecordBatch(edit(4, 0x7e)), ErrorCode.CORRUPT_MESSAGE, /key of 63 bytes/);
  assertKafkaError(() => decodeRecordBatch(edit(4, 0x05)), ErrorCode.CORRUPT_MESSAGE, /key length -3/);
  assertKafkaError(() => decodeRecordBatch(edit(7, 0x0c)), ErrorCode.CORRUPT_MESSAGE, /value of 6 bytes/);
  assertKafkaError(() => decodeRecordBatch(edit(12, 0x01)), ErrorCode.CORRUPT_MESSAGE, /header count -1/);
  assertKafkaError(() => decodeRecordBatch(edit(12, 0x02)), ErrorCode.CORRUPT_MESSAGE, /header key length/);
});

test('truncated and mutated records never crash with anything but KafkaError', () => {
  const rand = prng(42);
  const sources = ['java-none-log-append-time', 'java-gzip', 'java-snappy', 'java-lz4', 'java-zstd'].map((n) => fixture(`${n}.bin`));
  sources.push(fixture('raw-snappy.bin'));
  let rejected = 0;
  for (const source of sources) {
    const cuts = source.length < 400 ? source.length : 150;
    for (let i = 0; i < cuts; i++) {
      const cut = source.length < 400 ? i : Math.floor(rand() * source.length);
      const truncated = Buffer.from(source.subarray(0, Math.max(BatchLayout.RECORDS, cut)));
      for (const input of [truncated, reseal(Buffer.from(truncated))]) {
        try {
          decodeRecordBatch(input, { maxUncompressedBytes: 1 << 20 });
        } catch (err) {
          assert.ok(err instanceof KafkaError, String(err));
          rejected++;
        }
      }
    }
    for (let i = 0; i < 150; i++) {
      const b = Buffer.from(source);
      const n = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < n; k++) b[BatchLayout.RECORDS + Math.floor(rand() * (b.length - BatchLayout.RECORDS))] = Math.floor(rand() * 256);
      try {
        decodeRecordBatch(reseal(b), { maxUncompressedBytes: 1 << 20 });
      } catch (err) {
        assert.ok(err instanceof KafkaError, String(err));
        rejected++;
      }
    }
  }
  assert.ok(rejected > 500);
});

test('decodeRecordBatch honours the decompression-bomb limit', () => {
  const bomb = encodeRecordBatch({ codec: CompressionCodec.Zstd, records: [{ value: Buffer.alloc(16 * 1024 * 1024) }] });
  assert.ok(bomb.length < 4096);
  assertKafkaError(() => decodeRecordBatch(bomb, { maxUncompressedBytes: 1024 * 1024 }), ErrorCode.CORRUPT_MESSAGE, /limit/);
  assert.equal(decodeRecordBatch(bomb, { maxUncompressedBytes: 32 * 1024 * 1024 }).records[0].value?.length, 16 * 1024 * 1024);
});

test('iterateBatches walks concatenated batches and stops at an incomplete tail', () => {
  const parts = ['java-none', 'java-gzip', 'java-control-commit', 'java-zstd'].map((n) => fixture(`${n}.bin`));
  const all = Buffer.concat([...parts, parts[1].subarray(0, 100)]);
  const found = [...iterateBatches(all)];
  let position = 0;
  assert.deepEqual(found, parts.map((p) => { const at = { position, size: p.length }; position += p.length; return at; }));
  assert.deepEqual([...iterateBatches(all.subarray(0, parts[0].length + 5))], [{ position: 0, size: parts[0].length }]);
  assert.deepEqual([...iterateBatches(Buffer.alloc(0))], []);
  const tiny = Buffer.from(parts[2]);
  tiny.writeInt32BE(20, BatchLayout.LENGTH);
  assertKafkaError(() => [...iterateBatches(tiny)], ErrorCode.CORRUPT_MESSAGE, /less than a batch header/);
});
