import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, stringifyJson } from '../../../src/tables/iceberg/json.js';
import {
  appendSnapshot,
  newSnapshotId,
  newTableMetadata,
  parseMetadata,
  serializeMetadata,
  withCurrentSchema,
} from '../../../src/tables/iceberg/metadata.js';
import { nameMapping, toIcebergSchema } from '../../../src/tables/iceberg/schema.js';
import { appendSummary, committedOffsets, decodeOffsets, OFFSETS_PROPERTY } from '../../../src/tables/iceberg/snapshot.js';
import { testSchema, NAME_ID } from './fixture.js';

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a number

test('lossless JSON: integers beyond 2^53 survive parse and stringify', () => {
  const text = stringifyJson({ id: BIG, small: 5, neg: -(2n ** 62n), f: 1.5, s: 'x"y', a: [], o: {}, n: null, u: undefined });
  assert.match(text, /"id": 9007199254740993/);
  assert.doesNotMatch(text, /"u"/);
  const back = parseJson(text) as Record<string, unknown>;
  assert.equal(back['id'], BIG);
  assert.equal(back['small'], 5);
  assert.equal(back['neg'], -(2n ** 62n));
  assert.equal(back['f'], 1.5);
  assert.equal(back['s'], 'x"y');
  assert.deepEqual(parseJson('{"a":[1,2,{"b":"\\u00e9"}],"c":true,"d":false,"e":1e3}'), { a: [1, 2, { b: 'é' }], c: true, d: false, e: 1000 });
  assert.throws(() => parseJson('{"a":1,}'));
  assert.throws(() => parseJson('[1] x'));
});

test('schema conversion: types, list element ids, timestamptz, binary, docs; name mapping', () => {
  const s = toIcebergSchema(testSchema());
  assert.equal(s.type, 'struct');
  assert.equal(s['schema-id'], 0);
  assert.deepEqual(s.fields[0], { id: 1, name: '_kafka_partition', required: true, type: 'int', doc: 'Kafka partition' });
  assert.equal(s.fields[2]!.type, 'timestamptz');
  assert.equal(s.fields[3]!.type, 'binary');
  assert.deepEqual(s.fields[4]!.type, {
    type: 'list',
    'element-id': 6,
    element: {
      type: 'struct',
      fields: [
        { id: 7, name: 'key', required: true, type: 'string' },
        { id: 8, name: 'value', required: false, type: 'binary' },
      ],
    },
    'element-required': true,
  });
  const mapping = nameMapping(testSchema());
  assert.deepEqual(mapping[4], {
    'field-id': 5,
    names: ['_kafka_headers'],
    fields: [{ 'field-id': 6, names: ['element'], fields: [{ 'field-id': 7, names: ['key'] }, { 'field-id': 8, names: ['value'] }] }],
  });
  assert.throws(() => toIcebergSchema({ schemaId: 0, columns: [...testSchema().columns, { id: 3, name: 'dup', required: false, type: { kind: 'primitive', type: 'int' } }] }));
});

test('new table metadata has every v2 required field', () => {
  const meta = newTableMetadata({ location: 'file:///wh/ns/t/', schema: testSchema(), partitionBy: 'hour', properties: { a: 'b' }, nowMs: 1000 });
  const json = parseJson(serializeMetadata(meta)) as Record<string, unknown>;
  for (const key of [
    'format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms', 'last-column-id', 'schemas',
    'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id', 'sort-orders', 'default-sort-order-id',
    'properties', 'snapshots', 'current-snapshot-id', 'refs', 'snapshot-log', 'metadata-log', 'statistics',
  ]) {
    assert.ok(key in json, key);
  }
  assert.equal(json['format-version'], 2);
  assert.equal(json['location'], 'file:///wh/ns/t');
  assert.equal(json['last-column-id'], NAME_ID + 1);
  assert.equal(json['last-partition-id'], 1000);
  assert.equal(json['current-snapshot-id'], -1);
  assert.deepEqual(json['partition-specs'], [{ 'spec-id': 0, fields: [{ name: '_kafka_timestamp_hour', transform: 'hour', 'source-id': 3, 'field-id': 1000 }] }]);
  assert.deepEqual(json['sort-orders'], [{ 'order-id': 0, fields: [] }]);
  assert.equal(json['default-sort-order-id'], 0);
  const props = json['properties'] as Record<string, string>;
  assert.equal(props['a'], 'b');
  assert.equal(JSON.parse(props['schema.name-mapping.default']!).length, 7);
  assert.match(json['table-uuid'] as string, /^[0-9a-f-]{36}$/);
  const none = newTableMetadata({ location: 'file:///x', schema: testSchema(), partitionBy: 'none' });
  assert.equal(none['last-partition-id'], 999);
  assert.deepEqual(none['partition-specs'], [{ 'spec-id': 0, fields: [] }]);
  assert.equal(newTableMetadata({ location: 'file:///x', schema: testSchema(), partitionBy: 'day' })['partition-specs'][0]!.fields[0]!.name, '_kafka_timestamp_day');
});

test('appended snapshots: sequence numbers, parents, refs, logs; ids beyond 2^53 round-trip exactly', () => {
  let meta = newTableMetadata({ location: 'file:///wh/t', schema: testSchema(), partitionBy: 'none', nowMs: 1000 });
  const ids = [BIG, 2n ** 63n - 1n, newSnapshotId()];
  let offsets = new Map<number, bigint>();
  ids.forEach((id, i) => {
    offsets = new Map([...offsets, [i, BigInt(i * 10)]]);
    meta = appendSnapshot(meta, {
      snapshotId: id,
      manifestList: `file:///wh/t/metadata/snap-${id}.avro`,
      summary: appendSummary({ parent: null, added: [], topic: 'topic', offsets }),
      previousMetadataLocation: i === 0 ? null : `file:///wh/t/metadata/0000${i}-x.metadata.json`,
      nowMs: 2000 + i,
    });
    meta = parseMetadata(serializeMetadata(meta));
  });
  const text = serializeMetadata(meta);
  assert.match(text, /"current-snapshot-id": \d+/);
  assert.ok(text.includes(`"snapshot-id": ${BIG}`));
  assert.ok(text.includes(`"parent-snapshot-id": ${BIG}`));
  assert.ok(text.includes(`"snapshot-id": ${2n ** 63n - 1n}`));
  assert.equal(meta['current-snapshot-id'], ids[2]);
  assert.equal(meta['last-sequence-number'], 3);
  assert.deepEqual(meta.snapshots.map((s) => s['sequence-number']), [1, 2, 3]);
  assert.equal(meta.snapshots[0]!['parent-snapshot-id'], undefined);
  assert.equal(meta.snapshots[1]!['parent-snapshot-id'], BIG);
  assert.equal(meta.snapshots[2]!['parent-snapshot-id'], 2n ** 63n - 1n);
  assert.equal(meta.refs['main']!['snapshot-id'], ids[2]);
  assert.equal(meta.refs['main']!.type, 'branch');
  assert.deepEqual(meta['snapshot-log'].map((e) => e['snapshot-id']), ids);
  assert.deepEqual(meta['metadata-log'].map((e) => e['metadata-file']), ['file:///wh/t/metadata/00001-x.metadata.json', 'file:///wh/t/metadata/00002-x.metadata.json']);
  assert.deepEqual(committedOffsets(meta), new Map([[0, 0n], [1, 10n], [2, 20n]]));
  for (let i = 0; i < 50; i++) {
    const id = newSnapshotId();
    assert.ok(id > 0n && id < 2n ** 63n);
  }
});

test('summary: standard counters add up; offsets carried over and skipped-over foreign snapshots', () => {
  const s1 = appendSummary({
    parent: null,
    added: [{ recordCount: 3, sizeBytes: 100, partitionValue: 5 }, { recordCount: 2, sizeBytes: 50, partitionValue: 6 }],
    topic: 'orders',
    offsets: new Map([[1, 9n], [0, 2n ** 60n]]),
  });
  assert.equal(s1.operation, 'append');
  assert.equal(s1['added-data-files'], '2');
  assert.equal(s1['added-records'], '5');
  assert.equal(s1['added-files-size'], '150');
  assert.equal(s1['changed-partition-count'], '2');
  assert.equal(s1['total-records'], '5');
  assert.equal(s1['total-delete-files'], '0');
  assert.equal(s1['lakegate.kafka.topic'], 'orders');
  assert.equal(s1[OFFSETS_PROPERTY], `{"0":"${2n ** 60n}","1":"9"}`);
  const parent = { 'snapshot-id': 1n, 'sequence-number': 1, 'timestamp-ms': 0, 'manifest-list': '', summary: s1 };
  const s2 = appendSummary({ parent, added: [{ recordCount: 1, sizeBytes: 10, partitionValue: null }], topic: 'orders', offsets: decodeOffsets(s1[OFFSETS_PROPERTY]!) });
  assert.equal(s2['total-records'], '6');
  assert.equal(s2['total-data-files'], '3');
  assert.equal(s2['total-files-size'], '160');

  // A snapshot without lakegate offsets (e.g. written by another tool) is skipped over.
  let meta = newTableMetadata({ location: 'file:///t', schema: testSchema(), partitionBy: 'none' });
  meta = appendSnapshot(meta, { snapshotId: 1n, manifestList: 'a', summary: s1, previousMetadataLocation: null });
  meta = appendSnapshot(meta, { snapshotId: 2n, manifestList: 'b', summary: { operation: 'replace' }, previousMetadataLocation: 'x' });
  assert.deepEqual(committedOffsets(meta), new Map([[0, 2n ** 60n], [1, 9n]]));
});

test('schema evolution: a newer schema becomes current; last-column-id grows', () => {
  const meta = newTableMetadata({ location: 'file:///t', schema: testSchema(), partitionBy: 'none' });
  const s2 = testSchema();
  s2.schemaId = 1;
  s2.columns.push({ id: 11, name: 'extra', required: false, type: { kind: 'primitive', type: 'boolean' } });
  const next = withCurrentSchema(meta, s2);
  assert.equal(next['current-schema-id'], 1);
  assert.equal(next.schemas.length, 2);
  assert.equal(next['last-column-id'], 11);
  assert.equal(withCurrentSchema(next, s2), next);
});
