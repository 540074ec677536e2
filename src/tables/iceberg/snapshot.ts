/**
 * Snapshot summaries: Iceberg's standard counters for an append, and lakegate's exactly-once
 * record of Kafka offsets. Every lakegate snapshot carries `lakegate.kafka.offsets`, a JSON
 * object mapping each Kafka partition (decimal string) to the last offset the table holds
 * (decimal string), for every partition committed so far; on restart the committer resumes
 * after those offsets.
 */
import { currentSnapshot, snapshotById, type Snapshot, type TableMetadata } from './metadata.js';
import type { PartitionValue } from '../../writer/task.js';

export const OFFSETS_PROPERTY = 'lakegate.kafka.offsets';
export const TOPIC_PROPERTY = 'lakegate.kafka.topic';

export function encodeOffsets(offsets: ReadonlyMap<number, bigint>): string {
  const o: Record<string, string> = {};
  for (const p of [...offsets.keys()].sort((a, b) => a - b)) o[String(p)] = offsets.get(p)!.toString();
  return JSON.stringify(o);
}

export function decodeOffsets(text: string): Map<number, bigint> {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const out = new Map<number, bigint>();
  for (const [k, v] of Object.entries(raw)) {
    const p = Number(k);
    if (!Number.isInteger(p) || p < 0 || (typeof v !== 'string' && typeof v !== 'number')) {
      throw new Error(`invalid ${OFFSETS_PROPERTY} entry ${k}: ${String(v)}`);
    }
    out.set(p, BigInt(v));
  }
  return out;
}

/**
 * The offsets recorded by the newest snapshot on the current branch that has them (a snapshot
 * written by another tool, e.g. compaction, is skipped over to its parent). Empty: none yet.
 */
export function committedOffsets(meta: TableMetadata): Map<number, bigint> {
  const seen = new Set<bigint>();
  for (let s: Snapshot | null = currentSnapshot(meta); s && !seen.has(s['snapshot-id']); ) {
    seen.add(s['snapshot-id']);
    const text = s.summary[OFFSETS_PROPERTY];
    if (text !== undefined) return decodeOffsets(text);
    const parent = s['parent-snapshot-id'];
    s = parent === undefined ? null : snapshotById(meta, parent);
  }
  return new Map();
}

/** Parent offsets with this commit's applied; offsets only move forward. */
export function mergeOffsets(parent: ReadonlyMap<number, bigint>, commit: ReadonlyMap<number, bigint>): Map<number, bigint> {
  const merged = new Map(parent);
  for (const [p, offset] of commit) {
    const prev = parent.get(p);
    if (prev !== undefined && offset < prev) {
      throw new Error(`offset of partition ${p} would move back from ${prev} to ${offset}`);
    }
    merged.set(p, offset);
  }
  return merged;
}

export interface AddedFileSummary {
  recordCount: number;
  sizeBytes: number;
  partitionValue: PartitionValue;
}

export interface AppendSummaryInput {
  parent: Snapshot | null;
  added: readonly AddedFileSummary[];
  topic: string;
  offsets: ReadonlyMap<number, bigint>;
}

function parentTotal(parent: Snapshot | null, key: string): bigint {
  const v = parent?.summary[key];
  return v === undefined || !/^\d+$/.test(v) ? 0n : BigInt(v);
}

/** The summary of an append snapshot: operation, added-*, total-* and the offsets. */
export function appendSummary(input: AppendSummaryInput): Snapshot['summary'] {
  const records = input.added.reduce((n, f) => n + BigInt(f.recordCount), 0n);
  const size = input.added.reduce((n, f) => n + BigInt(f.sizeBytes), 0n);
  const files = BigInt(input.added.length);
  const partitions = new Set(input.added.map((f) => f.partitionValue));
  const p = input.parent;
  return {
    operation: 'append',
    'added-data-files': files.toString(),
    'added-records': records.toString(),
    'added-files-size': size.toString(),
    'changed-partition-count': String(partitions.size),
    'total-records': (parentTotal(p, 'total-records') + records).toString(),
    'total-files-size': (parentTotal(p, 'total-files-size') + size).toString(),
    'total-data-files': (parentTotal(p, 'total-data-files') + files).toString(),
    'total-delete-files': parentTotal(p, 'total-delete-files').toString(),
    'total-position-deletes': parentTotal(p, 'total-position-deletes').toString(),
    'total-equality-deletes': parentTotal(p, 'total-equality-deletes').toString(),
    [TOPIC_PROPERTY]: input.topic,
    [OFFSETS_PROPERTY]: encodeOffsets(input.offsets),
  };
}
