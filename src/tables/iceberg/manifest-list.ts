/**
 * Manifest lists (spec: "Manifest Lists"), format v2: one `manifest_file` record per manifest
 * of a snapshot, with counts and a per-partition-field summary (`r508`) readers use to skip
 * manifests. File metadata: snapshot-id, parent-snapshot-id, sequence-number, format-version.
 */
import { readAvroFile, writeAvroFile, type AvroCodec, requiredField, optionalField } from './avro.js';
import { toBytes } from './conversions.js';
import type { PartitionSpec, SourceTypeOf } from './partition.js';
import { partitionFieldType } from './partition.js';
import type { PartitionValue } from '../../writer/task.js';

export const ManifestContent = { DATA: 0, DELETES: 1 } as const;

export interface FieldSummary {
  containsNull: boolean;
  containsNan: boolean | null;
  lowerBound: Buffer | null;
  upperBound: Buffer | null;
}

export interface ManifestFile {
  manifestPath: string;
  manifestLength: bigint;
  partitionSpecId: number;
  content: number;
  sequenceNumber: bigint;
  minSequenceNumber: bigint;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: bigint;
  existingRowsCount: bigint;
  deletedRowsCount: bigint;
  partitions: FieldSummary[] | null;
  keyMetadata: Buffer | null;
}

const required = requiredField;
const optional = optionalField;

/** The v2 `manifest_file` Avro schema, field ids included. */
export function manifestFileAvroSchema(): Record<string, unknown> {
  const fieldSummary = {
    type: 'record',
    name: 'r508',
    fields: [
      required(509, 'contains_null', 'boolean', 'True if any file has a null partition value'),
      optional(518, 'contains_nan', 'boolean', 'True if any file has a nan partition value'),
      optional(510, 'lower_bound', 'bytes', 'Partition lower bound for all files'),
      optional(511, 'upper_bound', 'bytes', 'Partition upper bound for all files'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_file',
    fields: [
      required(500, 'manifest_path', 'string', 'Location URI with FS scheme'),
      required(501, 'manifest_length', 'long', 'Total file size in bytes'),
      required(502, 'partition_spec_id', 'int', 'Spec ID used to write'),
      required(517, 'content', 'int', 'Contents of the manifest: 0=data, 1=deletes'),
      required(515, 'sequence_number', 'long', 'Sequence number when the manifest was added'),
      required(516, 'min_sequence_number', 'long', 'Lowest sequence number in the manifest'),
      required(503, 'added_snapshot_id', 'long', 'Snapshot ID that added the manifest'),
      required(504, 'added_files_count', 'int', 'Added entry count'),
      required(505, 'existing_files_count', 'int', 'Existing entry count'),
      required(506, 'deleted_files_count', 'int', 'Deleted entry count'),
      required(512, 'added_rows_count', 'long', 'Added rows count'),
      required(513, 'existing_rows_count', 'long', 'Existing rows count'),
      required(514, 'deleted_rows_count', 'long', 'Deleted rows count'),
      optional(507, 'partitions', { type: 'array', items: fieldSummary, 'element-id': 508 }, 'Summary for each partition'),
      optional(519, 'key_metadata', 'bytes', 'Encryption key metadata blob'),
    ],
  };
}

/** Orders partition values of one field; strings by UTF-8 bytes, as Iceberg compares them. */
function compareValues(a: number | bigint | string, b: number | bigint | string): number {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Partition field summaries of the files a manifest holds (values: one per file). */
export function partitionSummaries(spec: PartitionSpec, values: readonly PartitionValue[], sourceType?: SourceTypeOf): FieldSummary[] {
  return spec.fields.map((f) => {
    const present = values.filter((v): v is number | bigint | string => v !== null).sort(compareValues);
    const type = partitionFieldType(f, sourceType);
    return {
      containsNull: present.length < values.length,
      containsNan: false,
      lowerBound: present.length ? toBytes(type, present[0]) : null,
      upperBound: present.length ? toBytes(type, present[present.length - 1]) : null,
    };
  });
}

function toAvro(m: ManifestFile): Record<string, unknown> {
  return {
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: m.sequenceNumber,
    min_sequence_number: m.minSequenceNumber,
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions:
      m.partitions?.map((s) => ({
        contains_null: s.containsNull,
        contains_nan: s.containsNan,
        lower_bound: s.lowerBound,
        upper_bound: s.upperBound,
      })) ?? null,
    key_metadata: m.keyMetadata,
  };
}

export interface ManifestListWriteInput {
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: number;
  manifests: ManifestFile[];
  codec?: AvroCodec;
}

export function writeManifestList(input: ManifestListWriteInput): Buffer {
  return writeAvroFile(manifestFileAvroSchema(), input.manifests.map(toAvro), {
    codec: input.codec,
    metadata: {
      'snapshot-id': input.snapshotId.toString(),
      'parent-snapshot-id': input.parentSnapshotId === null ? 'null' : input.parentSnapshotId.toString(),
      'sequence-number': String(input.sequenceNumber),
      'format-version': '2',
    },
  });
}

export interface ManifestListContents {
  metadata: Record<string, string>;
  avroSchema: unknown;
  manifests: ManifestFile[];
}

const big = (v: unknown, dflt = 0n): bigint => (v === null || v === undefined ? dflt : (v as bigint));

/** Decodes a manifest list (v2; v1 lists read with sequence numbers 0). */
export function readManifestList(buf: Buffer): ManifestListContents {
  const file = readAvroFile(buf);
  const manifests = file.records.map((raw): ManifestFile => {
    const r = raw as Record<string, unknown>;
    const parts = r['partitions'] as Record<string, unknown>[] | null | undefined;
    return {
      manifestPath: r['manifest_path'] as string,
      manifestLength: big(r['manifest_length']),
      partitionSpecId: r['partition_spec_id'] as number,
      content: (r['content'] as number | undefined) ?? 0,
      sequenceNumber: big(r['sequence_number']),
      minSequenceNumber: big(r['min_sequence_number']),
      addedSnapshotId: big(r['added_snapshot_id']),
      addedFilesCount: ((r['added_files_count'] ?? r['added_data_files_count']) as number | null) ?? 0,
      existingFilesCount: ((r['existing_files_count'] ?? r['existing_data_files_count']) as number | null) ?? 0,
      deletedFilesCount: ((r['deleted_files_count'] ?? r['deleted_data_files_count']) as number | null) ?? 0,
      addedRowsCount: big(r['added_rows_count']),
      existingRowsCount: big(r['existing_rows_count']),
      deletedRowsCount: big(r['deleted_rows_count']),
      partitions:
        parts?.map((s) => ({
          containsNull: s['contains_null'] as boolean,
          containsNan: (s['contains_nan'] as boolean | null | undefined) ?? null,
          lowerBound: (s['lower_bound'] as Buffer | null | undefined) ?? null,
          upperBound: (s['upper_bound'] as Buffer | null | undefined) ?? null,
        })) ?? null,
      keyMetadata: (r['key_metadata'] as Buffer | null | undefined) ?? null,
    };
  });
  return { metadata: file.metadata, avroSchema: file.schema, manifests };
}
