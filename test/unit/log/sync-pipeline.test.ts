/**
 * SyncPipeline: groups become durable in write order, each only on its own sync's success;
 * the pipeline holds the writer back when full; one failed sync loses every group in flight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncPipeline } from '../../../src/log/sync-pipeline.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a later sync finishing first does not make its group durable before the earlier one', async () => {
  const durable: string[] = [];
  const p = new SyncPipeline<string>(3, (g) => durable.push(g), () => assert.fail('no failure expected'));
  const a = deferred();
  const b = deferred();
  await p.add('a', () => a.promise);
  await p.add('b', () => b.promise);
  b.resolve();
  await tick();
  assert.deepEqual(durable, [], 'b waits for a');
  a.resolve();
  await tick();
  assert.deepEqual(durable, ['a', 'b']);
  assert.equal(p.size, 0);
});

test('add() holds the writer back while the pipeline is full', async () => {
  const durable: number[] = [];
  const p = new SyncPipeline<number>(2, (g) => durable.push(g), () => {});
  const first = deferred();
  await p.add(1, () => first.promise);
  let returned = false;
  const adding = p.add(2, () => Promise.resolve()).then(() => (returned = true));
  await tick();
  assert.equal(returned, false, 'two in flight: the second add waits');
  first.resolve();
  await adding;
  assert.deepEqual(durable, [1, 2]);
});

test('one failed sync loses every group in flight, even one whose own sync succeeded', async () => {
  const durable: string[] = [];
  const lost: string[][] = [];
  const p = new SyncPipeline<string>(4, (g) => durable.push(g), (_err, groups) => lost.push(groups));
  const a = deferred();
  await p.add('a', () => a.promise);
  await p.add('b', () => Promise.resolve());
  await tick();
  a.reject(new Error('EIO'));
  await p.settle();
  assert.deepEqual(durable, []);
  assert.deepEqual(lost, [['a', 'b']]);
});

test('settle() waits for every sync started so far', async () => {
  const durable: number[] = [];
  const p = new SyncPipeline<number>(8, (g) => durable.push(g), () => {});
  const gates = [deferred(), deferred(), deferred()];
  for (let i = 0; i < 3; i++) await p.add(i, () => gates[i]!.promise);
  let settled = false;
  const s = p.settle().then(() => (settled = true));
  gates[2]!.resolve();
  gates[1]!.resolve();
  await tick();
  assert.equal(settled, false);
  gates[0]!.resolve();
  await s;
  assert.deepEqual(durable, [0, 1, 2]);
});

test('a raised limit lets more groups wait on their syncs at once, still durable in order', async () => {
  const durable: number[] = [];
  const p = new SyncPipeline<number>(2, (g) => durable.push(g), () => assert.fail('no failure expected'));
  p.setLimit(4);
  const syncs = [deferred(), deferred(), deferred(), deferred()];
  let returned = 0;
  const adds = syncs.map((d, i) => p.add(i, () => d.promise).then(() => returned++));
  await tick();
  assert.equal(p.size, 4, 'four syncs started without waiting for the first');
  assert.equal(returned, 3, 'the fourth add fills the pipeline and waits');
  for (const d of [...syncs].reverse()) d.resolve();
  await Promise.all(adds);
  assert.deepEqual(durable, [0, 1, 2, 3]);
  assert.throws(() => p.setLimit(0), RangeError);
});
