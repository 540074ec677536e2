/**
 * One lakegate per data directory: a second one on the same directory refuses to start before
 * it reads or writes anything there (a second process used to replay and checkpoint the
 * running one's journal even when its ports were taken, and two running ones overwrote each
 * other's acknowledged records). A lock left by a killed process, or naming a pid that is now
 * another program, does not stop a restart. Nor does a network namespace of its own hide it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataDirInUseError, DataDirLock } from '../../src/data-dir-lock.js';
import { CLI, freshDataDir, removeDir, startLakegate } from '../support/lakegate-process.js';

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

/**
 * Contenders in separate processes, released at one instant: each runs `attempt` (an async
 * function body that has `dir`, and returns what it took or the error's name), prints the
 * result, and holds what it took for a moment.
 */
async function contend(dir: string, contenders: number, attempt: string): Promise<string[]> {
  const srcDir = new URL('../../src/', import.meta.url).href;
  const script = `
    const src = ${JSON.stringify(srcDir)};
    const [dir, goAt] = process.argv.slice(1);
    const attempt = async () => { ${attempt} };
    while (Date.now() < Number(goAt)) {}
    console.log(await attempt());
    setTimeout(() => {}, 800);
  `;
  const goAt = Date.now() + 400;
  const runs = Array.from({ length: contenders }, () =>
    promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, '--', dir, String(goAt)]),
  );
  return (await Promise.all(runs)).map((r) => r.stdout.trim());
}

const TAKE_DIRECTORY = `
  const { DataDirLock } = await import(src + 'data-dir-lock.js');
  try { await DataDirLock.acquire(dir); return 'won'; } catch (e) { return e.name + ': ' + e.message; }
`;

test('of processes taking one directory at the same instant exactly one wins, also over a lock left by a killed one', async () => {
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  for (const stale of [false, true]) {
    for (let round = 0; round < 5; round++) {
      const dataDir = freshDataDir();
      try {
        if (stale) writeFileSync(path.join(dataDir, '.lakegate.lock'), JSON.stringify({ pid: dead.pid, bootId: null, startedAt: 'earlier' }));
        const outcomes = await contend(dataDir, 4, TAKE_DIRECTORY);
        const label = `${stale ? 'stale lock' : 'no lock'}, round ${round}: ${JSON.stringify(outcomes)}`;
        assert.equal(outcomes.filter((o) => o === 'won').length, 1, label);
        assert.equal(outcomes.filter((o) => o.startsWith('DataDirInUseError: ')).length, 3, label);
      } finally {
        removeDir(dataDir);
      }
    }
  }
});

test('the lock file alone (the lock where there are no abstract sockets) never shows a holder half written', async () => {
  // A contender that found the file empty used to judge it stale and replace it: all won.
  for (let round = 0; round < 5; round++) {
    const dataDir = freshDataDir();
    try {
      const outcomes = await contend(dataDir, 4, `
        const { takeLockFile } = await import(src + 'lock-file.js');
        const taken = takeLockFile(dir + '/.lakegate.lock');
        return taken === 'taken' ? 'won' : 'held by ' + taken.pid;
      `);
      const label = `round ${round}: ${JSON.stringify(outcomes)}`;
      assert.equal(outcomes.filter((o) => o === 'won').length, 1, label);
      assert.equal(outcomes.filter((o) => o.startsWith('held by ')).length, 3, label);
    } finally {
      removeDir(dataDir);
    }
  }
});

test('in one process: a directory held is refused, and one just released can be taken again at once', async () => {
  const dataDir = freshDataDir();
  try {
    const lock = await DataDirLock.acquire(dataDir);
    await assert.rejects(DataDirLock.acquire(path.join(dataDir, '.')), DataDirInUseError);
    lock.release();
    // The socket's close completes on a later turn of the event loop; the next holder waits for it.
    const again = await DataDirLock.acquire(dataDir);
    assert.equal((JSON.parse(readFileSync(path.join(dataDir, '.lakegate.lock'), 'utf8')) as { pid: number }).pid, process.pid);
    again.release();
    assert.throws(() => statSync(path.join(dataDir, '.lakegate.lock')), /ENOENT/);
  } finally {
    removeDir(dataDir);
  }
});

test('a second lakegate in another network namespace (a container sharing the volume) is refused too', async () => {
  // Abstract sockets belong to a network namespace: with only the socket as the lock, this
  // second server started and ran on the same directory. The flock on the directory is seen
  // from any namespace. unshare -rn: a new user and network namespace, loopback brought up.
  const dataDir = freshDataDir();
  const first = await startLakegate({ dataDir });
  try {
    const before = snapshot(dataDir);
    const args = [CLI, 'serve', '--host', '127.0.0.1', '--kafka-port', '0', '--http-port', '0', '--data-dir', dataDir];
    const second = await promisify(execFile)('unshare', ['-rn', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...args], { timeout: 15_000 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number | string; stdout?: string; stderr?: string }) => ({ code: e.code, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    assert.doesNotMatch(second.out, /lakegate ready/, 'the second server started on the directory in use');
    assert.equal(second.code, 1, `the second server: ${second.code}\n${second.out}`);
    assert.match(second.out, new RegExp(`is in use by lakegate pid ${first.child.pid}`));
    assert.deepEqual(snapshot(dataDir), before, 'the refused start changed no file');
    assert.match(first.output(), /"dataDirLock":"flock\+socket"/);
  } finally {
    await first.stop();
    removeDir(dataDir);
  }
});
