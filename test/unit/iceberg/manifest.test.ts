import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { BIGINT_LONG, readAvroFile } from '../../../src/tables/iceberg/avro.js';
import { fileMetrics, toBytes } from '../../../src/tables/iceberg/conversions.js';
import { ManifestEntryStatus, readManifest, writeManifest, type ManifestEntry } from '../../../src/tables/iceberg/manifest.js';
import { partitionSummaries, readManifestList, writeManifestList, type ManifestFile } from '../../../src/tables/iceberg/manifest-list.js';
import { partitionSpec } from '../../../src/tables/iceberg/partition.js';
import { leafFields, toIcebergSchema } from '../../../src/tables/iceberg/schema.js';
import { testSchema, NAME_ID } from './fixture.js';

const SNAPSHOT_ID = 2n ** 62n + 12345n; // beyond 2^53

/** Decodes a container file with avsc's own streaming decoder; returns header and records. */
async function avscDecode(bytes: Buffer): Promise<{ header: { meta: Record<string, Buffer> }; records: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lakegate-avro-'));
  const path = join(dir, 'f.avro');
  writeFileSync(path, bytes);
  return new Promise((resolve, reject) => {
    const records: Record<string, unknown>[] = [];
    let header: { meta: Record<string, Buffer> } | undefined;
    avro
      .createFileDecoder(path, { parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { registry: { long: BIGINT_LONG } }) } as never)
      .on('metadata', (_type: unknown, _codec: unknown, h: { meta: Record<string, Buffer> }) => (header = h))
      .on('data', (r: Record<string, unknown>) => records.push(r))
      .on('error', reject)
      .on('end', () => resolve({ header: header!, records }));
  });
}

/** Every field id / element id in an Avro schema, by field name path. */
function fieldIds(schema: unknown, out = new Map<string, number>(), prefix = ''): Map<string, number> {
  if (Array.isArray(schema)) for (const s of schema) fieldIds(s, out, prefix);
  else if (schema && typeof schema === 'object') {
    const s = schema as Record<string, unknown>;
    if (s['type'] === 'record') {
      for (const f of s['fields'] as Record<string, unknown>[]) {
        const name = prefix + (f['name'] as string);
        out.set(name, f['field-id'] as number);
        fieldIds(f['type'], out, name + '.');
      }
    } else if (s['type'] === 'array') {
      if (s['element-id'] !== undefined) out.set(prefix + '[element]', s['element-id'] as number);
      fieldIds(s['items'], out, prefix);
    }
  }
  return out;
}

function entries(): ManifestEntry[] {
  const leaves = leafFields(testSchema().columns);
  return [472222, 472223].map((hour, i) => ({
    status: ManifestEntryStatus.ADDED,
    snapshotId: SNAPSHOT_ID,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: {
      content: 0,
      filePath: `file:///wh/t/data/f${i}.parquet`,
      fileFormat: 'PARQUET',
      partition: { _kafka_timestamp_hour: hour },
      recordCount: 10n,
      fileSizeInBytes: 2n ** 40n,
      metrics: fileMetrics({ 2: { valueCount: 10, nullCount: 0, min: 0n, max: 2n ** 60n }, [NAME_ID]: { valueCount: 10, nullCount: 2, min: 'a', max: 'b' } }, leaves),
      sortOrderId: 0,
    },
  }));
}

test('manifest: header schema keeps field ids; avsc decodes it; metadata keys as readers expect', async () => {
  const spec = partitionSpec('hour');
  const schema = toIcebergSchema(testSchema());
  const bytes = writeManifest({ schema, spec, entries: entries() });
  const { header, records } = await avscDecode(bytes);
  const headerSchema = JSON.parse(header.meta['avro.schema']!.toString());
  assert.equal(headerSchema.name, 'manifest_entry');
  const ids = fieldIds(headerSchema);
  const expected: Record<string, number> = {
    status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2,
    'data_file.content': 134, 'data_file.file_path': 100, 'data_file.file_format': 101, 'data_file.partition': 102,
    'data_file.partition._kafka_timestamp_hour': 1000, 'data_file.record_count': 103, 'data_file.file_size_in_bytes': 104,
    'data_file.column_sizes': 108, 'data_file.column_sizes.key': 117, 'data_file.column_sizes.value': 118,
    'data_file.value_counts': 109, 'data_file.null_value_counts': 110, 'data_file.nan_value_counts': 137,
    'data_file.lower_bounds': 125, 'data_file.lower_bounds.key': 126, 'data_file.lower_bounds.value': 127,
    'data_file.upper_bounds': 128, 'data_file.upper_bounds.value': 130, 'data_file.split_offsets': 132,
    'data_file.split_offsets.[element]': 133, 'data_file.sort_order_id': 140,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(ids.get(k), v, k);
  const dataFile = headerSchema.fields.find((f: { name: string }) => f.name === 'data_file').type;
  assert.equal(dataFile.name, 'r2');
  assert.equal(dataFile.fields.find((f: { name: string }) => f.name === 'partition').type.name, 'r102');
  const lower = dataFile.fields.find((f: { name: string }) => f.name === 'lower_bounds').type[1];
  assert.equal(lower.logicalType, 'map');
  assert.equal(lower.items.name, 'k126_v127');

  const meta = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString()]));
  assert.deepEqual(JSON.parse(meta['schema']!), JSON.parse(JSON.stringify(schema)));
  assert.equal(meta['schema-id'], '0');
  assert.deepEqual(JSON.parse(meta['partition-spec']!), spec.fields);
  assert.equal(meta['partition-spec-id'], '0');
  assert.equal(meta['format-version'], '2');
  assert.equal(meta['content'], 'data');

  assert.equal(records.length, 2);
  const r = records[0]! as Record<string, any>;
  assert.equal(r['status'], 1);
  assert.equal(r['snapshot_id'], SNAPSHOT_ID);
  assert.equal(r['sequence_number'], null);
  assert.equal(r['data_file'].file_path, 'file:///wh/t/data/f0.parquet');
  assert.equal(r['data_file'].file_format, 'PARQUET');
  assert.equal(r['data_file'].file_size_in_bytes, 2n ** 40n);
  assert.deepEqual({ ...r['data_file'].partition }, { _kafka_timestamp_hour: 472222 });
  const ub = r['data_file'].upper_bounds.find((kv: { key: number }) => kv.key === 2).value as Buffer;
  assert.equal(ub.readBigInt64LE(0), 2n ** 60n);

  const back = readManifest(bytes);
  assert.equal(back.entries.length, 2);
  assert.equal(back.entries[1]!.dataFile.partition['_kafka_timestamp_hour'], 472223);
  assert.equal(back.entries[1]!.snapshotId, SNAPSHOT_ID);
  assert.equal(back.entries[0]!.dataFile.metrics.nullValueCounts.get(NAME_ID), 2n);
});

test('unpartitioned manifest has an empty r102 record', async () => {
  const e = entries().map((x) => ({ ...x, dataFile: { ...x.dataFile, partition: {} } }));
  const bytes = writeManifest({ schema: toIcebergSchema(testSchema()), spec: partitionSpec('none'), entries: e, codec: 'null' });
  const { header, records } = await avscDecode(bytes);
  assert.equal(header.meta['avro.codec']!.toString(), 'null');
  assert.deepEqual(JSON.parse(header.meta['partition-spec']!.toString()), []);
  assert.deepEqual({ ...(records[0] as any).data_file.partition }, {});
});

test('manifest list: header field ids, r508 summaries with bounds, metadata; avsc decodes it', async () => {
  const spec = partitionSpec('day');
  const summaries = partitionSummaries(spec, [19675, null, 19670]);
  assert.deepEqual(summaries, [{ containsNull: true, containsNan: false, lowerBound: toBytes('date', 19670), upperBound: toBytes('date', 19675) }]);
  const manifests: ManifestFile[] = [
    {
      manifestPath: 'file:///wh/t/metadata/a-m0.avro', manifestLength: 1234n, partitionSpecId: 0, content: 0,
      sequenceNumber: 2n, minSequenceNumber: 2n, addedSnapshotId: SNAPSHOT_ID, addedFilesCount: 3, existingFilesCount: 0,
      deletedFilesCount: 0, addedRowsCount: 2n ** 55n, existingRowsCount: 0n, deletedRowsCount: 0n, partitions: summaries, keyMetadata: null,
    },
    {
      manifestPath: 'file:///wh/t/metadata/b-m0.avro', manifestLength: 99n, partitionSpecId: 0, content: 0,
      sequenceNumber: 1n, minSequenceNumber: 1n, addedSnapshotId: 7n, addedFilesCount: 1, existingFilesCount: 0,
      deletedFilesCount: 0, addedRowsCount: 1n, existingRowsCount: 0n, deletedRowsCount: 0n, partitions: [], keyMetadata: null,
    },
  ];
  const bytes = writeManifestList({ snapshotId: SNAPSHOT_ID, parentSnapshotId: 7n, sequenceNumber: 2, manifests });
  const { header, records } = await avscDecode(bytes);
  const schema = JSON.parse(header.meta['avro.schema']!.toString());
  assert.equal(schema.name, 'manifest_file');
  const ids = fieldIds(schema);
  const expected: Record<string, number> = {
    manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517, sequence_number: 515,
    min_sequence_number: 516, added_snapshot_id: 503, added_files_count: 504, existing_files_count: 505,
    deleted_files_count: 506, added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514,
    partitions: 507, 'partitions.[element]': 508, 'partitions.contains_null': 509, 'partitions.contains_nan': 518,
    'partitions.lower_bound': 510, 'partitions.upper_bound': 511, key_metadata: 519,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(ids.get(k), v, k);
  assert.equal(schema.fields.find((f: { name: string }) => f.name === 'partitions').type[1].items.name, 'r508');
  assert.equal(header.meta['snapshot-id']!.toString(), SNAPSHOT_ID.toString());
  assert.equal(header.meta['parent-snapshot-id']!.toString(), '7');
  assert.equal(header.meta['sequence-number']!.toString(), '2');
  assert.equal(header.meta['format-version']!.toString(), '2');
  assert.equal(records.length, 2);
  assert.equal((records[0] as any).added_snapshot_id, SNAPSHOT_ID);
  assert.equal((records[0] as any).added_rows_count, 2n ** 55n);
  assert.equal((records[0] as any).partitions[0].lower_bound.readInt32LE(0), 19670);

  const back = readManifestList(bytes);
  assert.deepEqual(back.manifests, manifests);
  assert.equal(readAvroFile(bytes).metadata['avro.codec'], 'deflate');
});

test('avro reader rejects damaged files', () => {
  const bytes = writeManifestList({ snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1, manifests: [] });
  assert.equal(readManifestList(bytes).manifests.length, 0);
  assert.equal(readManifestList(bytes).metadata['parent-snapshot-id'], 'null');
  assert.throws(() => readAvroFile(Buffer.from('nope')));
  const m = writeManifest({ schema: toIcebergSchema(testSchema()), spec: partitionSpec('hour'), entries: entries() });
  assert.throws(() => readAvroFile(m.subarray(0, m.length - 3)));
});
