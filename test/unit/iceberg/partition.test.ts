/**
 * Identity partition specs: the spec in table metadata, the manifest's r102 field typed like
 * its source column, values read back from the manifest, and manifest-list bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBytes } from '../../../src/tables/iceberg/conversions.js';
import { ManifestEntryStatus, readManifest, writeManifest, type ManifestEntry } from '../../../src/tables/iceberg/manifest.js';
import { partitionSummaries } from '../../../src/tables/iceberg/manifest-list.js';
import { newTableMetadata } from '../../../src/tables/iceberg/metadata.js';
import { partitionSpec, partitionTransformOf, sourceTypesOf } from '../../../src/tables/iceberg/partition.js';
import { toIcebergSchema } from '../../../src/tables/iceberg/schema.js';
import { FIRST_VALUE_FIELD_ID, systemColumns, type RowSchema } from '../../../src/writer/schema.js';
import type { PartitionValue } from '../../../src/writer/task.js';

const REGION_ID = FIRST_VALUE_FIELD_ID + 1;
const ACCOUNT_ID = FIRST_VALUE_FIELD_ID + 2;

function schema(): RowSchema {
  return {
    schemaId: 0,
    columns: [
      ...systemColumns(),
      { id: FIRST_VALUE_FIELD_ID, name: 'value', required: false, type: { kind: 'primitive', type: 'string' } },
      { id: REGION_ID, name: 'region', required: false, type: { kind: 'primitive', type: 'string' } },
      { id: ACCOUNT_ID, name: 'account', required: false, type: { kind: 'primitive', type: 'long' } },
    ],
  };
}

function entry(name: string, value: PartitionValue, i: number): ManifestEntry {
  return {
    status: ManifestEntryStatus.ADDED,
    snapshotId: 1n,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: {
      content: 0,
      filePath: `file:///wh/t/data/${name}=${String(value)}/f${i}.parquet`,
      fileFormat: 'PARQUET',
      partition: { [name]: value },
      recordCount: 1n,
      fileSizeInBytes: 100n,
      metrics: { columnSizes: new Map(), valueCounts: new Map(), nullValueCounts: new Map(), nanValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() },
      sortOrderId: 0,
    },
  };
}

test('identity specs name their source column and read back as the same transform', () => {
  const meta = newTableMetadata({ location: '/wh/t', schema: schema(), partitionBy: 'identity:region' });
  assert.deepEqual(meta['partition-specs'], [{ 'spec-id': 0, fields: [{ name: 'region', transform: 'identity', 'source-id': REGION_ID, 'field-id': 1000 }] }]);
  assert.equal(meta['last-partition-id'], 1000);
  assert.equal(partitionTransformOf(meta['partition-specs'][0]), 'identity:region');
  const byKafkaPartition = partitionSpec('identity');
  assert.deepEqual(byKafkaPartition.fields, [{ name: '_kafka_partition', transform: 'identity', 'source-id': 1, 'field-id': 1000 }]);
  assert.equal(partitionTransformOf(byKafkaPartition), 'identity');
  assert.throws(() => partitionSpec('identity:missing', schema()), /names no column/);
});

test('manifest: identity partition values keep their source types (string, long, int) and read back', () => {
  const iceberg = toIcebergSchema(schema());
  const cases: Array<[string, PartitionValue[]]> = [
    ['identity:region', ['eu', null, 'ü-south']],
    ['identity:account', [2n ** 62n, -3n]],
    ['identity', [0, 11]],
  ];
  for (const [by, values] of cases) {
    const spec = partitionSpec(by as 'identity', schema());
    const name = spec.fields[0].name;
    const bytes = writeManifest({ schema: iceberg, spec, entries: values.map((v, i) => entry(name, v, i)) });
    const back = readManifest(bytes);
    assert.deepEqual(back.entries.map((e) => e.dataFile.partition[name]), values, by);
    const r102 = JSON.stringify(back.avroSchema);
    assert.match(r102, /"name":"r102"/);
  }
});

test('manifest list: identity bounds serialized as the source type; strings ordered by UTF-8 bytes', () => {
  const s = schema();
  const types = sourceTypesOf(toIcebergSchema(s));
  const strings = partitionSummaries(partitionSpec('identity:region', s), ['eu', null, '\uffff', '\u{10000}', 'at'], types);
  // U+10000 sorts below U+FFFF in UTF-16 units but above it in UTF-8 bytes, as Iceberg orders.
  assert.deepEqual(strings, [{ containsNull: true, containsNan: false, lowerBound: toBytes('string', 'at'), upperBound: toBytes('string', '\u{10000}') }]);
  const longs = partitionSummaries(partitionSpec('identity:account', s), [5n, -(2n ** 63n)], types);
  assert.deepEqual(longs[0].lowerBound, toBytes('long', -(2n ** 63n)));
  assert.deepEqual(longs[0].upperBound, toBytes('long', 5n));
  assert.equal(longs[0].containsNull, false);
  const kafka = partitionSummaries(partitionSpec('identity'), [3, 1], types);
  assert.deepEqual([kafka[0].lowerBound, kafka[0].upperBound], [toBytes('int', 1), toBytes('int', 3)]);
});
