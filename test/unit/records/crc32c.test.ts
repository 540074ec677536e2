import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { crc32c, crc32cBackend } from '../../../src/protocol/records/crc32c.js';

test('the project builds and uses its native CRC-32C (npm run build compiles native/crc32c.c)', () => {
  assert.equal(crc32cBackend.name, 'lakegate-native', `the addon did not load: ${crc32cBackend.fallbackReason}`);
});

test('CRC-32C check values (RFC 3720 B.4 and the catalogue check string)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('CRC-32C agrees with @node-rs/crc32 across the three-stream block edges and at every alignment', () => {
  const source = randomBytes(64 * 1024 + 64);
  // 768 and 12288 bytes are one short and one long three-stream block.
  const lengths = [1, 7, 8, 9, 255, 256, 767, 768, 769, 1535, 1536, 4095, 12287, 12288, 12289, 16384, 16391, 24576, 24583, 40000, 65536];
  for (const length of lengths) {
    for (let offset = 0; offset < 9; offset++) {
      const data = source.subarray(offset, offset + length);
      assert.equal(crc32c(data), nodeRsCrc32c(data) >>> 0, `length ${length} at offset ${offset}`);
    }
  }
});

test('CRC-32C continues a previous CRC like one pass over the joined bytes', () => {
  const data = randomBytes(20_000);
  for (const cut of [0, 1, 61, 768, 12288, 19_999, 20_000]) {
    const whole = crc32c(data);
    assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole, `cut at ${cut}`);
  }
});

test('CRC-32C takes any Uint8Array view, and refuses what is not one', () => {
  const data = randomBytes(5000);
  const view = new Uint8Array(data.buffer, data.byteOffset + 3, 4000);
  assert.equal(crc32c(view), nodeRsCrc32c(Buffer.from(view)) >>> 0);
  assert.throws(() => (crc32c as (d: unknown) => number)('123456789'), TypeError);
});
