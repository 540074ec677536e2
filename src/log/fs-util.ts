/**
 * File-system helpers shared by the log: every failure leaves here as KAFKA_STORAGE_ERROR so the
 * broker can tell clients to retry elsewhere instead of reporting an unknown error.
 */
import { writevSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export function storageError(what: string, cause: unknown): KafkaError {
  if (cause instanceof KafkaError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const err = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${reason}`);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/** Kafka names segment files after their base offset, zero-padded to 20 digits so they sort. */
export function offsetFileName(offset: bigint, suffix: string): string {
  return offset.toString().padStart(20, '0') + suffix;
}

/** The offset in a name made by offsetFileName, or null for any other file. */
export function parseOffsetFileName(name: string, suffix: string): bigint | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, name.length - suffix.length);
  return /^\d{20}$/.test(digits) ? BigInt(digits) : null;
}

/** A rename or create is only durable once the directory entry itself is fsynced. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Replace a file so that a crash leaves either the old or the new content, never a mix:
 * write a temporary sibling, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp`;
  const h = await open(tmp, 'w');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

const IOV_MAX = 1024;

/**
 * Positional write of several buffers, looping on short writes (a full disk can cause them),
 * synchronously on the calling thread. The log appends this way: a write into
 * the page cache costs a few microseconds per batch, less than handing it to libuv's thread
 * pool and being woken for the result, which on a 2-core machine was a tenth of the CPU.
 */
export function writeAllAtSync(fd: number, buffers: Buffer[], position: number): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  let written = 0;
  let pending = buffers;
  while (written < total) {
    // writev takes at most IOV_MAX (1024 on Linux) buffers; a larger group is written in turns.
    const n = writevSync(fd, pending.length > IOV_MAX ? pending.slice(0, IOV_MAX) : pending, position + written);
    if (n <= 0) throw new Error('write made no progress');
    written += n;
    if (written < total) pending = skipBytes(pending, n);
  }
  return total;
}

function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

/** Read exactly length bytes at position, or fewer only when the file ends first. */
export async function readAt(h: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await h.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}
