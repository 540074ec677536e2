/**
 * Manifest files (spec: "Manifests"), format v2: an Avro container whose records are
 * `manifest_entry` (status, snapshot id, sequence numbers, `data_file` record `r2`). The
 * header schema carries every field id; the file metadata holds the table schema, the
 * partition spec and the format version, as readers expect.
 *
 * New (ADDED) entries leave sequence numbers null so they inherit the manifest's sequence
 * number from the manifest list; a manifest therefore survives a commit retry unchanged.
 */
import type { FileMetrics } from './conversions.js';
import { readAvroFile, writeAvroFile, type AvroCodec, requiredField, optionalField, type AvroSchema } from './avro.js';
import type { PartitionSpec, PartitionField, SourceTypeOf } from './partition.js';
import { partitionFieldType, sourceTypesOf } from './partition.js';
import type { PartitionValue } from '../../writer/task.js';
import type { IcebergSchema } from './schema.js';

export const ManifestEntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type ManifestEntryStatus = (typeof ManifestEntryStatus)[keyof typeof ManifestEntryStatus];

export interface DataFile {
  /** 0 data, 1 position deletes, 2 equality deletes. */
  content: number;
  /** Location URI, e.g. file:///abs/path.parquet */
  filePath: string;
  fileFormat: string;
  /** Keyed by partition field name. */
  partition: Record<string, PartitionValue>;
  recordCount: bigint;
  fileSizeInBytes: bigint;
  metrics: FileMetrics;
  splitOffsets?: bigint[] | null;
  sortOrderId?: number | null;
}

export interface ManifestEntry {
  status: ManifestEntryStatus;
  /** Null: inherited from the manifest list's added_snapshot_id. */
  snapshotId: bigint | null;
  /** Null: inherited from the manifest list's sequence_number. */
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  dataFile: DataFile;
}

// ---- Avro schema -------------------------------------------------------------------------

const required = requiredField;
const optional = optionalField;

/** An Iceberg map as Avro: an array of key/value records, logicalType map. */
function avroMap(keyId: number, valueId: number, valueType: string): AvroSchema {
  return {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [
        { name: 'key', type: 'int', 'field-id': keyId },
        { name: 'value', type: valueType, 'field-id': valueId },
      ],
    },
  };
}

function avroList(elementId: number, elementType: string): AvroSchema {
  return { type: 'array', items: elementType, 'element-id': elementId };
}

function partitionFieldAvroType(f: PartitionField, sourceType?: SourceTypeOf): AvroSchema {
  const type = partitionFieldType(f, sourceType);
  if (type === 'date') return { type: 'int', logicalType: 'date' };
  if (type === 'int' || type === 'long' || type === 'string') return type;
  throw new Error(`partition field ${f.name} of type ${type} is not one lakegate writes`);
}

/** The `r102` partition record for a spec (empty for an unpartitioned table). */
export function partitionAvroSchema(spec: PartitionSpec, sourceType?: SourceTypeOf): AvroSchema {
  return {
    type: 'record',
    name: 'r102',
    fields: spec.fields.map((f) => optional(f['field-id'], f.name, partitionFieldAvroType(f, sourceType))),
  };
}

/** The v2 `manifest_entry` Avro schema for a partition spec, field ids included. */
export function manifestEntryAvroSchema(spec: PartitionSpec, sourceType?: SourceTypeOf): Record<string, unknown> {
  const dataFile = {
    type: 'record',
    name: 'r2',
    fields: [
      required(134, 'content', 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required(100, 'file_path', 'string', 'Location URI with FS scheme'),
      required(101, 'file_format', 'string', 'File format name: avro, orc, or parquet'),
      required(102, 'partition', partitionAvroSchema(spec, sourceType), 'Partition data tuple, schema based on the partition spec'),
      required(103, 'record_count', 'long', 'Number of records in the file'),
      required(104, 'file_size_in_bytes', 'long', 'Total file size in bytes'),
      optional(108, 'column_sizes', avroMap(117, 118, 'long'), 'Map of column id to total size on disk'),
      optional(109, 'value_counts', avroMap(119, 120, 'long'), 'Map of column id to total count, including null and NaN'),
      optional(110, 'null_value_counts', avroMap(121, 122, 'long'), 'Map of column id to null value count'),
      optional(137, 'nan_value_counts', avroMap(138, 139, 'long'), 'Map of column id to number of NaN values in the column'),
      optional(125, 'lower_bounds', avroMap(126, 127, 'bytes'), 'Map of column id to lower bound'),
      optional(128, 'upper_bounds', avroMap(129, 130, 'bytes'), 'Map of column id to upper bound'),
      optional(131, 'key_metadata', 'bytes', 'Encryption key metadata blob'),
      optional(132, 'split_offsets', avroList(133, 'long'), 'Splittable offsets'),
      optional(135, 'equality_ids', avroList(136, 'int'), 'Equality comparison field IDs'),
      optional(140, 'sort_order_id', 'int', 'Sort order ID'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      required(0, 'status', 'int'),
      optional(1, 'snapshot_id', 'long'),
      optional(3, 'sequence_number', 'long'),
      optional(4, 'file_sequence_number', 'long'),
      required(2, 'data_file', dataFile),
    ],
  };
}

// ---- records -----------------------------------------------------------------------------

function mapToAvro<V>(m: Map<number, V>): { key: number; value: V }[] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value }));
}

function mapFromAvro<V>(arr: unknown): Map<number, V> {
  const m = new Map<number, V>();
  if (Array.isArray(arr)) for (const kv of arr as { key: number; value: V }[]) m.set(kv.key, kv.value);
  return m;
}

function entryToAvro(e: ManifestEntry, spec: PartitionSpec): Record<string, unknown> {
  const f = e.dataFile;
  const partition: Record<string, PartitionValue> = {};
  for (const pf of spec.fields) partition[pf.name] = f.partition[pf.name] ?? null;
  return {
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: f.content,
      file_path: f.filePath,
      file_format: f.fileFormat,
      partition,
      record_count: f.recordCount,
      file_size_in_bytes: f.fileSizeInBytes,
      column_sizes: mapToAvro(f.metrics.columnSizes),
      value_counts: mapToAvro(f.metrics.valueCounts),
      null_value_counts: mapToAvro(f.metrics.nullValueCounts),
      nan_value_counts: mapToAvro(f.metrics.nanValueCounts),
      lower_bounds: mapToAvro(f.metrics.lowerBounds),
      upper_bounds: mapToAvro(f.metrics.upperBounds),
      key_metadata: null,
      split_offsets: f.splitOffsets ?? null,
      equality_ids: null,
      sort_order_id: f.sortOrderId ?? null,
    },
  };
}

export interface ManifestWriteInput {
  schema: IcebergSchema;
  spec: PartitionSpec;
  entries: ManifestEntry[];
  codec?: AvroCodec;
}

/** The bytes of a v2 data manifest. */
export function writeManifest(input: ManifestWriteInput): Buffer {
  return writeAvroFile(
    manifestEntryAvroSchema(input.spec, sourceTypesOf(input.schema)),
    input.entries.map((e) => entryToAvro(e, input.spec)),
    {
      codec: input.codec,
      metadata: {
        schema: JSON.stringify(input.schema),
        'schema-id': String(input.schema['schema-id']),
        'partition-spec': JSON.stringify(input.spec.fields),
        'partition-spec-id': String(input.spec['spec-id']),
        'format-version': '2',
        content: 'data',
      },
    },
  );
}

export interface ManifestContents {
  metadata: Record<string, string>;
  /** The header schema as written. */
  avroSchema: unknown;
  entries: ManifestEntry[];
}

/** Decodes a manifest (v2; v1 entries read with null sequence numbers). */
export function readManifest(buf: Buffer): ManifestContents {
  const file = readAvroFile(buf);
  const entries = file.records.map((raw): ManifestEntry => {
    const r = raw as Record<string, unknown>;
    const d = r['data_file'] as Record<string, unknown>;
    const partition: Record<string, PartitionValue> = {};
    for (const [k, v] of Object.entries((d['partition'] ?? {}) as Record<string, unknown>)) {
      // int and date come back as numbers, long as bigint, string as string.
      partition[k] = v === null || v === undefined ? null : typeof v === 'bigint' || typeof v === 'string' ? v : Number(v);
    }
    return {
      status: r['status'] as ManifestEntryStatus,
      snapshotId: (r['snapshot_id'] as bigint | null | undefined) ?? null,
      sequenceNumber: (r['sequence_number'] as bigint | null | undefined) ?? null,
      fileSequenceNumber: (r['file_sequence_number'] as bigint | null | undefined) ?? null,
      dataFile: {
        content: (d['content'] as number | undefined) ?? 0,
        filePath: d['file_path'] as string,
        fileFormat: d['file_format'] as string,
        partition,
        recordCount: d['record_count'] as bigint,
        fileSizeInBytes: d['file_size_in_bytes'] as bigint,
        metrics: {
          columnSizes: mapFromAvro(d['column_sizes']),
          valueCounts: mapFromAvro(d['value_counts']),
          nullValueCounts: mapFromAvro(d['null_value_counts']),
          nanValueCounts: mapFromAvro(d['nan_value_counts']),
          lowerBounds: mapFromAvro(d['lower_bounds']),
          upperBounds: mapFromAvro(d['upper_bounds']),
        },
        splitOffsets: (d['split_offsets'] as bigint[] | null | undefined) ?? null,
        sortOrderId: (d['sort_order_id'] as number | null | undefined) ?? null,
      },
    };
  });
  return { metadata: file.metadata, avroSchema: file.schema, entries };
}
