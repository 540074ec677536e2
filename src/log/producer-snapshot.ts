/**
 * Producer-state snapshot files: <offset>.producers.json in the partition directory, holding
 * the state after every batch below <offset>. Written atomically at segment roll and clean
 * close; recovery loads the newest one not beyond the recovered log end and replays the
 * batch headers after it. JSON keeps them inspectable; bigints are decimal strings.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { offsetFileName, parseOffsetFileName, unlinkIfExists, writeFileAtomic } from './fs-util.js';
import type { ProducerSnapshot } from './producer-state.js';

export const SNAPSHOT_SUFFIX = '.producers.json';
const FORMAT_VERSION = 1;
/** Older snapshots are only a fallback if the newest is unreadable. */
const SNAPSHOTS_KEPT = 3;

interface SnapshotFile {
  version: number;
  offset: string;
  producers: {
    producerId: string;
    epoch: number;
    lastSeenMs?: number;
    batches: { firstSeq: number; lastSeq: number; baseOffset: string; lastOffsetDelta: number; appendTimeMs: string }[];
  }[];
}

export async function writeProducerSnapshot(dir: string, offset: bigint, s: ProducerSnapshot): Promise<void> {
  const file: SnapshotFile = {
    version: FORMAT_VERSION,
    offset: offset.toString(),
    producers: s.producers.map((p) => ({
      producerId: p.producerId.toString(),
      epoch: p.epoch,
      lastSeenMs: p.lastSeenMs,
      batches: p.batches.map((b) => ({
        firstSeq: b.firstSeq,
        lastSeq: b.lastSeq,
        baseOffset: b.baseOffset.toString(),
        lastOffsetDelta: b.lastOffsetDelta,
        appendTimeMs: b.appendTimeMs.toString(),
      })),
    })),
  };
  await writeFileAtomic(join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX)), JSON.stringify(file));
}

export async function listSnapshotOffsets(dir: string): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const name of await readdir(dir)) {
    const off = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
    if (off !== null) out.push(off);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The snapshot at offset, or null if it is unreadable (the caller falls back to an older one). */
export async function readProducerSnapshot(dir: string, offset: bigint): Promise<ProducerSnapshot | null> {
  try {
    const f = JSON.parse(await readFile(join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX)), 'utf8')) as SnapshotFile;
    if (f.version !== FORMAT_VERSION || BigInt(f.offset) !== offset || !Array.isArray(f.producers)) return null;
    return {
      producers: f.producers.map((p) => ({
        producerId: BigInt(p.producerId),
        epoch: p.epoch,
        lastSeenMs: typeof p.lastSeenMs === 'number' && Number.isFinite(p.lastSeenMs) ? p.lastSeenMs : undefined,
        batches: p.batches.map((b) => ({
          firstSeq: b.firstSeq,
          lastSeq: b.lastSeq,
          baseOffset: BigInt(b.baseOffset),
          lastOffsetDelta: b.lastOffsetDelta,
          appendTimeMs: BigInt(b.appendTimeMs),
        })),
      })),
    };
  } catch {
    return null;
  }
}

export async function deleteSnapshot(dir: string, offset: bigint): Promise<void> {
  await unlinkIfExists(join(dir, offsetFileName(offset, SNAPSHOT_SUFFIX)));
}

export async function pruneSnapshots(dir: string): Promise<void> {
  const offsets = await listSnapshotOffsets(dir);
  for (const off of offsets.slice(0, Math.max(0, offsets.length - SNAPSHOTS_KEPT))) await deleteSnapshot(dir, off);
}
