/**
 * IcebergTableWriter: the TableFormatWriter of an Iceberg table. A commit is a fast append:
 *
 *   1. one new manifest for the commit's data files (ADDED entries; sequence numbers left null
 *      so they inherit, which lets the manifest survive a retry unchanged);
 *   2. a new manifest list: that manifest + the parent snapshot's manifest_file records as they
 *      were;
 *   3. new metadata: the snapshot (sequence number +1) with the standard summary counters and
 *      `lakegate.kafka.offsets` (all partitions so far) / `lakegate.kafka.topic`;
 *   4. compare-and-swap of the catalog pointer. On CommitConflictError the table is reloaded
 *      and steps 2-4 rerun, a bounded number of times. If another writer moved the offsets of
 *      a partition this commit covers, retrying would duplicate rows, so it fails instead
 *      (OffsetConflictError). So does a commit whose expected offsets (what the caller
 *      believes the table holds) are not the table's: checked on every attempt, the first
 *      included, it keeps a range from going in twice after an earlier commit's error hid
 *      that the commit was applied.
 *
 * A commit without data files still makes a snapshot when it advances an offset (records that
 * were all bad must not be read again); one that changes nothing is skipped.
 */
import { randomUUID } from 'node:crypto';
import type { RowSchema } from '../../writer/schema.js';
import type { DataFileResult, PartitionTransform } from '../../writer/task.js';
import type { TableCommit, TableFormatWriter } from '../table-writer.js';
import { CommitConflictError, type LoadedTable, type Namespace, type WritableIcebergCatalog } from './catalog.js';
import type { AvroCodec } from './avro.js';
import { fileMetrics } from './conversions.js';
import { LocalFileIO, locationToPath, pathToLocation, type FileIO } from './io.js';
import { ManifestEntryStatus, readManifest, writeManifest, type ManifestEntry } from './manifest.js';
import { ManifestContent, partitionSummaries, readManifestList, writeManifestList, type ManifestFile } from './manifest-list.js';
import {
  appendSnapshot,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  newSnapshotId,
  parseMetadata,
  serializeMetadata,
  withCurrentSchema,
  type Snapshot,
  type TableMetadata,
} from './metadata.js';
import { partitionRecord, partitionTransformOf, sourceTypesOf } from './partition.js';
import { fromIcebergField, fromIcebergSchema, leafFields } from './schema.js';
import { appendSummary, committedOffsets, mergeOffsets } from './snapshot.js';
import { mergeManifests, mergeSettings } from './manifest-merge.js';
import { expireSnapshots } from './snapshot-expiry.js';

/** Iceberg's properties: how many previous metadata files the log keeps, and whether the ones
 * that fall off it are removed after a commit (lakegate: yes unless set to false). */
const DELETE_AFTER_COMMIT_PROPERTY = 'write.metadata.delete-after-commit.enabled';
const PREVIOUS_VERSIONS_MAX_PROPERTY = 'write.metadata.previous-versions-max';

function previousVersionsMax(meta: TableMetadata): number | undefined {
  const v = Number(meta.properties[PREVIOUS_VERSIONS_MAX_PROPERTY]);
  return Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

export class OffsetConflictError extends Error {
  /** Refused before any swap: the table is unchanged (see tables/table-writer.ts). */
  readonly commitNotApplied = true;
  constructor(message: string) {
    super(message);
    this.name = 'OffsetConflictError';
  }
}

export interface IcebergTableWriterOptions {
  catalog: WritableIcebergCatalog;
  namespace: Namespace;
  table: string;
  /** Kafka topic the table materializes (recorded in every snapshot summary). */
  topic: string;
  /** Schema of the data files this writer commits; becomes the table's current schema. */
  schema: RowSchema;
  partitionBy: PartitionTransform;
  /** Table properties used when the table is created. */
  properties?: Record<string, string>;
  /** IO for metadata files; local files by default. */
  io?: FileIO;
  /** Commit attempts before giving up on repeated conflicts (default 5). */
  maxCommitAttempts?: number;
  codec?: AvroCodec;
}

export class IcebergTableWriter implements TableFormatWriter {
  readonly format = 'iceberg' as const;
  readonly name: string;
  readonly dataDir: string;
  /** Table location URI. */
  readonly location: string;

  private readonly catalog: WritableIcebergCatalog;
  private readonly ns: Namespace;
  private readonly table: string;
  private readonly topic: string;
  private readonly schema: RowSchema;
  private readonly io: FileIO;
  private readonly maxAttempts: number;
  private readonly codec: AvroCodec | undefined;

  private constructor(opts: IcebergTableWriterOptions, location: string) {
    this.catalog = opts.catalog;
    this.ns = opts.namespace;
    this.table = opts.table;
    this.topic = opts.topic;
    this.schema = opts.schema;
    this.io = opts.io ?? new LocalFileIO();
    this.maxAttempts = Math.max(1, opts.maxCommitAttempts ?? 5);
    this.codec = opts.codec;
    this.name = [...opts.namespace, opts.table].join('.');
    this.location = location;
    this.dataDir = locationToPath(location) + '/data';
  }

  /** Opens the table, creating it (and its namespace) when missing. */
  static async open(opts: IcebergTableWriterOptions): Promise<IcebergTableWriter> {
    const loaded = await opts.catalog.createTable(opts.namespace, opts.table, opts.schema, opts.partitionBy, opts.properties ?? {});
    const meta = parseMetadata(loaded.metadataJson);
    const spec = partitionTransformOf(defaultSpec(meta));
    if (spec !== opts.partitionBy) {
      throw new Error(`table ${[...opts.namespace, opts.table].join('.')} is partitioned by ${spec}, not ${opts.partitionBy}`);
    }
    return new IcebergTableWriter(opts, meta.location);
  }

  private async load(): Promise<{ loaded: LoadedTable; meta: TableMetadata }> {
    const loaded = await this.catalog.loadTable(this.ns, this.table);
    if (!loaded) throw new Error(`table ${this.name} does not exist`);
    return { loaded, meta: parseMetadata(loaded.metadataJson) };
  }

  async currentSchema(): Promise<{ schema: RowSchema; lastColumnId: number; properties: Record<string, string> }> {
    const { meta } = await this.load();
    return { schema: fromIcebergSchema(currentSchema(meta)), lastColumnId: meta['last-column-id'], properties: meta.properties };
  }

  /** Rows the current snapshot holds (its summary's total-records; 0 before the first commit). */
  async committedRowCount(): Promise<bigint> {
    const total = currentSnapshot((await this.load()).meta)?.summary['total-records'];
    return total === undefined ? 0n : BigInt(total);
  }

  async committedOffsets(): Promise<Map<number, bigint>> {
    return committedOffsets((await this.load()).meta);
  }

  /**
   * Every data file of every snapshot the metadata still lists (lakegate only appends, so this
   * is the current snapshot's files, but a snapshot written by another tool, e.g. a compaction,
   * may leave older snapshots referencing files the current one no longer does).
   */
  async referencedDataFiles(): Promise<Set<string>> {
    const { meta } = await this.load();
    const out = new Set<string>();
    const seenManifests = new Set<string>();
    for (const snap of meta.snapshots) {
      for (const m of readManifestList(await this.io.read(snap['manifest-list'])).manifests) {
        if (seenManifests.has(m.manifestPath)) continue;
        seenManifests.add(m.manifestPath);
        for (const e of readManifest(await this.io.read(m.manifestPath)).entries) {
          if (e.status !== ManifestEntryStatus.DELETED) out.add(locationToPath(e.dataFile.filePath));
        }
      }
    }
    return out;
  }

  /** The manifest_file records of the current snapshot (none before the first commit). */
  private async liveManifests(meta: TableMetadata): Promise<ManifestFile[]> {
    const snap = currentSnapshot(meta);
    if (!snap) return [];
    return readManifestList(await this.io.read(snap['manifest-list'])).manifests;
  }

  async commit(commit: TableCommit): Promise<void> {
    const metadataDir = `${this.location}/metadata`;
    const commitId = randomUUID();
    let snapshotId = newSnapshotId();
    let manifest: ManifestFile | null = null;
    let mergedLocation: string | null = null;
    let basis: Map<number, bigint> | null = null;
    try {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        const { loaded, meta: loadedMeta } = await this.load();
        // A commit's own schema (an evolved Avro schema) becomes current with its data.
        const schema = commit.schema ?? this.schema;
        const meta = schema.schemaId > loadedMeta['current-schema-id'] ? withCurrentSchema(loadedMeta, schema) : loadedMeta;
        const parentOffsets = committedOffsets(meta);
        for (const [p, expected] of commit.expectedOffsets ?? []) {
          const holds = parentOffsets.get(p) ?? null;
          if (holds !== expected) {
            throw new OffsetConflictError(
              `${this.name}: partition ${p} holds offsets through ${holds ?? 'none'}, this commit expected ${expected ?? 'none'}`,
            );
          }
        }
        if (basis === null) {
          basis = parentOffsets;
        } else {
          for (const p of commit.offsets.keys()) {
            if (parentOffsets.get(p) !== basis.get(p)) {
              throw new OffsetConflictError(
                `${this.name}: another writer committed partition ${p} (offset ${basis.get(p) ?? 'none'} -> ${parentOffsets.get(p) ?? 'none'}) during this commit`,
              );
            }
          }
        }
        const offsets = mergeOffsets(parentOffsets, commit.offsets);
        const advances = [...commit.offsets].some(([p, o]) => parentOffsets.get(p) !== o);
        if (commit.files.length === 0 && !advances) return;
        while (meta.snapshots.some((s) => s['snapshot-id'] === snapshotId)) snapshotId = newSnapshotId();

        const parent = currentSnapshot(meta);
        const sequenceNumber = meta['last-sequence-number'] + 1;
        if (manifest === null && commit.files.length > 0) {
          manifest = await this.writeDataManifest(meta, commit.files, snapshotId, `${metadataDir}/${commitId}-m0.avro`);
        }
        const manifests: ManifestFile[] = [];
        if (manifest) {
          manifests.push({ ...manifest, sequenceNumber: BigInt(sequenceNumber), minSequenceNumber: BigInt(sequenceNumber), addedSnapshotId: snapshotId });
        }
        const carried = await mergeManifests({
          carried: await this.liveManifests(meta),
          settings: mergeSettings(meta.properties),
          schema: currentSchema(meta),
          spec: defaultSpec(meta),
          snapshotId,
          sequenceNumber: BigInt(sequenceNumber),
          io: this.io,
          location: `${metadataDir}/${commitId}-merged-${attempt + 1}.avro`,
          codec: this.codec,
        });
        mergedLocation = carried.merged;
        manifests.push(...carried.manifests);
        const manifestListLocation = `${metadataDir}/snap-${snapshotId}-${attempt + 1}-${commitId}.avro`;
        await this.io.writeNew(
          manifestListLocation,
          writeManifestList({
            snapshotId,
            parentSnapshotId: parent?.['snapshot-id'] ?? null,
            sequenceNumber,
            manifests,
            codec: this.codec,
          }),
        );
        const summary = appendSummary({
          parent,
          added: commit.files.map((f) => ({ recordCount: f.recordCount, sizeBytes: f.sizeBytes, partitionValue: f.partitionValue })),
          topic: this.topic,
          offsets,
        });
        const { meta: next, expired } = expireSnapshots(
          appendSnapshot(meta, { snapshotId, manifestList: manifestListLocation, summary, previousMetadataLocation: loaded.metadataLocation, metadataLogMax: previousVersionsMax(meta) }),
          Date.now(),
        );
        try {
          await this.catalog.commitTable(this.ns, this.table, loaded.metadataLocation, serializeMetadata(next));
          manifest = null; // committed: keep it
        } catch (e) {
          if (!(e instanceof CommitConflictError)) {
            // The outcome is unknown (the pointer may have moved): delete nothing.
            manifest = null;
            throw e;
          }
          await this.io.delete(manifestListLocation).catch(() => undefined);
          if (mergedLocation) await this.io.delete(mergedLocation).catch(() => undefined);
          if (attempt + 1 >= this.maxAttempts) throw e;
          continue;
        }
        await this.removeUnreferencedMetadata(loaded.metadataLocation, meta, next, expired, manifests);
        return;
      }
    } finally {
      if (manifest) await this.io.delete(manifest.manifestPath).catch(() => undefined);
    }
  }

  /**
   * After a commit: the manifest lists of the snapshots it expired (each list belongs to one
   * snapshot), the manifests only those lists named, and, unless
   * `write.metadata.delete-after-commit.enabled` is false, the metadata files that fell off
   * the metadata log (`write.metadata.previous-versions-max`, 100). Best effort: a file left
   * behind is garbage, not an error.
   *
   * A manifest is listed by an unbroken run of snapshots (from the one that added it to the
   * one before a merge replaced it), so one that an expired snapshot listed and a kept one
   * still lists is listed by the oldest kept snapshot, by a kept one older than an expired
   * one (a ref's), or by the new snapshot: only those lists are read.
   */
  private async removeUnreferencedMetadata(previousLocation: string, before: TableMetadata, after: TableMetadata, expired: Snapshot[], current: ManifestFile[]): Promise<void> {
    const files = expired.map((s) => s['manifest-list']);
    if (expired.length > 0) {
      const listed = async (list: string) => {
        try {
          return readManifestList(await this.io.read(list)).manifests.map((m) => m.manifestPath);
        } catch {
          return null;
        }
      };
      const candidates = new Set<string>();
      for (const s of expired) for (const m of (await listed(s['manifest-list'])) ?? []) candidates.add(m);
      const newestExpired = Math.max(...expired.map((s) => s['sequence-number']));
      const oldestKept = after.snapshots.reduce<Snapshot | null>((o, s) => (o === null || s['sequence-number'] < o['sequence-number'] ? s : o), null);
      const stillRead = after.snapshots.filter((s) => s === oldestKept || s['sequence-number'] < newestExpired);
      const kept = new Set(current.map((m) => m.manifestPath));
      let complete = true;
      for (const s of stillRead) {
        const names = await listed(s['manifest-list']);
        if (names === null) complete = false;
        for (const m of names ?? []) kept.add(m);
      }
      // A kept list that could not be read might name any of them: keep them all then.
      if (complete) for (const m of candidates) if (!kept.has(m)) files.push(m);
    }
    if (after.properties[DELETE_AFTER_COMMIT_PROPERTY] !== 'false') {
      const logged = new Set(after['metadata-log'].map((e) => e['metadata-file']));
      for (const f of [...before['metadata-log'].map((e) => e['metadata-file']), previousLocation]) if (!logged.has(f)) files.push(f);
    }
    await Promise.all(files.map((f) => this.io.delete(f).catch(() => undefined)));
  }

  /** Writes the manifest of a commit's files; returns its manifest_file record (sequence numbers set per attempt). */
  private async writeDataManifest(meta: TableMetadata, files: DataFileResult[], snapshotId: bigint, location: string): Promise<ManifestFile> {
    const schema = currentSchema(meta);
    const spec = defaultSpec(meta);
    const leaves = leafFields(schema.fields.map(fromIcebergField));
    const entries: ManifestEntry[] = files.map((f) => {
      if (!Number.isSafeInteger(f.sizeBytes) || f.sizeBytes <= 0) throw new Error(`data file ${f.path} has invalid size ${f.sizeBytes}`);
      return {
        status: ManifestEntryStatus.ADDED,
        snapshotId,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile: {
          content: 0,
          filePath: pathToLocation(f.path),
          fileFormat: 'PARQUET',
          partition: partitionRecord(spec, f.partitionValue),
          recordCount: BigInt(f.recordCount),
          fileSizeInBytes: BigInt(f.sizeBytes),
          metrics: fileMetrics(f.columnStats, leaves),
          sortOrderId: 0,
        },
      };
    });
    const bytes = writeManifest({ schema, spec, entries, codec: this.codec });
    await this.io.writeNew(location, bytes);
    return {
      manifestPath: location,
      manifestLength: BigInt(bytes.length),
      partitionSpecId: spec['spec-id'],
      content: ManifestContent.DATA,
      sequenceNumber: 0n,
      minSequenceNumber: 0n,
      addedSnapshotId: snapshotId,
      addedFilesCount: entries.length,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: entries.reduce((n, e) => n + e.dataFile.recordCount, 0n),
      existingRowsCount: 0n,
      deletedRowsCount: 0n,
      partitions: partitionSummaries(spec, files.map((f) => f.partitionValue), sourceTypesOf(schema)),
      keyMetadata: null,
    };
  }
}
