/**
 * The data directory's `.lakegate.lock` file: who holds the directory (pid, the kernel's boot
 * id, start time). On Linux it only names the holder of the real lock (data-dir-lock.ts);
 * elsewhere it is the lock itself.
 *
 * As the lock, it is created whole in one step (written to a private name, then hard-linked
 * into place, which fails if the file exists), so a reader never sees a half-written holder.
 * A lock left by a process that is gone (kill -9, power loss) is taken over: its pid is not
 * running on this boot, or the process with that pid is not a lakegate. Limits: two containers
 * with separate pid namespaces sharing one volume cannot see each other's pids, and two
 * processes taking over the same stale lock in the same instant may both succeed.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export interface LockHolder {
  pid: number;
  bootId: string | null;
  startedAt: string;
}

/** This process as the holder, written to `file` atomically (a private file renamed over it). */
export function writeHolder(file: string): void {
  const partial = writePrivateCopy(file);
  try {
    renameSync(partial, file);
  } catch (e) {
    unlinkIfExists(partial);
    throw e;
  }
}

/**
 * Creates `file` naming this process, unless a running lakegate holds it: 'taken', or the
 * holder. A file left by a process that is gone is replaced.
 */
export function takeLockFile(file: string): 'taken' | LockHolder {
  for (let attempt = 0; attempt < 3; attempt++) {
    const partial = writePrivateCopy(file);
    try {
      linkSync(partial, file);
      return 'taken';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkIfExists(partial);
    }
    const holder = readHolder(file);
    if (holder && isRunningLakegate(holder)) return holder;
    unlinkIfExists(file); // left by a process that is gone
  }
  throw new Error(`could not take ${file}: another process keeps replacing it`);
}

/** Removes `file` if it still names this process. */
export function releaseLockFile(file: string): void {
  if (readHolder(file)?.pid === process.pid) unlinkIfExists(file);
}

export function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, bootId: parsed.bootId ?? null, startedAt: String(parsed.startedAt) } : null;
  } catch {
    return null; // missing, or damaged: no live holder wrote it
  }
}

/** Whether the holder is a lakegate process running now (not this one: this one holds nothing here). */
export function isRunningLakegate(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return false;
  const boot = bootId();
  if (holder.bootId && boot && holder.bootId !== boot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A pid reused by another program after the holder died does not hold the directory.
  const cmdline = readOptional(`/proc/${holder.pid}/cmdline`);
  return cmdline === null || /lakegate|cli\.js/.test(cmdline);
}

/** The holder record in a file of this process's own, synced; returns its path. */
function writePrivateCopy(file: string): string {
  const partial = `${file}.${process.pid}`;
  const holder: LockHolder = { pid: process.pid, bootId: bootId(), startedAt: new Date().toISOString() };
  const fd = openSync(partial, 'w', 0o644);
  try {
    writeSync(fd, JSON.stringify(holder));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return partial;
}

function bootId(): string | null {
  return readOptional('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function unlinkIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
