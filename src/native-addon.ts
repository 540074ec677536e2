/**
 * Loads one of the project's C addons (native/*.c), which native/build.mjs compiles into
 * dist/native/. Each caller has a fallback, so a missing or broken addon is a reason to report,
 * not an exception.
 */
import { createRequire } from 'node:module';

export type LoadedAddon<T> = { addon: T; error: null } | { addon: null; error: string };

/** `file`: the addon's name in dist/native/, such as 'crc32c.node'. */
export function loadNativeAddon<T>(file: string): LoadedAddon<T> {
  try {
    // dist/src/ -> dist/native/.
    return { addon: createRequire(import.meta.url)(`../native/${file}`) as T, error: null };
  } catch (err) {
    return { addon: null, error: (err as Error).message.split('\n')[0]! };
  }
}
