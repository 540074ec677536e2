/** identity:<column> needs a declared JSON column of a type with exact values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsProblem, type TopicTableSettings } from '../../../src/tables/topic-table-settings.js';

const base: TopicTableSettings = {
  format: 'iceberg',
  valueFormat: 'json',
  jsonColumns: [
    { fieldId: 10, name: 'region', path: 'region', type: 'string' },
    { fieldId: 11, name: 'amount', path: 'amount', type: 'double' },
  ],
  partitionBy: 'hour',
  commitIntervalMs: 1000,
  commitBytes: 1 << 26,
};

test('identity partitioning settings are checked against value.json.columns', () => {
  assert.equal(settingsProblem(base), undefined);
  assert.equal(settingsProblem({ ...base, partitionBy: 'identity' }), undefined);
  assert.equal(settingsProblem({ ...base, partitionBy: 'identity:region' }), undefined);
  assert.match(settingsProblem({ ...base, partitionBy: 'identity:amount' }) ?? '', /amount is double/);
  assert.match(settingsProblem({ ...base, partitionBy: 'identity:ghost' }) ?? '', /names no column/);
  assert.match(settingsProblem({ ...base, valueFormat: 'raw', jsonColumns: [], partitionBy: 'identity:region' }) ?? '', /names no column/);
});
