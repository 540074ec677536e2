/**
 * Snapshot expiry at commit time. lakegate commits about once a second, and every snapshot
 * stays in the metadata JSON that each reader parses and each commit rewrites: a day of
 * commits would make it about 100 MB. So each commit drops the snapshots older than
 * `history.expire.max-snapshot-age-ms` (Iceberg's property; lakegate's default is an hour,
 * where Iceberg's expire action defaults to 5 days) while keeping, whatever their age:
 * - the newest `history.expire.min-snapshots-to-keep` (default 1) of the current branch;
 * - the current snapshot's ancestors down to the newest one that records lakegate's Kafka
 *   offsets (a snapshot of another tool, e.g. a compaction, has none; a restart resumes from
 *   those offsets, so losing them would ingest everything again);
 * - every snapshot a ref (a branch or tag) points at.
 * Time travel reaches back as far as the snapshots kept.
 */
import { currentSnapshot, snapshotById, type Snapshot, type TableMetadata } from './metadata.js';
import { OFFSETS_PROPERTY } from './snapshot.js';

export const MAX_SNAPSHOT_AGE_PROPERTY = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP_PROPERTY = 'history.expire.min-snapshots-to-keep';
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 60 * 60 * 1000;
const DEFAULT_MIN_SNAPSHOTS_TO_KEEP = 1;

function setting(properties: Record<string, string>, key: string, dflt: number): number {
  const v = Number(properties[key]);
  return properties[key] !== undefined && Number.isSafeInteger(v) && v >= 0 ? v : dflt;
}

/** The metadata without its expired snapshots (and their snapshot-log entries), and those snapshots. */
export function expireSnapshots(meta: TableMetadata, nowMs: number): { meta: TableMetadata; expired: Snapshot[] } {
  const maxAge = setting(meta.properties, MAX_SNAPSHOT_AGE_PROPERTY, DEFAULT_MAX_SNAPSHOT_AGE_MS);
  const minKeep = Math.max(1, setting(meta.properties, MIN_SNAPSHOTS_TO_KEEP_PROPERTY, DEFAULT_MIN_SNAPSHOTS_TO_KEEP));
  const keep = new Set<bigint>();
  for (const s of meta.snapshots) if (s['timestamp-ms'] >= nowMs - maxAge) keep.add(s['snapshot-id']);
  for (const ref of Object.values(meta.refs)) keep.add(ref['snapshot-id']);
  let kept = 0;
  let offsetsFound = false;
  const seen = new Set<bigint>();
  for (let s: Snapshot | null = currentSnapshot(meta); s && !seen.has(s['snapshot-id']); ) {
    seen.add(s['snapshot-id']);
    if (kept < minKeep || !offsetsFound) keep.add(s['snapshot-id']);
    kept++;
    offsetsFound ||= s.summary[OFFSETS_PROPERTY] !== undefined;
    if (kept >= minKeep && offsetsFound) break;
    const parent = s['parent-snapshot-id'];
    s = parent === undefined ? null : snapshotById(meta, parent);
  }
  const expired = meta.snapshots.filter((s) => !keep.has(s['snapshot-id']));
  if (expired.length === 0) return { meta, expired };
  return {
    meta: {
      ...meta,
      snapshots: meta.snapshots.filter((s) => keep.has(s['snapshot-id'])),
      'snapshot-log': meta['snapshot-log'].filter((e) => keep.has(e['snapshot-id'])),
    },
    expired,
  };
}
