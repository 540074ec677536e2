/**
 * FrameReader against byte vectors: frames split at every possible point come out whole and in
 * order, bad size prefixes stop it before anything is buffered, and slabs are reused once the
 * frames cut from them are released, so steady traffic allocates nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader } from '../../../src/broker-api/frame-reader.js';
import { SlabPool } from '../../../src/broker-api/slab-pool.js';

function framed(...bodies: Buffer[]): Buffer {
  return Buffer.concat(bodies.flatMap((b) => [Buffer.from([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]));
}

function collector(pool: SlabPool, max = 1 << 20) {
  const frames: Buffer[] = [];
  const bad: number[] = [];
  const reader = new FrameReader(pool, max, {
    frame(body, release) {
      frames.push(Buffer.from(body));
      release();
      return true;
    },
    badSize(size) {
      bad.push(size);
    },
  });
  return { reader, frames, bad };
}

test('frames split at every byte boundary come out whole and in order', () => {
  const bodies = [Buffer.from('a'), Buffer.alloc(300, 7), Buffer.from('hello world'), Buffer.alloc(5000, 9)];
  const stream = framed(...bodies);
  for (let cut = 1; cut < stream.length; cut += 97) {
    const pool = new SlabPool(4096, 4);
    const { reader, frames } = collector(pool);
    assert.equal(reader.push(stream.subarray(0, cut)), true);
    assert.equal(reader.push(stream.subarray(cut)), true);
    assert.deepEqual(frames, bodies, `split at ${cut}`);
    assert.equal(reader.buffered, 0);
  }
});

test('one byte at a time, with frames larger than a slab', () => {
  const bodies = [Buffer.alloc(10_000, 1), Buffer.alloc(3, 2), Buffer.alloc(9_000, 3)];
  const stream = framed(...bodies);
  const { reader, frames } = collector(new SlabPool(1024, 4));
  for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
  assert.deepEqual(frames, bodies);
});

test('frames held by in-flight requests stay intact while later bytes arrive', () => {
  const pool = new SlabPool(256, 4);
  const views: Buffer[] = [];
  const releases: Array<() => void> = [];
  const reader = new FrameReader(pool, 1 << 20, {
    frame(body, release) {
      views.push(body);
      releases.push(release);
      return true;
    },
    badSize() {},
  });
  const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(50 + i, i));
  for (const b of bodies) reader.push(framed(b));
  assert.deepEqual(views.map((v) => Buffer.from(v)), bodies, 'no view was overwritten by a later read');
  for (const r of releases) r();
  assert.ok(pool.freeCount > 0, 'released slabs return to the pool');
});

test('steady traffic reuses slabs instead of allocating', () => {
  const pool = new SlabPool(64 * 1024, 8);
  const { reader } = collector(pool);
  const chunk = framed(...Array.from({ length: 7 }, () => Buffer.alloc(16 * 1024, 5)));
  for (let i = 0; i < 1000; i++) reader.push(chunk);
  assert.ok(pool.allocations <= 2, `allocated ${pool.allocations} slabs for 1000 requests`);
});

test('a size prefix out of bounds stops the reader before the body is buffered', () => {
  for (const size of [0, -1, 2_000_000]) {
    const pool = new SlabPool(1024, 4);
    const { reader, frames, bad } = collector(pool, 1_000_000);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    assert.equal(reader.push(Buffer.concat([prefix, Buffer.alloc(100)])), false);
    assert.deepEqual(bad, [size]);
    assert.equal(frames.length, 0);
    assert.equal(reader.push(framed(Buffer.from('x'))), false, 'a stopped reader takes nothing more');
    assert.equal(pool.allocations, 1, 'only the slab for the prefix was allocated');
  }
});

test('a handler that closes the connection stops the reader mid-chunk', () => {
  const seen: string[] = [];
  const reader = new FrameReader(new SlabPool(1024, 4), 1024, {
    frame(body, release) {
      seen.push(body.toString());
      release();
      return body.toString() !== 'close';
    },
    badSize() {},
  });
  assert.equal(reader.push(framed(Buffer.from('one'), Buffer.from('close'), Buffer.from('never'))), false);
  assert.deepEqual(seen, ['one', 'close']);
});
