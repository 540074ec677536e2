/**
 * flock(2) through the project's addon (native/file-lock.c), for the data-directory lock.
 * Null where the addon was not built (native/build.mjs says why at build time): the caller
 * then relies on its other lock alone.
 */
import { loadNativeAddon } from './native-addon.js';

type TryLock = (fd: number) => boolean;

const loaded = loadNativeAddon<{ tryLockExclusive: TryLock }>('file-lock.node');

/** Why flock is not available (null when it is), for start-up logs and tests. */
export const flockUnavailableReason: string | null = loaded.error;

/**
 * Takes an exclusive flock on the open file (or directory) without waiting: true when taken,
 * false when another open file description holds it. Throws where the file system refuses
 * flock (its error's code says why). Null when the addon is missing.
 */
export const tryFlockExclusive: TryLock | null = loaded.addon?.tryLockExclusive ?? null;
