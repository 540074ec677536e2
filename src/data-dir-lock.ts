/**
 * One lakegate per data directory. Two processes on one directory write the same segment
 * positions and journal files and each other's checkpoints: acknowledged records of one are
 * overwritten by the other, and even a second start that fails on a port in use has already
 * replayed and checkpointed the journal from its own view. Kafka takes a file lock on its log
 * directories for the same reason.
 *
 * Two locks, both taken in one step and released by the kernel when the process ends however
 * it ends (kill -9 included), so there is no stale lock to judge and no instant in which two
 * starts both win, which a lock file cannot give (taking over a stale file is a read, a
 * judgement and an unlink, and another process can interleave with all three):
 * - flock(2) on the directory itself, through the project's addon (Node has no binding). Every
 *   process that opens the directory sees it, also from another network or pid namespace
 *   (containers sharing a volume).
 * - On Linux, an abstract Unix socket named after the directory's device and inode: binding it
 *   succeeds or fails with EADDRINUSE. It needs no addon, but belongs to a network namespace.
 * Either one held elsewhere refuses the start. Without the addon (or on a file system that
 * refuses flock) the socket alone is the lock; elsewhere than Linux, the lock file then is
 * (lock-file.ts explains its judgement and its limits). The file `.lakegate.lock` names the
 * holder (pid, start time) for the refusal message and for people.
 */
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { flockUnavailableReason, tryFlockExclusive } from './file-lock.js';
import { readHolder, releaseLockFile, takeLockFile, writeHolder, type LockHolder } from './lock-file.js';

export const LOCK_FILE = '.lakegate.lock';

export class DataDirInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUseError';
  }
}

/** Directories this process holds, so a second open in-process is refused with a clear message. */
const heldHere = new Set<string>();
/** Lock sockets this process released whose close has not finished: a re-acquire waits for it. */
const closing = new Map<string, Promise<void>>();

/** How a directory is held: flock where the addon works, plus the socket (Linux) or the file. */
export type DataDirLockKind = 'flock+socket' | 'flock+file' | 'socket' | 'file';

export class DataDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly socket: { server: Server; name: string } | null,
    /** The open directory holding the flock; closing it releases the lock. */
    private readonly flockFd: number | null,
    /** Why there is no flock (null when there is), for the start-up log. */
    readonly flockMissing: string | null,
  ) {}

  get kind(): DataDirLockKind {
    return `${this.flockFd !== null ? 'flock+' : ''}${this.socket ? 'socket' : 'file'}` as DataDirLockKind;
  }

  /** Takes the directory (creating it if missing) or throws DataDirInUseError naming the holder. */
  static async acquire(dir: string): Promise<DataDirLock> {
    const resolved = path.resolve(dir);
    if (heldHere.has(resolved)) throw new DataDirInUseError(`${resolved} is already in use by this process`);
    heldHere.add(resolved);
    let flockFd: number | null = null;
    try {
      mkdirSync(resolved, { recursive: true });
      const file = path.join(resolved, LOCK_FILE);
      // First, so that a start refused by it has changed nothing, not even the holder file.
      const flocked = flockDirectory(resolved);
      if (flocked === 'held') throw inUse(resolved, file, readHolder(file), false);
      if (typeof flocked === 'number') flockFd = flocked;
      const flockMissing = typeof flocked === 'string' ? flocked : null;
      if (process.platform !== 'linux') {
        const taken = takeLockFile(file);
        if (taken !== 'taken') throw inUse(resolved, file, taken, flockFd === null);
        return new DataDirLock(resolved, file, null, flockFd, flockMissing);
      }
      const name = abstractSocketName(resolved);
      await closing.get(name);
      const server = await listenExclusive(name);
      if (!server) throw inUse(resolved, file, readHolder(file), false);
      try {
        writeHolder(file); // over whatever a holder that is gone left there
      } catch (e) {
        server.close();
        throw e;
      }
      return new DataDirLock(resolved, file, { server, name }, flockFd, flockMissing);
    } catch (e) {
      if (flockFd !== null) closeSync(flockFd);
      heldHere.delete(resolved);
      throw e;
    }
  }

  /** Gives the directory up, removing the holder file first if it still names this process. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.dir);
    releaseLockFile(this.file);
    if (this.flockFd !== null) closeSync(this.flockFd);
    if (!this.socket) return;
    const { server, name } = this.socket;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    closing.set(name, closed);
    void closed.then(() => {
      if (closing.get(name) === closed) closing.delete(name);
    });
  }
}

/** `fileIsTheLock`: the refusal came from the lock file's judgement, which a person can overrule. */
function inUse(dir: string, file: string, holder: LockHolder | null, fileIsTheLock: boolean): DataDirInUseError {
  const who = holder ? `lakegate pid ${holder.pid} (since ${holder.startedAt})` : 'another lakegate';
  return new DataDirInUseError(
    `${dir} is in use by ${who}; stop it first` +
      (fileIsTheLock ? `, or remove ${file} if that process is not a lakegate on this directory` : ''),
  );
}

/**
 * flock on the directory: the open descriptor holding it, 'held' when another process holds
 * it, or why there is no flock here (no addon; a file system that refuses it).
 */
function flockDirectory(dir: string): number | 'held' | string {
  if (!tryFlockExclusive) return `the flock addon is not loaded: ${flockUnavailableReason}`;
  const fd = openSync(dir, 'r');
  try {
    if (tryFlockExclusive(fd)) return fd;
    closeSync(fd);
    return 'held';
  } catch (e) {
    closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOLCK' || code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'EINVAL') return `the file system refuses flock (${code})`;
    throw e;
  }
}

/** One name per directory whatever path reaches it (symlinks, relative paths). */
function abstractSocketName(dir: string): string {
  const st = statSync(dir, { bigint: true });
  return `\0lakegate-data-dir:${st.dev}:${st.ino}`;
}

/** The bound server, or null when another process holds the name. */
function listenExclusive(name: string): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    // Nothing connects on purpose; anything that does is closed at once.
    const server = createServer((conn) => conn.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(null) : reject(err)));
    server.listen({ path: name, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}
