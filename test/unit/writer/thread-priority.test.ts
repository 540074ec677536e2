import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { WriterPool } from '../../../src/writer/pool.js';
import { WRITER_NICE_INCREMENT } from '../../../src/writer/thread-priority.js';

/** Nice value of each thread of this process, from /proc/self/task/<tid>/stat (field 19). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended while we listed them
    }
  }
  return out;
}

test('lowerThisThreadPriority lowers the calling thread only', async () => {
  const base = getPriority();
  const url = new URL('../../../src/writer/thread-priority.js', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(url)}).then((m) => {
       const nice = m.lowerThisThreadPriority(3);
       const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/')[2]);
       require('node:worker_threads').parentPort.postMessage({ nice, tid });
       setInterval(() => {}, 1000); // stay alive until terminated, for the main thread to look
     });`,
    { eval: true },
  );
  try {
    const { nice, tid } = await new Promise<{ nice: number; tid: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(nice, base + 3);
    const nices = threadNices();
    assert.equal(nices.get(tid), base + 3, 'the worker thread runs niced');
    assert.equal(nices.get(process.pid), base, 'the main thread keeps its priority');
    assert.equal(getPriority(), base);
  } finally {
    await worker.terminate();
  }
});

test('the writer pool has one thread per core, each niced below the event loop', async () => {
  const base = getPriority();
  const pool = new WriterPool();
  try {
    const want = Math.min(19, base + WRITER_NICE_INCREMENT);
    let niced = 0;
    for (let i = 0; i < 100 && niced < pool.size; i++) {
      await sleep(50);
      niced = [...threadNices().values()].filter((n) => n === want).length;
    }
    assert.equal(niced, pool.size, `${pool.size} writer threads at nice ${want}`);
    assert.equal(threadNices().get(process.pid), base);
    assert.equal(pool.size, availableParallelism());
  } finally {
    await pool.close();
  }
});
