/**
 * Topic defaults set in the config file (Kafka's broker keys such as message.max.bytes) are
 * checked as a topic's own values are: a value like "1MB" used to be stored as is and read
 * with Number() as NaN, which turned the size limit off without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../../src/config.js';

test('valid topic defaults from the config file are kept under their topic names', () => {
  const config = resolveConfig({}, {}, { 'message.max.bytes': '2097152', 'log.message.timestamp.type': 'LogAppendTime', 'table.format': 'none' });
  assert.deepEqual(config.brokerTopicDefaults, { 'max.message.bytes': '2097152', 'message.timestamp.type': 'LogAppendTime', 'table.format': 'none' });
});

test('an invalid topic default refuses the start with the file key and the reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['message.max.bytes', '1MB', /message\.max\.bytes in the config file: Invalid value 1MB for configuration max\.message\.bytes: not a number/],
    ['table.commit.interval.ms', '5s', /table\.commit\.interval\.ms in the config file: .*not a number/],
    ['log.message.timestamp.type', 'logappendtime', /must be one of CreateTime, LogAppendTime/],
    ['table.format', 'Iceberg', /table\.format in the config file: Invalid value Iceberg/],
    ['value.json.columns', 'a:bogus', /type of a must be one of/],
  ];
  for (const [key, value, message] of cases) {
    assert.throws(() => resolveConfig({}, {}, { [key]: value }), (err: Error) => err instanceof ConfigError && message.test(err.message), `${key}=${value}`);
  }
  // Values valid one by one that cannot make a table together.
  assert.throws(
    () => resolveConfig({}, {}, { 'table.partition.by': 'identity:region' }),
    (err: Error) => err instanceof ConfigError && /the config file's topic defaults: table\.partition\.by=identity:region names no column/.test(err.message),
  );
});
