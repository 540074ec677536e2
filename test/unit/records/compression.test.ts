import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { compressSync as rawSnappy } from 'snappy';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CompressionCodec, compress, decompress } from '../../../src/protocol/records/compression/index.js';
import { assertKafkaError, fixture, prng } from './support.js';

const plain = fixture('codecs/plain.txt');
const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

test('codec ids are Kafka\'s', () => {
  assert.deepEqual(CompressionCodec, { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 });
});

test('every codec round-trips, including empty input', () => {
  for (const codec of [CompressionCodec.None, ...codecs]) {
    assert.ok(decompress(codec, compress(codec, plain)).equals(plain), `codec ${codec}`);
    assert.equal(decompress(codec, compress(codec, Buffer.alloc(0))).length, 0, `codec ${codec} empty`);
  }
});

test('lz4: every frame variant the reference lz4 tool writes', () => {
  for (const name of ['linked-blocks', 'block-checksums', 'content-size', 'no-content-checksum', '4mb-all-flags']) {
    assert.ok(decompress(CompressionCodec.Lz4, fixture(`codecs/lz4-${name}.lz4`)).equals(plain), name);
  }
});

test('lz4: concatenated frames and skippable frames', () => {
  const linked = fixture('codecs/lz4-linked-blocks.lz4');
  const sized = fixture('codecs/lz4-content-size.lz4');
  const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 0x03, 0, 0, 0, 1, 2, 3]);
  const out = decompress(CompressionCodec.Lz4, Buffer.concat([skippable, linked, skippable, sized]));
  assert.ok(out.equals(Buffer.concat([plain, plain])));
});

test('lz4: compress writes the frame shape Java\'s Lz4BlockInputStream requires', () => {
  const frame = compress(CompressionCodec.Lz4, plain);
  assert.equal(frame.readUInt32LE(0), 0x184d2204);
  assert.equal(frame[4], 0x60, 'FLG: version 01, independent blocks, no checksums, no content size');
});

test('lz4: malformed frames are CORRUPT_MESSAGE', () => {
  const good = fixture('codecs/lz4-content-size.lz4');
  const bad = (edit: (b: Buffer) => Buffer, message: RegExp) =>
    assertKafkaError(() => decompress(CompressionCodec.Lz4, edit(Buffer.from(good))), ErrorCode.CORRUPT_MESSAGE, message);
  bad((b) => { b[0] ^= 1; return b; }, /magic/);
  bad((b) => { b[4] = 0x80 | (b[4] & 0x3f); return b; }, /flags/);
  bad((b) => { b[4] |= 0x01; return b; }, /dictionary/);
  bad((b) => { b[5] = 0x30; return b; }, /descriptor/);
  bad((b) => { b.writeBigUInt64LE(5n, 6); return b; }, /declares 5 bytes/);
  bad((b) => b.subarray(0, b.length - 3), /truncated/);
  bad((b) => b.subarray(0, 40), /truncated/);
  bad((b) => { b.writeUInt32LE(0x7fffffff, 15); return b; }, /exceeds/);
  assertKafkaError(() => decompress(CompressionCodec.Lz4, Buffer.alloc(0)), ErrorCode.CORRUPT_MESSAGE);
});

test('zstd: with and without content size, several frames, skippable frames', () => {
  const sized = fixture('codecs/zstd-content-size.zst');
  const unsized = fixture('codecs/zstd-no-content-size.zst');
  assert.equal(unsized[4] & 0xc0, 0, 'fixture really has no content size');
  assert.ok(decompress(CompressionCodec.Zstd, sized).equals(plain));
  assert.ok(decompress(CompressionCodec.Zstd, unsized).equals(plain));
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0x02, 0, 0, 0, 0x68, 0x69]);
  const out = decompress(CompressionCodec.Zstd, Buffer.concat([skippable, sized, unsized]));
  assert.ok(out.equals(Buffer.concat([plain, plain])));
});

test('zstd: truncated or garbage input is CORRUPT_MESSAGE, and the decoder recovers', () => {
  const unsized = fixture('codecs/zstd-no-content-size.zst');
  assertKafkaError(() => decompress(CompressionCodec.Zstd, unsized.subarray(0, unsized.length - 4)), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => decompress(CompressionCodec.Zstd, Buffer.from('not zstd at all')), ErrorCode.CORRUPT_MESSAGE);
  assert.ok(decompress(CompressionCodec.Zstd, unsized).equals(plain));
});

test('gzip: multi-member streams concatenate; garbage is CORRUPT_MESSAGE', () => {
  const a = Buffer.from('first member ');
  const b = Buffer.from('second member');
  assert.equal(decompress(CompressionCodec.Gzip, Buffer.concat([gzipSync(a), gzipSync(b)])).toString(), 'first member second member');
  assertKafkaError(() => decompress(CompressionCodec.Gzip, Buffer.from('not gzip')), ErrorCode.CORRUPT_MESSAGE, /gzip/);
  const z = gzipSync(plain);
  assertKafkaError(() => decompress(CompressionCodec.Gzip, z.subarray(0, z.length - 10)), ErrorCode.CORRUPT_MESSAGE);
});

test('snappy: compress writes xerial framing like snappy-java (version 1, 32 KB chunks)', () => {
  const framed = compress(CompressionCodec.Snappy, plain);
  assert.ok(framed.subarray(0, 8).equals(XERIAL_MAGIC));
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  let chunks = 0;
  for (let pos = 16; pos < framed.length; chunks++) pos += 4 + framed.readInt32BE(pos);
  assert.equal(chunks, Math.ceil(plain.length / 32768));
});

test('snappy: raw blocks (librdkafka, franz-go) and concatenated xerial streams', () => {
  assert.ok(decompress(CompressionCodec.Snappy, rawSnappy(plain)).equals(plain));
  const framed = compress(CompressionCodec.Snappy, Buffer.from('abc'));
  assert.equal(decompress(CompressionCodec.Snappy, Buffer.concat([framed, framed])).toString(), 'abcabc');
});

test('snappy: broken framing or blocks are CORRUPT_MESSAGE', () => {
  const framed = compress(CompressionCodec.Snappy, plain);
  assertKafkaError(() => decompress(CompressionCodec.Snappy, framed.subarray(0, framed.length - 1)), ErrorCode.CORRUPT_MESSAGE);
  assertKafkaError(() => decompress(CompressionCodec.Snappy, framed.subarray(0, 18)), ErrorCode.CORRUPT_MESSAGE);
  const raw = rawSnappy(plain);
  assertKafkaError(() => decompress(CompressionCodec.Snappy, raw.subarray(0, raw.length - 1)), ErrorCode.CORRUPT_MESSAGE);
});

test('unknown codec ids 5-7 are CORRUPT_MESSAGE both ways', () => {
  for (const codec of [5, 6, 7]) {
    assertKafkaError(() => decompress(codec, plain), ErrorCode.CORRUPT_MESSAGE, new RegExp(`unknown compression codec id ${codec}$`));
    assertKafkaError(() => compress(codec, plain), ErrorCode.CORRUPT_MESSAGE, new RegExp(`unknown compression codec id ${codec}$`));
  }
});

test('decompression bombs stop at maxOutputBytes; the exact size still passes', () => {
  const zeros = Buffer.alloc(8 * 1024 * 1024);
  for (const codec of [CompressionCodec.None, ...codecs]) {
    const packed = compress(codec, zeros);
    assertKafkaError(() => decompress(codec, packed, 1024 * 1024), ErrorCode.CORRUPT_MESSAGE, /limit/);
    assert.equal(decompress(codec, packed, zeros.length).length, zeros.length, `codec ${codec} at the limit`);
  }
  // Raw snappy and lz4 frames with content size are refused before anything is inflated.
  assertKafkaError(() => decompress(CompressionCodec.Snappy, rawSnappy(zeros), 10), ErrorCode.CORRUPT_MESSAGE, /limit/);
  const sized = fixture('codecs/lz4-content-size.lz4');
  assertKafkaError(() => decompress(CompressionCodec.Lz4, sized.subarray(0, 20), 100), ErrorCode.CORRUPT_MESSAGE, /limit/);
});

test('random garbage never escapes as anything but KafkaError', () => {
  const rand = prng(7);
  const samples = [plain.subarray(0, 300), ...codecs.map((c) => compress(c, plain.subarray(0, 3000)))];
  for (let i = 0; i < 400; i++) {
    const codec = codecs[i % codecs.length];
    const base = Buffer.from(samples[1 + (i % codecs.length)]);
    for (let k = 0; k < 3; k++) base[Math.floor(rand() * base.length)] = Math.floor(rand() * 256);
    const input = rand() < 0.3 ? base.subarray(0, Math.floor(rand() * base.length)) : base;
    try {
      decompress(codec, input, 1 << 20);
    } catch (err) {
      assert.equal((err as Error).name, 'KafkaError', `codec ${codec}: ${String(err)}`);
    }
  }
});
