/**
 * Per-partition recovery checkpoint (recovery-checkpoint.json). `recoveryPoint`: every segment
 * whose data lies wholly below it was fsynced together with its indexes, so recovery may trust
 * it and only scans from the segment holding the recovery point. `clean`: written by a clean
 * close and cleared on open; when present and the active segment still has the recorded size,
 * nothing needs scanning at all.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './fs-util.js';

export const CHECKPOINT_FILE = 'recovery-checkpoint.json';

export interface CleanShutdownState {
  logEndOffset: bigint;
  activeSegmentBase: bigint;
  activeSegmentBytes: number;
}

export interface PartitionCheckpoint {
  recoveryPoint: bigint;
  clean: CleanShutdownState | null;
}

/** A missing or unreadable checkpoint only costs a full scan, so it degrades to recoveryPoint 0. */
export async function readCheckpoint(dir: string): Promise<PartitionCheckpoint> {
  try {
    const raw = JSON.parse(await readFile(join(dir, CHECKPOINT_FILE), 'utf8')) as {
      recoveryPoint: string;
      clean: { logEndOffset: string; activeSegmentBase: string; activeSegmentBytes: number } | null;
    };
    return {
      recoveryPoint: BigInt(raw.recoveryPoint),
      clean: raw.clean
        ? {
            logEndOffset: BigInt(raw.clean.logEndOffset),
            activeSegmentBase: BigInt(raw.clean.activeSegmentBase),
            activeSegmentBytes: Number(raw.clean.activeSegmentBytes),
          }
        : null,
    };
  } catch {
    return { recoveryPoint: 0n, clean: null };
  }
}

export async function writeCheckpoint(dir: string, cp: PartitionCheckpoint): Promise<void> {
  const json = {
    recoveryPoint: cp.recoveryPoint.toString(),
    clean: cp.clean
      ? {
          logEndOffset: cp.clean.logEndOffset.toString(),
          activeSegmentBase: cp.clean.activeSegmentBase.toString(),
          activeSegmentBytes: cp.clean.activeSegmentBytes,
        }
      : null,
  };
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), JSON.stringify(json));
}
