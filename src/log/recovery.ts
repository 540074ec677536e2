/**
 * Opening a partition directory after a clean close or a crash (kill -9, power loss).
 *
 * Segments wholly below the recovery point were fsynced with their indexes when they were
 * rolled, so only their indexes are checked. From the segment holding the recovery point to
 * the end, every batch is verified (framing, magic, CRC-32C, contiguous BaseOffset) and the
 * log is cut at the first one that fails: that is exactly the part a crash may have torn,
 * and none of it was acknowledged under fsync 'before-ack' unless it was synced, in which case
 * it is intact and kept. Indexes of scanned segments are rebuilt from the scan.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { hasValidCrc } from '../protocol/records/batch-header.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { parseOffsetFileName, offsetFileName } from './fs-util.js';
import { BatchReader } from './batch-reader.js';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, TIME_INDEX_SUFFIX } from './segment.js';
import { ProducerStateManager } from './producer-state.js';
import { deleteSnapshot, listSnapshotOffsets, readProducerSnapshot } from './producer-snapshot.js';

const INT32_MAX = 0x7fffffffn;

export interface RecoveredPartition {
  segments: LogSegment[];
  producers: ProducerStateManager;
  /** True when the directory was closed cleanly and nothing had to be scanned. */
  clean: boolean;
  /** Bytes cut from the log by recovery (0 after a clean close). */
  truncatedBytes: number;
}

export async function recoverPartition(dir: string, indexIntervalBytes: number): Promise<RecoveredPartition> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  const bases: bigint[] = [];
  for (const name of names) {
    // Leftovers of an interrupted atomic write: the target still holds the previous version.
    if (name.endsWith('.tmp')) await unlink(join(dir, name));
    const base = parseOffsetFileName(name, LOG_SUFFIX);
    if (base !== null) bases.push(base);
  }
  bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await removeOrphanIndexes(dir, names, new Set(bases));

  const cp = await readCheckpoint(dir);
  const segments: LogSegment[] = [];
  for (const b of bases) segments.push(await LogSegment.openExisting(dir, b, indexIntervalBytes));
  if (segments.length === 0) segments.push(await LogSegment.create(dir, 0n, indexIntervalBytes, Date.now()));

  const active = segments[segments.length - 1]!;
  let clean =
    cp.clean !== null && cp.clean.activeSegmentBase === active.baseOffset && cp.clean.activeSegmentBytes === active.size;
  let truncatedBytes = 0;

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    const trusted = clean || (next !== undefined && next.baseOffset <= cp.recoveryPoint);
    let ok = false;
    if (trusted && (await seg.loadIndexes())) {
      if (next) {
        seg.readableSize = seg.size;
        seg.nextOffset = next.baseOffset;
        ok = true;
      } else {
        ok = (await seg.loadTail()) && (!clean || seg.nextOffset === cp.clean!.logEndOffset);
      }
    }
    if (ok) continue;
    clean = false;
    const before = seg.size;
    await recoverSegment(seg);
    truncatedBytes += before - seg.size;
    if (next) await seg.writeIndexes();
    const broken = seg.size < before || (next !== undefined && seg.nextOffset !== next.baseOffset);
    if (broken && next) {
      // Anything after a damaged segment cannot be contiguous with it.
      for (const later of segments.splice(i + 1)) {
        truncatedBytes += later.size;
        await later.closeAndDelete();
      }
    }
  }

  const last = segments[segments.length - 1]!;
  const producers = await restoreProducerState(dir, segments, last.nextOffset);
  // From here on a crash must be treated as unclean, whatever this open found.
  await writeCheckpoint(dir, { recoveryPoint: last.baseOffset, clean: null });
  return { segments, producers, clean, truncatedBytes };
}

/**
 * Full verification scan of one segment; cuts the file after the last good batch and
 * rebuilds the in-memory indexes. Ends with an fdatasync so that what recovery keeps (and the
 * log will serve) is durable even if it was only in the page cache when the process died.
 */
export async function recoverSegment(seg: LogSegment): Promise<void> {
  seg.resetIndexes();
  const reader = new BatchReader(seg.handle, 0, seg.size);
  let expected = seg.baseOffset;
  let validEnd = 0;
  for (let b = await reader.next(); b; b = await reader.next()) {
    const h = b.header;
    if (h.magic !== 2 || h.baseOffset !== expected || h.lastOffsetDelta < 0) break;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (last - seg.baseOffset > INT32_MAX) break;
    if (!hasValidCrc(b.bytes!)) break;
    seg.onBatchReadable(b.position, b.size, h.baseOffset, last, h.maxTimestamp);
    expected = last + 1n;
    validEnd = b.position + b.size;
  }
  if (validEnd < seg.size) await seg.truncateTo(validEnd);
  else await seg.handle.datasync();
}

/** Newest usable snapshot at or below the log end, then the batch headers after it. */
async function restoreProducerState(dir: string, segments: LogSegment[], logEnd: bigint): Promise<ProducerStateManager> {
  const offsets = await listSnapshotOffsets(dir);
  for (const off of offsets) if (off > logEnd) await deleteSnapshot(dir, off);
  let state: ProducerStateManager | null = null;
  let from = segments[0]!.baseOffset;
  for (const off of offsets.filter((o) => o <= logEnd).reverse()) {
    const snap = await readProducerSnapshot(dir, off);
    if (snap) {
      state = ProducerStateManager.fromSnapshot(snap);
      from = off;
      break;
    }
  }
  state ??= new ProducerStateManager();
  for (const seg of segments) {
    if (seg.nextOffset <= from) continue;
    let start = 0;
    if (seg.baseOffset < from) {
      const found = await seg.findBatch(from);
      if (!found) continue;
      start = found.position;
    }
    const reader = new BatchReader(seg.handle, start, seg.readableSize, { headersOnly: true });
    for (let b = await reader.next(); b; b = await reader.next()) {
      if (b.header.baseOffset >= from) state.replay(b.header);
    }
  }
  return state;
}

async function removeOrphanIndexes(dir: string, names: string[], bases: Set<bigint>): Promise<void> {
  for (const name of names) {
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const base = parseOffsetFileName(name, suffix);
      if (base !== null && !bases.has(base)) await unlink(join(dir, offsetFileName(base, suffix)));
    }
  }
}
