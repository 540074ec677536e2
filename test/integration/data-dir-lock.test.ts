/**
 * One lakegate per data directory: a second one on the same directory refuses to start before
 * it reads or writes anything there (a second process used to replay and checkpoint the
 * running one's journal even when its ports were taken, and two running ones overwrote each
 * other's acknowledged records). A lock left by a killed process, or naming a pid that is now
 * another program, does not stop a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshDataDir, removeDir, startLakegate } from '../support/lakegate-process.js';

/** Every file under dir with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const st = statSync(file);
    out[path.relative(dir, file)] = `${st.size}@${st.mtimeMs}`;
  }
  return out;
}

test('a second lakegate on a data dir in use exits with the holder named and touches nothing', async () => {
  const dataDir = freshDataDir();
  const first = await startLakegate({ dataDir });
  try {
    const lock = JSON.parse(readFileSync(path.join(dataDir, '.lakegate.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, first.child.pid);
    const before = snapshot(dataDir);
    await assert.rejects(startLakegate({ dataDir }), (err: Error) => {
      assert.match(err.message, /exited with 1 before it was ready/);
      assert.match(err.message, new RegExp(`is in use by lakegate pid ${first.child.pid}`));
      return true;
    });
    assert.deepEqual(snapshot(dataDir), before, 'the refused start changed no file');
  } finally {
    await first.stop();
  }
  // A clean stop removes the lock.
  assert.throws(() => statSync(path.join(dataDir, '.lakegate.lock')), /ENOENT/);
  removeDir(dataDir);
});

test('a lock left by a killed lakegate, or naming a pid that is another program now, is taken over', async () => {
  const dataDir = freshDataDir();
  const killed = await startLakegate({ dataDir });
  await killed.kill9();
  const restarted = await startLakegate({ dataDir });
  await restarted.kill9();
  // The pid in the lock is alive but is not a lakegate (a pid reused after a crash).
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(path.join(dataDir, '.lakegate.lock'), JSON.stringify({ pid: other.pid, bootId: null, startedAt: 'earlier' }));
    const again = await startLakegate({ dataDir });
    assert.equal((JSON.parse(readFileSync(path.join(dataDir, '.lakegate.lock'), 'utf8')) as { pid: number }).pid, again.child.pid);
    await again.stop();
  } finally {
    other.kill();
    removeDir(dataDir);
  }
});
