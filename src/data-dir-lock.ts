/**
 * One lakegate per data directory. Two processes on one directory write the same segment
 * positions and journal files and each other's checkpoints: acknowledged records of one are
 * overwritten by the other, and even a second start that fails on a port in use has already
 * replayed and checkpointed the journal from its own view. Kafka takes a file lock on its log
 * directories for the same reason.
 *
 * Node has no flock(2). On Linux the lock is an abstract Unix socket named after the
 * directory's device and inode: binding it either succeeds or fails with EADDRINUSE in one
 * step, and the kernel releases it when the process ends however it ends (kill -9 included).
 * So there is no stale lock to judge, and no instant in which two starts both win, which a
 * lock file cannot give: taking over a stale file is a read, a judgement and an unlink, and
 * another process can interleave with all three. The file `.lakegate.lock` still names the
 * holder (pid, start time), for the refusal message and for people.
 *
 * Limit: abstract sockets belong to a network namespace, so two containers with their own
 * network namespaces sharing one volume do not see each other. Elsewhere than Linux the file is
 * the lock (lock-file.ts explains its judgement and its limits).
 */
import { mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
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

export class DataDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly socket: { server: Server; name: string } | null,
  ) {}

  /** Takes the directory (creating it if missing) or throws DataDirInUseError naming the holder. */
  static async acquire(dir: string): Promise<DataDirLock> {
    const resolved = path.resolve(dir);
    if (heldHere.has(resolved)) throw new DataDirInUseError(`${resolved} is already in use by this process`);
    heldHere.add(resolved);
    try {
      mkdirSync(resolved, { recursive: true });
      const file = path.join(resolved, LOCK_FILE);
      if (process.platform !== 'linux') {
        const taken = takeLockFile(file);
        if (taken !== 'taken') throw inUse(resolved, file, taken);
        return new DataDirLock(resolved, file, null);
      }
      const name = abstractSocketName(resolved);
      await closing.get(name);
      const server = await listenExclusive(name);
      if (!server) throw inUse(resolved, file, readHolder(file));
      try {
        writeHolder(file); // over whatever a holder that is gone left there
      } catch (e) {
        server.close();
        throw e;
      }
      return new DataDirLock(resolved, file, { server, name });
    } catch (e) {
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
    if (!this.socket) return;
    const { server, name } = this.socket;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    closing.set(name, closed);
    void closed.then(() => {
      if (closing.get(name) === closed) closing.delete(name);
    });
  }
}

function inUse(dir: string, file: string, holder: LockHolder | null): DataDirInUseError {
  const who = holder ? `lakegate pid ${holder.pid} (since ${holder.startedAt})` : 'another lakegate';
  return new DataDirInUseError(
    `${dir} is in use by ${who}; stop it first` +
      (process.platform === 'linux' ? '' : `, or remove ${file} if that process is not a lakegate on this directory`),
  );
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
