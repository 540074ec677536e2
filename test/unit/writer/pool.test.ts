import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import { TaskInputError, WriterWorkerError } from '../../../src/writer/errors.js';
import { WriterPool } from '../../../src/writer/pool.js';
import { readRows, task, tempDir, writeSegment } from './support.js';

const faultyWorker = fileURLToPath(new URL('./fixtures/faulty-worker.js', import.meta.url));

function segmentTask(dir: string) {
  const segment = writeSegment(dir, [
    { baseOffset: 0n, codec: CompressionCodec.Zstd, records: [{ value: Buffer.from('a'), key: Buffer.from('k') }, { value: Buffer.from('b') }] },
  ]);
  return task(segment, `${dir}/out`);
}

test('the pool runs tasks on the compiled worker entry', async () => {
  const pool = new WriterPool({ size: 2 });
  try {
    const dir = tempDir();
    const results = await Promise.all([0, 1, 2].map((n) => pool.run({ ...segmentTask(dir), filePrefix: `x${n}` })));
    for (const r of results) {
      assert.equal(r.rowCount, 2);
      assert.equal(typeof r.lastOffset, 'bigint');
      assert.ok(r.files[0].columnStats[4].min instanceof Uint8Array);
      assert.deepEqual((await readRows(r.files[0].path)).map((row) => row._kafka_offset), [0n, 1n]);
    }
  } finally {
    await pool.close();
  }
});

async function whoami(pool: WriterPool, dir: string): Promise<string> {
  const err = await pool.run({ ...segmentTask(dir), topic: 'whoami' }).then(
    () => assert.fail('whoami resolves'),
    (e: Error) => e,
  );
  assert.equal(err.name, 'TaskInputError', 'input errors keep their class name across the thread');
  return err.message;
}

test('a panic rejects its task with a clear error and the worker is replaced', async () => {
  const pool = new WriterPool({ size: 1, workerFile: faultyWorker });
  try {
    const dir = tempDir();
    const before = await whoami(pool, dir);
    assert.equal(await whoami(pool, dir), before, 'an input error keeps the worker');

    await assert.rejects(pool.run({ ...segmentTask(dir), topic: 'panic' }), (err: Error) => {
      assert.ok(err instanceof WriterWorkerError);
      assert.match(err.message, /^writer task for panic\[3\] offsets 0\.\.\d+ failed and its worker was replaced: wasm panic: unreachable executed$/);
      return true;
    });
    const after = await whoami(pool, dir);
    assert.notEqual(after, before, 'a fresh thread took over');
    // and it works
    assert.equal((await pool.run(segmentTask(dir))).rowCount, 2);

    await assert.rejects(pool.run({ ...segmentTask(dir), topic: 'crash' }), (err: Error) => err instanceof WriterWorkerError && /worker died .*exited with code: 7/.test(err.message));
    assert.notEqual(await whoami(pool, dir), after);
  } finally {
    await pool.close();
  }
});

test('a worker whose wasm memory has grown too large retires before its next task, which runs elsewhere', async () => {
  const pool = new WriterPool({ size: 1, workerFile: faultyWorker });
  try {
    const dir = tempDir();
    const first = await whoami(pool, dir);
    assert.equal((await pool.run({ ...segmentTask(dir), topic: 'bloat' })).rowCount, 2, 'the task that grew it completes');
    const second = await whoami(pool, dir);
    assert.notEqual(second, first, 'the next task ran on a fresh worker');
    assert.equal(await whoami(pool, dir), second);
  } finally {
    await pool.close();
  }
});

test('a TaskInputError reaches the caller as one', async () => {
  const pool = new WriterPool({ size: 1 });
  try {
    const dir = tempDir();
    await assert.rejects(
      pool.run({ ...segmentTask(dir), segmentPath: `${dir}/missing.log` }),
      (err: Error) => err instanceof TaskInputError && /cannot open segment/.test(err.message),
    );
  } finally {
    await pool.close();
  }
});
