/**
 * Start-up replay of the sync journal: from the checkpoint's position in its generation, then
 * through each following generation, record by record, stopping each file at its first
 * invalid record (see journal-record.ts). Files are opened read-only and streamed.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isNotFound, storageError } from '../fs-util.js';
import { journalFilePath, slotOf, type JournalCheckpoint } from './journal-files.js';
import { readJournalFile, startsGeneration } from './journal-record.js';
import type { ReplayedBatch } from './types.js';

/**
 * The checkpoint's generation, then each following one whose slot starts with a valid record
 * of that generation (an older lap's file has a lower one), at most one lap.
 */
export async function generationsToReplay(dir: string, cp: JournalCheckpoint): Promise<number[]> {
  const generations = [cp.generation];
  for (let g = cp.generation + 1; g < cp.generation + cp.files; g++) {
    const path = journalFilePath(dir, slotOf(g, cp.files));
    const handle = await openForReplay(path);
    if (handle === null) break;
    try {
      if (!(await startsGeneration(handle, g))) break;
    } catch (e) {
      throw storageError(`reading ${path} failed`, e);
    } finally {
      await handle.close();
    }
    generations.push(g);
  }
  return generations;
}

export async function* replayGenerations(dir: string, cp: JournalCheckpoint, generations: number[]): AsyncGenerator<ReplayedBatch> {
  for (const g of generations) {
    const path = journalFilePath(dir, slotOf(g, cp.files));
    const handle = await openForReplay(path);
    if (handle === null) continue;
    try {
      const records = readJournalFile(handle, g, g === cp.generation ? cp.position : 0);
      for (;;) {
        let next: IteratorResult<ReplayedBatch>;
        try {
          next = await records.next();
        } catch (e) {
          throw storageError(`reading ${path} failed`, e);
        }
        if (next.done) break;
        yield next.value;
      }
    } finally {
      await handle.close();
    }
  }
}

async function openForReplay(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw storageError(`opening ${path} failed`, e);
  }
}
