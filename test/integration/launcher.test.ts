/**
 * bin/lakegate, the command users run (npm start, the package's bin): it must hand the server
 * its V8 settings and become the server process itself, so that signals and kill -9 reach it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freshDataDir, LAUNCHER, removeDir, startLakegate } from '../support/lakegate-process.js';

test('the launcher execs node with the minimum semi-space, and says so in the ready line', async () => {
  const server = await startLakegate();
  try {
    const pid = server.child.pid!;
    // exec: the pid the launcher was started as is node running dist/src/cli.js, not a shell.
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--min-semi-space-size=16'), argv.join(' '));
    assert.ok(argv.some((a) => a.endsWith('/dist/src/cli.js')), argv.join(' '));
    const ready = server.output().split('\n').find((l) => l.includes('lakegate ready'));
    const line = JSON.parse(ready!) as { nodeFlags: string; crc32c: string; checkpointSync: string; journalWrite: string | null };
    assert.equal(line.nodeFlags, '--min-semi-space-size=16');
    // The addons a fresh `npm ci` builds are what the server runs with.
    assert.equal(line.crc32c, 'lakegate-native');
    assert.equal(line.checkpointSync, 'chunked');
    // The data dir is on a filesystem that takes O_DIRECT (ext4 here), so the journal writes directly.
    assert.equal(line.journalWrite, 'direct');
  } finally {
    await server.stop();
    removeDir(server.dataDir);
  }
  assert.equal(server.child.exitCode, 0);
});

test('the launcher finds the checkout through a symlink (npm links bins into node_modules/.bin)', async () => {
  const dir = freshDataDir('lakegate-launcher-');
  try {
    const link = path.join(dir, 'lakegate');
    symlinkSync(LAUNCHER, link);
    const { stdout } = await promisify(execFile)(link, ['--help'], { timeout: 15_000 });
    assert.match(stdout, /lakegate serve/);
  } finally {
    removeDir(dir);
  }
});

test('LAKEGATE_NODE_FLAGS reaches node, and the worker threads inherit it (the benchmark profiles this way)', async () => {
  const dir = freshDataDir('lakegate-launcher-flags-');
  const profiles = path.join(dir, 'profiles');
  // --cpu-prof is one of the options NODE_OPTIONS refuses.
  const server = await startLakegate({ env: { LAKEGATE_NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${profiles}` } });
  let writerThreads = 0;
  try {
    const ready = server.output().split('\n').find((l) => l.includes('lakegate ready'));
    const line = JSON.parse(ready!) as { nodeFlags: string; writerThreads: number };
    assert.equal(line.nodeFlags, `--min-semi-space-size=16 --cpu-prof --cpu-prof-dir=${profiles}`);
    writerThreads = line.writerThreads;
    assert.ok(writerThreads >= 1);
  } finally {
    await server.stop();
    removeDir(server.dataDir);
  }
  try {
    assert.equal(server.child.exitCode, 0);
    // One profile per thread: the main thread's and each writer's (a worker given an execArgv
    // of its own would not inherit --cpu-prof, and wrote none).
    const written = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'));
    assert.equal(written.length, 1 + writerThreads, written.join(', '));
  } finally {
    removeDir(dir);
  }
});
