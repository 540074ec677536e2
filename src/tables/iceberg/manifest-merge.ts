/**
 * Manifest merging, as Iceberg's merge append does it. A fast append adds one manifest per
 * commit, so a table committed every second would list tens of thousands of manifests, and
 * every scan opens each one. When a commit carries over `commit.manifest.min-count-to-merge`
 * (default 100) data manifests of the current partition spec that are smaller than
 * `commit.manifest.target-size-bytes` (default 8 MiB), they are rewritten into one manifest
 * of the new snapshot: live entries become EXISTING, their snapshot id and sequence numbers
 * written out (an ADDED entry's null ones are inherited from the manifest that held it, so
 * they are resolved from that manifest's record), and DELETED entries are dropped.
 *
 * The old manifests stay on disk: older snapshots still list them.
 */
import type { AvroCodec } from './avro.js';
import type { FileIO } from './io.js';
import { ManifestEntryStatus, readManifest, writeManifest, type ManifestEntry } from './manifest.js';
import { ManifestContent, partitionSummaries, type ManifestFile } from './manifest-list.js';
import type { IcebergSchema } from './schema.js';
import { sourceTypesOf, type PartitionSpec } from './partition.js';

export const MIN_COUNT_TO_MERGE_PROPERTY = 'commit.manifest.min-count-to-merge';
export const TARGET_SIZE_PROPERTY = 'commit.manifest.target-size-bytes';
export const MERGE_ENABLED_PROPERTY = 'commit.manifest-merge.enabled';
const DEFAULT_MIN_COUNT_TO_MERGE = 100;
const DEFAULT_TARGET_SIZE_BYTES = 8 * 1024 * 1024;

export interface MergeSettings {
  enabled: boolean;
  minCountToMerge: number;
  targetSizeBytes: number;
}

/** The merge settings of a table, from its properties (Iceberg's names and defaults). */
export function mergeSettings(properties: Record<string, string>): MergeSettings {
  const positive = (key: string, dflt: number) => {
    const v = Number(properties[key]);
    return Number.isSafeInteger(v) && v > 0 ? v : dflt;
  };
  return {
    enabled: properties[MERGE_ENABLED_PROPERTY] !== 'false',
    minCountToMerge: positive(MIN_COUNT_TO_MERGE_PROPERTY, DEFAULT_MIN_COUNT_TO_MERGE),
    targetSizeBytes: positive(TARGET_SIZE_PROPERTY, DEFAULT_TARGET_SIZE_BYTES),
  };
}

export interface MergeInput {
  /** The manifests the new snapshot carries over from its parent. */
  carried: ManifestFile[];
  settings: MergeSettings;
  schema: IcebergSchema;
  spec: PartitionSpec;
  snapshotId: bigint;
  sequenceNumber: bigint;
  io: FileIO;
  /** Where the merged manifest goes (a new file). */
  location: string;
  codec?: AvroCodec;
}

/**
 * The manifests to carry over: `carried` itself when there is nothing to merge, else the ones
 * left as they are followed by the merged one (`merged` names it, to delete if the commit
 * fails).
 */
export async function mergeManifests(input: MergeInput): Promise<{ manifests: ManifestFile[]; merged: string | null }> {
  const { carried, settings, spec } = input;
  if (!settings.enabled) return { manifests: carried, merged: null };
  const small = (m: ManifestFile) => m.content === ManifestContent.DATA && m.partitionSpecId === spec['spec-id'] && m.manifestLength < BigInt(settings.targetSizeBytes);
  const toMerge = carried.filter(small);
  if (toMerge.length < settings.minCountToMerge) return { manifests: carried, merged: null };

  const entries: ManifestEntry[] = [];
  for (const m of toMerge) {
    for (const e of readManifest(await input.io.read(m.manifestPath)).entries) {
      if (e.status === ManifestEntryStatus.DELETED) continue;
      const inherits = e.status === ManifestEntryStatus.ADDED;
      entries.push({
        status: ManifestEntryStatus.EXISTING,
        snapshotId: e.snapshotId ?? (inherits ? m.addedSnapshotId : null),
        sequenceNumber: e.sequenceNumber ?? (inherits ? m.sequenceNumber : null),
        fileSequenceNumber: e.fileSequenceNumber ?? (inherits ? m.sequenceNumber : null),
        dataFile: e.dataFile,
      });
    }
  }
  for (const e of entries) {
    if (e.snapshotId === null || e.sequenceNumber === null || e.fileSequenceNumber === null) {
      throw new Error(`manifest merge: the entry of ${e.dataFile.filePath} has no snapshot id or sequence number to keep`);
    }
  }
  const bytes = writeManifest({ schema: input.schema, spec, entries, codec: input.codec });
  await input.io.writeNew(input.location, bytes);
  const field = spec.fields[0];
  const merged: ManifestFile = {
    manifestPath: input.location,
    manifestLength: BigInt(bytes.length),
    partitionSpecId: spec['spec-id'],
    content: ManifestContent.DATA,
    sequenceNumber: input.sequenceNumber,
    minSequenceNumber: entries.reduce((min, e) => (e.sequenceNumber! < min ? e.sequenceNumber! : min), input.sequenceNumber),
    addedSnapshotId: input.snapshotId,
    addedFilesCount: 0,
    existingFilesCount: entries.length,
    deletedFilesCount: 0,
    addedRowsCount: 0n,
    existingRowsCount: entries.reduce((n, e) => n + e.dataFile.recordCount, 0n),
    deletedRowsCount: 0n,
    partitions: partitionSummaries(spec, entries.map((e) => (field ? (e.dataFile.partition[field.name] ?? null) : null)), sourceTypesOf(input.schema)),
    keyMetadata: null,
  };
  const kept = carried.filter((m) => !small(m));
  return { manifests: [...kept, merged], merged: input.location };
}
