import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../../src/writer/heap-growth.js';

const moduleUrl = new URL('../../../src/writer/heap-growth.js', import.meta.url).href;

test('the growing factor is set unless the user chose one', () => {
  assert.equal(heapGrowthFlag([], undefined), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=512', 250), '--heap-growing-percent=250');
  assert.equal(heapGrowthFlag(['--heap-growing-percent=50'], undefined), undefined);
  assert.equal(heapGrowthFlag([], '--inspect --heap_growing_percent=50'), undefined);
});

/**
 * V8's own trace of the limit it computes at a full GC, in a fresh process: its factor is the
 * one set at run time (a Node whose V8 froze flags after start-up would silently ignore it),
 * and a factor given on the command line wins. 500 (x6.0) is above V8's dynamic range (<= 4.0),
 * so the trace cannot show it by chance.
 */
function limitFactors(nodeFlags: string[]): string[] {
  const script = `const { relaxHeapGrowth } = await import(${JSON.stringify(moduleUrl)}); relaxHeapGrowth(500); globalThis.gc();`;
  const out = execFileSync(process.execPath, [...nodeFlags, '--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return [...out.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)/g)].map((m) => m[1]);
}

test('the factor set at run time is the one V8 applies at the next full GC', () => {
  assert.deepEqual(limitFactors([]), ['6.0']);
});

test("a factor on node's command line is kept", () => {
  assert.deepEqual(limitFactors(['--heap-growing-percent=150']), ['2.5']);
});

