/**
 * Reading the small JSON files under <data-dir>/meta (topics, cluster id, table names). They
 * are lakegate's memory of what exists, so a damaged one is never replaced: a fresh
 * cluster.json would change the cluster id clients see, a fresh tables.json could point
 * topics at other tables. Start-up stops instead, naming the file, what is wrong with it and
 * what the operator can do.
 */
import { readFileSync } from 'node:fs';

/** A meta file that exists but cannot be used; cli.ts prints the message alone. */
export class MetaFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetaFileError';
  }
}

/**
 * The file's parsed contents, or undefined when there is no such file. `problem` returns what
 * is wrong with the parsed value's shape, or null when it is as expected; `remedy` is the
 * sentence telling the operator what to do.
 */
export function readMetaFile<T>(file: string, problem: (value: unknown) => string | null, remedy: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MetaFileError(`${file} cannot be read (${(err as Error).message}); ${remedy}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MetaFileError(`${file} is not valid JSON (${(err as Error).message}); ${remedy}`);
  }
  const wrong = problem(value);
  if (wrong) throw new MetaFileError(`${file} is not what lakegate wrote: ${wrong}; ${remedy}`);
  return value as T;
}

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
