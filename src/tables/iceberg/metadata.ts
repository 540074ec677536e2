/**
 * Table metadata (spec: "Table Metadata"), format v2: the model, a builder for new tables and
 * for appended snapshots, and lossless text (de)serialization. Snapshot ids are bigint
 * everywhere and written as bare JSON integers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { RowSchema } from '../../writer/schema.js';
import type { PartitionTransform } from '../../writer/task.js';
import { parseJson, stringifyJson, toBigInt, toSafeNumber, type JsonValue } from './json.js';
import { lastPartitionId, partitionSpec, type PartitionSpec } from './partition.js';
import { lastColumnId, nameMappingJson, toIcebergSchema, type IcebergSchema } from './schema.js';

export const FORMAT_VERSION = 2;
export const NAME_MAPPING_PROPERTY = 'schema.name-mapping.default';
/** How many previous metadata files metadata-log keeps (Iceberg's write.metadata.previous-versions-max default). */
export const DEFAULT_METADATA_LOG_MAX = 100;

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string> & { operation: string };
  'schema-id'?: number;
}

export interface SortOrder {
  'order-id': number;
  fields: unknown[];
}

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: 'branch' | 'tag';
  [key: string]: unknown;
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': SortOrder[];
  properties: Record<string, string>;
  /** null: no snapshot yet (written as -1, which every reader takes as "none"). */
  'current-snapshot-id': bigint | null;
  refs: Record<string, SnapshotRef>;
  snapshots: Snapshot[];
  statistics: unknown[];
  'partition-statistics': unknown[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': bigint }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
}

/** A positive random 63-bit snapshot id. */
export function newSnapshotId(): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
    if (id > 0n) return id;
  }
}

export interface NewTableOptions {
  /** Table location URI, e.g. file:///warehouse/ns/table */
  location: string;
  schema: RowSchema;
  partitionBy: PartitionTransform;
  properties?: Record<string, string>;
  tableUuid?: string;
  nowMs?: number;
}

export function newTableMetadata(opts: NewTableOptions): TableMetadata {
  const spec = partitionSpec(opts.partitionBy, opts.schema);
  const schema = toIcebergSchema(opts.schema);
  return {
    'format-version': 2,
    'table-uuid': opts.tableUuid ?? randomUUID(),
    location: opts.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': opts.nowMs ?? Date.now(),
    'last-column-id': lastColumnId(opts.schema),
    'current-schema-id': schema['schema-id'],
    schemas: [schema],
    'default-spec-id': spec['spec-id'],
    'partition-specs': [spec],
    'last-partition-id': lastPartitionId(spec),
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { [NAME_MAPPING_PROPERTY]: nameMappingJson(opts.schema), ...(opts.properties ?? {}) },
    'current-snapshot-id': null,
    refs: {},
    snapshots: [],
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': [],
    'metadata-log': [],
  };
}

/**
 * Makes `schema` the current schema (added when its id is new; field ids must never be
 * reused, which RowSchema guarantees). Returns the same object when nothing changes.
 */
export function withCurrentSchema(meta: TableMetadata, schema: RowSchema): TableMetadata {
  const known = meta.schemas.find((s) => s['schema-id'] === schema.schemaId);
  if (known && meta['current-schema-id'] === schema.schemaId) return meta;
  const schemas = known ? meta.schemas : [...meta.schemas, toIcebergSchema(schema)];
  return {
    ...meta,
    schemas,
    'current-schema-id': schema.schemaId,
    'last-column-id': Math.max(meta['last-column-id'], lastColumnId(schema)),
    properties: { ...meta.properties, [NAME_MAPPING_PROPERTY]: nameMappingJson(schema) },
  };
}

export function currentSnapshot(meta: TableMetadata): Snapshot | null {
  const id = meta['current-snapshot-id'];
  if (id === null) return null;
  return meta.snapshots.find((s) => s['snapshot-id'] === id) ?? null;
}

export function snapshotById(meta: TableMetadata, id: bigint): Snapshot | null {
  return meta.snapshots.find((s) => s['snapshot-id'] === id) ?? null;
}

export function currentSchema(meta: TableMetadata): IcebergSchema {
  const s = meta.schemas.find((x) => x['schema-id'] === meta['current-schema-id']);
  if (!s) throw new Error(`metadata has no schema ${meta['current-schema-id']}`);
  return s;
}

export function defaultSpec(meta: TableMetadata): PartitionSpec {
  const s = meta['partition-specs'].find((x) => x['spec-id'] === meta['default-spec-id']);
  if (!s) throw new Error(`metadata has no partition spec ${meta['default-spec-id']}`);
  return s;
}

export interface AppendSnapshot {
  snapshotId: bigint;
  /** URI of the snapshot's manifest list. */
  manifestList: string;
  summary: Record<string, string> & { operation: string };
  nowMs?: number;
  /** URI of the metadata file this one replaces (null for the first commit of a new table). */
  previousMetadataLocation: string | null;
  metadataLogMax?: number;
}

/**
 * The metadata after committing one snapshot on main: sequence number +1, the snapshot added
 * with the current snapshot as its parent, refs.main, snapshot-log and metadata-log updated.
 */
export function appendSnapshot(meta: TableMetadata, a: AppendSnapshot): TableMetadata {
  const now = Math.max(a.nowMs ?? Date.now(), meta['last-updated-ms']);
  const sequenceNumber = meta['last-sequence-number'] + 1;
  if (meta.snapshots.some((s) => s['snapshot-id'] === a.snapshotId)) throw new Error(`snapshot id ${a.snapshotId} already exists`);
  const snapshot: Snapshot = {
    'snapshot-id': a.snapshotId,
    'sequence-number': sequenceNumber,
    'timestamp-ms': now,
    'manifest-list': a.manifestList,
    summary: a.summary,
    'schema-id': meta['current-schema-id'],
  };
  const parent = meta['current-snapshot-id'];
  if (parent !== null) snapshot['parent-snapshot-id'] = parent;
  const metadataLog = [...meta['metadata-log']];
  if (a.previousMetadataLocation !== null) {
    metadataLog.push({ 'timestamp-ms': meta['last-updated-ms'], 'metadata-file': a.previousMetadataLocation });
  }
  const max = a.metadataLogMax ?? DEFAULT_METADATA_LOG_MAX;
  return {
    ...meta,
    'last-sequence-number': sequenceNumber,
    'last-updated-ms': now,
    'current-snapshot-id': a.snapshotId,
    refs: { ...meta.refs, main: { 'snapshot-id': a.snapshotId, type: 'branch' } },
    snapshots: [...meta.snapshots, snapshot],
    'snapshot-log': [...meta['snapshot-log'], { 'timestamp-ms': now, 'snapshot-id': a.snapshotId }],
    'metadata-log': metadataLog.slice(Math.max(0, metadataLog.length - max)),
  };
}

/** Metadata JSON text, snapshot ids written exactly. */
export function serializeMetadata(meta: TableMetadata): string {
  return stringifyJson({
    ...meta,
    'current-snapshot-id': meta['current-snapshot-id'] ?? -1,
  });
}

function obj(v: JsonValue | undefined, what: string): Record<string, JsonValue> {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || typeof v === 'bigint') {
    throw new Error(`metadata: ${what} is not an object`);
  }
  return v as Record<string, JsonValue>;
}

function arr(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

/** Parses metadata JSON text (v2) without losing snapshot id precision. */
export function parseMetadata(text: string): TableMetadata {
  const m = obj(parseJson(text), 'metadata');
  if (m['format-version'] !== 2) throw new Error(`unsupported Iceberg format-version ${String(m['format-version'])}`);
  const snapshots = arr(m['snapshots']).map((raw): Snapshot => {
    const s = obj(raw, 'snapshot');
    const snap: Snapshot = {
      'snapshot-id': toBigInt(s['snapshot-id']),
      'sequence-number': toSafeNumber(s['sequence-number'] ?? 0),
      'timestamp-ms': toSafeNumber(s['timestamp-ms']),
      'manifest-list': s['manifest-list'] as string,
      summary: obj(s['summary'], 'summary') as Snapshot['summary'],
    };
    if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) {
      snap['parent-snapshot-id'] = toBigInt(s['parent-snapshot-id']);
    }
    if (s['schema-id'] !== undefined && s['schema-id'] !== null) snap['schema-id'] = toSafeNumber(s['schema-id']);
    return snap;
  });
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, raw] of Object.entries(obj(m['refs'] ?? {}, 'refs'))) {
    const r = obj(raw, 'ref');
    refs[name] = { ...r, 'snapshot-id': toBigInt(r['snapshot-id']), type: r['type'] as 'branch' | 'tag' };
  }
  const cur = m['current-snapshot-id'];
  const currentId = cur === undefined || cur === null || cur === -1 ? null : toBigInt(cur);
  return {
    'format-version': 2,
    'table-uuid': m['table-uuid'] as string,
    location: m['location'] as string,
    'last-sequence-number': toSafeNumber(m['last-sequence-number']),
    'last-updated-ms': toSafeNumber(m['last-updated-ms']),
    'last-column-id': toSafeNumber(m['last-column-id']),
    'current-schema-id': toSafeNumber(m['current-schema-id']),
    schemas: arr(m['schemas']) as unknown as IcebergSchema[],
    'default-spec-id': toSafeNumber(m['default-spec-id']),
    'partition-specs': arr(m['partition-specs']) as unknown as PartitionSpec[],
    'last-partition-id': toSafeNumber(m['last-partition-id']),
    'default-sort-order-id': toSafeNumber(m['default-sort-order-id'] ?? 0),
    'sort-orders': arr(m['sort-orders']) as unknown as SortOrder[],
    properties: (m['properties'] ?? {}) as Record<string, string>,
    'current-snapshot-id': currentId,
    refs,
    snapshots,
    statistics: arr(m['statistics']),
    'partition-statistics': arr(m['partition-statistics']),
    'snapshot-log': arr(m['snapshot-log']).map((raw) => {
      const e = obj(raw, 'snapshot-log entry');
      return { 'timestamp-ms': toSafeNumber(e['timestamp-ms']), 'snapshot-id': toBigInt(e['snapshot-id']) };
    }),
    'metadata-log': arr(m['metadata-log']).map((raw) => {
      const e = obj(raw, 'metadata-log entry');
      return { 'timestamp-ms': toSafeNumber(e['timestamp-ms']), 'metadata-file': e['metadata-file'] as string };
    }),
  };
}
