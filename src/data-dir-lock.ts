/**
 * One lakegate per data directory. Two processes on one directory write the same segment
 * positions and journal files and each other's checkpoints: acknowledged records of one are
 * overwritten by the other, and even a second start that fails on a port in use has already
 * replayed and checkpointed the journal from its own view. Kafka takes a file lock on its log
 * directories for the same reason.
 *
 * Node has no flock(2), so the lock is a file created exclusively (O_EXCL) holding the owner's
 * pid and the kernel's boot id. A lock left by a process that is gone (kill -9, power loss) is
 * taken over: its pid is not running on this boot, or the process with that pid is not a
 * lakegate. Limits: two containers with separate pid namespaces sharing one volume cannot see
 * each other's pids, and two processes starting on the same stale lock in the same instant may
 * both take it over.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = '.lakegate.lock';

interface LockHolder {
  pid: number;
  bootId: string | null;
  startedAt: string;
}

export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

/** Directories this process holds, so a second open in-process is refused too. */
const heldHere = new Set<string>();

export class DataDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
  ) {}

  /** Takes the directory (creating it if missing) or throws DataDirInUseError naming the holder. */
  static acquire(dir: string): DataDirLock {
    const resolved = path.resolve(dir);
    if (heldHere.has(resolved)) throw new DataDirInUseError(`${resolved} is already in use by this process`);
    mkdirSync(resolved, { recursive: true });
    const file = path.join(resolved, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(file, 'wx', 0o644);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = readHolder(file);
        if (holder && isRunningLakegate(holder)) {
          throw new DataDirInUseError(
            `${resolved} is in use by lakegate pid ${holder.pid} (since ${holder.startedAt}); stop it first, ` +
              `or remove ${file} if that process is not a lakegate on this directory`,
          );
        }
        unlinkIfExists(file); // left by a process that is gone
        continue;
      }
      try {
        const holder: LockHolder = { pid: process.pid, bootId: bootId(), startedAt: new Date().toISOString() };
        writeSync(fd, JSON.stringify(holder));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      heldHere.add(resolved);
      return new DataDirLock(resolved, file);
    }
    throw new DataDirInUseError(`${resolved}: could not take ${file} (another process keeps replacing it)`);
  }

  /** Removes the lock file if it is still this process's. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.dir);
    if (readHolder(this.file)?.pid === process.pid) unlinkIfExists(this.file);
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, bootId: parsed.bootId ?? null, startedAt: String(parsed.startedAt) } : null;
  } catch {
    return null; // missing, or torn by a crash while it was written: no live holder wrote it whole
  }
}

/** Whether the holder is a lakegate process running now (not this one: this one holds nothing here). */
function isRunningLakegate(holder: LockHolder): boolean {
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
