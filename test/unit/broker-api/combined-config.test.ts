/** identity:<column> needs value.format=json and a declared JSON column of a type with exact values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinedConfigProblem, TOPIC_CONFIGS } from '../../../src/broker-api/topic-configs.js';

const problem = (configs: Record<string, string>) => combinedConfigProblem((name) => configs[name] ?? TOPIC_CONFIGS.get(name)!.default);
const json = { 'value.format': 'json', 'value.json.columns': 'region:string,amount:double' };

test('identity partitioning configs are checked against value.format and value.json.columns', () => {
  assert.equal(problem(json), null);
  assert.equal(problem({}), null, 'the defaults make a table');
  assert.equal(problem({ ...json, 'table.partition.by': 'identity' }), null);
  assert.equal(problem({ ...json, 'table.partition.by': 'identity:region' }), null);
  assert.match(problem({ ...json, 'table.partition.by': 'identity:amount' }) ?? '', /amount is double/);
  assert.match(problem({ ...json, 'table.partition.by': 'identity:ghost' }) ?? '', /names no column/);
  assert.match(problem({ 'table.partition.by': 'identity:region', 'value.json.columns': 'region:string' }) ?? '', /names no column of value.json.columns \(value.format=auto\)/);
});
