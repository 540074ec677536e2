/**
 * A worker pool closed while its workers are still loading their module must not take the
 * process down (src/pool-worker-entry.cts). The server closes its writer pool at shutdown, so a
 * SIGTERM soon after start did this: piscina's require() of the ES worker module, terminated
 * mid-instantiation, made V8 abort the whole process (exit 134, about once in thirty starts).
 *
 * The real worker module instantiates in a few milliseconds, too short a window to hit on
 * purpose, so the pool here loads a generated module graph whose instantiation takes most of
 * a second: a chain of `export * from` modules that every imported name is resolved through.
 * The pools run in a child process, because an abort is what the test looks for.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHAIN = 200;
const NAMES = 3000;

/** Writes the slow graph; returns the worker module (default export: a piscina handler). */
function writeSlowGraph(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const names = Array.from({ length: NAMES }, (_, i) => `n${i}`);
  for (let i = 0; i < CHAIN; i++) writeFileSync(join(dir, `m${i}.js`), `export * from './m${i + 1}.js';\n`);
  writeFileSync(join(dir, `m${CHAIN}.js`), `export const ${names.map((n) => `${n} = 1`).join(', ')};\n`);
  const worker = join(dir, 'worker.js');
  writeFileSync(worker, `import { ${names.join(', ')} } from './m0.js';\nexport default (x) => x + n0 + n${NAMES - 1};\n`);
  return worker;
}

/**
 * The child: times one load of the graph in a plain worker, then opens a WriterPool on it and
 * closes it at 20%, 40%, 60% and 80% of that time, and prints what it did.
 */
const CHILD = `
import { Worker } from 'node:worker_threads';
const [poolModule, workerFile] = process.argv.slice(2);
const { WriterPool } = await import(poolModule);
const loadMs = await new Promise((resolve, reject) => {
  const w = new Worker(
    'const t = Date.now(); import(process.argv[2]).then(() => require("node:worker_threads").parentPort.postMessage(Date.now() - t));',
    { eval: true, argv: [new URL('file://' + workerFile).href] },
  );
  w.once('message', (ms) => { void w.terminate(); resolve(ms); });
  w.once('error', reject);
});
console.log(JSON.stringify({ loadMs }));
for (const share of [0.2, 0.4, 0.6, 0.8]) {
  const pool = new WriterPool({ size: 2, workerFile });
  await new Promise((r) => setTimeout(r, loadMs * share));
  await pool.close();
  console.log(JSON.stringify({ closedAfterMs: Math.round(loadMs * share) }));
}
`;

const root = mkdtempSync(join(tmpdir(), 'lakegate-pool-close-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a writer pool closed while its workers instantiate their module leaves the process running', () => {
  const workerFile = writeSlowGraph(join(root, 'graph'));
  const child = join(root, 'child.mjs');
  writeFileSync(child, CHILD);
  const poolModule = new URL('../../src/writer/pool.js', import.meta.url).href;
  const run = spawnSync(process.execPath, [child, poolModule, workerFile], { encoding: 'utf8', timeout: 120_000 });
  const lines = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  const loadMs = lines[0]?.loadMs;
  assert.ok(loadMs !== undefined, `the child did not time the graph's load: ${run.stderr}`);
  // The closes only test something if they land inside the load.
  assert.ok(loadMs >= 200, `the slow graph loaded in ${loadMs} ms; it has to take longer for the closes to land mid-load`);
  assert.doesNotMatch(run.stderr, /FATAL/, `the process aborted:\n${run.stderr.slice(0, 2000)}`);
  assert.equal(run.signal, null, `the child died of ${run.signal}`);
  assert.equal(run.status, 0, `the child exited ${run.status}:\n${run.stderr.slice(0, 2000)}`);
  assert.deepEqual(
    lines.slice(1).map((l) => typeof l.closedAfterMs),
    ['number', 'number', 'number', 'number'],
    'every pool was closed',
  );
});
