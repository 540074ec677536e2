/**
 * The sync journal's files: the ring of pre-zeroed journal files and the checkpoint file.
 *
 * Ring: `journal-<slot>.wal`, slot 0 .. files-1. Generation g (1, 2, 3, ...) is written to
 * slot (g - 1) % files. Every file is exactly fileBytes long and created once, filled with
 * zeros and synced; afterwards it is only overwritten in place, never truncated or recreated,
 * so an fdatasync of it writes data pages and nothing else.
 *
 * Checkpoint: `checkpoint`, one line of JSON `{"generation":g,"position":p,"files":n}`,
 * replaced atomically. Every record before byte p of generation g (and every record of an
 * earlier generation) is durable in the partition logs themselves; `files` is the ring size
 * the generations were mapped to slots with, so a changed setting cannot misread the ring.
 */
import { open, rename, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, isNotFound, storageError, writeFileAtomic } from '../fs-util.js';
import { openJournalHandle, type JournalHandle } from './direct-write.js';

const ZERO_CHUNK = Buffer.alloc(1024 * 1024);
const CHECKPOINT_FILE = 'checkpoint';

export interface JournalCheckpoint {
  generation: number;
  position: number;
  files: number;
}

export function slotOf(generation: number, files: number): number {
  return (generation - 1) % files;
}

export function journalFilePath(dir: string, slot: number): string {
  return join(dir, `journal-${slot}.wal`);
}

/**
 * Opens a slot's file for writing, creating it pre-zeroed if missing. A file shorter than
 * fileBytes (the setting grew) is zero-extended in place; a longer one is left as it is
 * (the journal writes only its first fileBytes; readers check every record anyway). With
 * `direct`, the handle writes directly when it can (direct-write.ts).
 */
export async function prepareJournalFile(dir: string, slot: number, fileBytes: number, direct: boolean): Promise<JournalHandle> {
  const path = journalFilePath(dir, slot);
  try {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Zeroed under a temporary name and renamed: a crash never leaves a short journal file.
      const tmp = `${path}.tmp`;
      const h = await open(tmp, 'w');
      try {
        await writeZeros(h, 0, fileBytes);
        await h.datasync();
      } finally {
        await h.close();
      }
      await rename(tmp, path);
      await fsyncDir(dir);
      handle = await open(path, 'r+');
    }
    try {
      const size = (await handle.stat()).size;
      if (size < fileBytes) {
        await writeZeros(handle, size, fileBytes);
        await handle.sync();
      }
    } finally {
      await handle.close();
    }
    return await openJournalHandle(path, fileBytes, direct);
  } catch (e) {
    throw storageError(`preparing journal file ${path} failed`, e);
  }
}

async function writeZeros(h: FileHandle, from: number, to: number): Promise<void> {
  for (let pos = from; pos < to; ) {
    const { bytesWritten } = await h.write(ZERO_CHUNK, 0, Math.min(ZERO_CHUNK.length, to - pos), pos);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    pos += bytesWritten;
  }
}

/** The checkpoint, or null for a fresh journal (no checkpoint file yet). */
export async function readCheckpoint(dir: string): Promise<JournalCheckpoint | null> {
  const path = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw storageError(`reading ${path} failed`, e);
  }
  try {
    const cp = JSON.parse(text) as Partial<JournalCheckpoint>;
    const ok = [cp.generation, cp.position, cp.files].every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
    if (ok && cp.generation! >= 1 && cp.files! >= 1) return cp as JournalCheckpoint;
  } catch {
    // reported below
  }
  throw storageError(`reading ${path} failed`, new Error(`not a journal checkpoint: ${text.slice(0, 100)}`));
}

export async function writeCheckpoint(dir: string, cp: JournalCheckpoint): Promise<void> {
  const path = join(dir, CHECKPOINT_FILE);
  try {
    const { generation, position, files } = cp;
    await writeFileAtomic(path, JSON.stringify({ generation, position, files }) + '\n');
  } catch (e) {
    throw storageError(`writing ${path} failed`, e);
  }
}
