/** flock through the project's addon (native/file-lock.c), on real descriptors and processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flockUnavailableReason, tryFlockExclusive } from '../../../src/file-lock.js';

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lakegate-flock-'));
}

test('the project builds and loads its flock addon (npm run build compiles native/file-lock.c)', () => {
  assert.notEqual(tryFlockExclusive, null, `the addon did not load: ${flockUnavailableReason}`);
});

test('flock on a directory: one open description holds it, the next is refused until the first closes', () => {
  const dir = tmpDir();
  try {
    const first = openSync(dir, 'r');
    const second = openSync(dir, 'r');
    assert.equal(tryFlockExclusive!(first), true);
    assert.equal(tryFlockExclusive!(first), true, 're-taking a lock one holds succeeds');
    assert.equal(tryFlockExclusive!(second), false);
    closeSync(first);
    assert.equal(tryFlockExclusive!(second), true);
    closeSync(second);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flock: a descriptor that is not open throws EBADF, and a bad argument a TypeError', () => {
  const fd = openSync(os.tmpdir(), 'r');
  closeSync(fd);
  assert.throws(() => tryFlockExclusive!(fd), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  assert.throws(() => tryFlockExclusive!(-1), TypeError);
  assert.throws(() => (tryFlockExclusive as unknown as (x: unknown) => boolean)('3'), TypeError);
});

test("flock held by another process is refused, and the kernel drops it when that process is killed", async () => {
  const dir = tmpDir();
  const holder = spawn(
    process.execPath,
    ['--input-type=module', '-e', `
      const { tryFlockExclusive } = await import(${JSON.stringify(new URL('../../../src/file-lock.js', import.meta.url).href)});
      const { openSync } = await import('node:fs');
      console.log(tryFlockExclusive(openSync(process.argv[1], 'r')) ? 'held' : 'refused');
      setInterval(() => {}, 1000);
    `, dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const said = await new Promise<string>((resolve) => holder.stdout!.once('data', (d) => resolve(String(d).trim())));
    assert.equal(said, 'held');
    const mine = openSync(dir, 'r');
    try {
      assert.equal(tryFlockExclusive!(mine), false);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      assert.equal(tryFlockExclusive!(mine), true);
    } finally {
      closeSync(mine);
    }
  } finally {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
