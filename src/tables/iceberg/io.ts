/**
 * File IO for Iceberg metadata files, addressed by location URI. Local files now; an object
 * store implementation plugs in beside LocalFileIO.
 *
 * Local locations are `file://` + the absolute path, not percent-encoded (the form Iceberg's
 * Java and Python readers produce and accept for local tables).
 */
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

export interface FileIO {
  /** Writes a new object durably (fails if it already exists). */
  writeNew(location: string, bytes: Uint8Array | string): Promise<void>;
  read(location: string): Promise<Buffer>;
  /** Deletes an object; absent is not an error. */
  delete(location: string): Promise<void>;
}

export function pathToLocation(path: string): string {
  if (!isAbsolute(path)) throw new Error(`not an absolute path: ${path}`);
  // Readers parse locations as URIs without decoding them: '?' and '#' would be cut off.
  if (/[?#]/.test(path)) throw new Error(`a table path may not contain '?' or '#': ${path}`);
  return 'file://' + resolve(path);
}

/** The local path of a `file:` location (file:///a/b, file:/a/b) or of a bare absolute path. */
export function locationToPath(location: string): string {
  if (location.startsWith('file://')) {
    const rest = location.slice('file://'.length);
    if (!rest.startsWith('/')) throw new Error(`file location with a host is not local: ${location}`);
    return rest;
  }
  if (location.startsWith('file:/')) return location.slice('file:'.length);
  if (isAbsolute(location)) return location;
  throw new Error(`not a local file location: ${location}`);
}

/** Writes a file with O_EXCL and fsyncs it (the directory entry is synced by the commit). */
export async function writeFileDurably(path: string, bytes: Uint8Array | string, flags = 'wx'): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, flags, 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class LocalFileIO implements FileIO {
  async writeNew(location: string, bytes: Uint8Array | string): Promise<void> {
    await writeFileDurably(locationToPath(location), bytes);
  }

  async read(location: string): Promise<Buffer> {
    return readFile(locationToPath(location));
  }

  async delete(location: string): Promise<void> {
    await rm(locationToPath(location), { force: true });
  }
}
