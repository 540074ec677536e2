import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allSettledBounded } from '../../../src/log/bounded-all.js';

test('allSettledBounded runs at most `limit` at once and settles every item in order', async () => {
  let running = 0;
  let peak = 0;
  const items = Array.from({ length: 50 }, (_, i) => i);
  const results = await allSettledBounded(items, 7, async (i) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
    running--;
    if (i % 10 === 3) throw new Error(`item ${i}`);
    return i * 2;
  });
  assert.equal(peak, 7);
  assert.equal(results.length, 50);
  results.forEach((r, i) => {
    if (i % 10 === 3) assert.deepEqual(r.status === 'rejected' && (r.reason as Error).message, `item ${i}`);
    else assert.deepEqual(r, { status: 'fulfilled', value: i * 2 });
  });
});

test('allSettledBounded: no items, and a limit that is not a positive integer', async () => {
  assert.deepEqual(await allSettledBounded([], 4, async () => 1), []);
  await assert.rejects(allSettledBounded([1], 0, async () => 1), RangeError);
});
