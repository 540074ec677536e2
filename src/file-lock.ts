/**
 * flock(2) through the project's addon (native/file-lock.c), for the data-directory lock.
 * Null where the addon was not built (native/build.mjs says why at build time): the caller
 * then relies on its other lock alone.
 */
import { createRequire } from 'node:module';

type TryLock = (fd: number) => boolean;

function load(): { tryLock: TryLock; error: null } | { tryLock: null; error: string } {
  try {
    // dist/src/ -> dist/native/, where native/build.mjs puts it.
    const addon = createRequire(import.meta.url)('../native/file-lock.node') as { tryLockExclusive: TryLock };
    return { tryLock: addon.tryLockExclusive, error: null };
  } catch (err) {
    return { tryLock: null, error: (err as Error).message.split('\n')[0]! };
  }
}

const addon = load();

/** Why flock is not available (null when it is), for start-up logs and tests. */
export const flockUnavailableReason: string | null = addon.error;

/**
 * Takes an exclusive flock on the open file (or directory) without waiting: true when taken,
 * false when another open file description holds it. Throws where the file system refuses
 * flock (its error's code says why). Null when the addon is missing.
 */
export const tryFlockExclusive: TryLock | null = addon.tryLock;
