/** Server settings: numbers in decimal only, empty variables unset, errors naming the setting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, readConfigFile, resolveConfig } from '../../../src/config.js';

const refuses = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: Error) => err instanceof ConfigError && message.test(err.message), String(message));

test('an empty environment variable is not a setting', () => {
  const config = resolveConfig({}, { LAKEGATE_KAFKA_PORT: '', LAKEGATE_DATA_DIR: '', LAKEGATE_NUM_PARTITIONS: '' });
  assert.equal(config.kafkaPort, 9092);
  assert.equal(config.dataDir, './data');
  assert.equal(config.numPartitions, 1);
});

test('numbers are decimal integers, node ids fit Kafka int32, and the error names where the value came from', () => {
  refuses(() => resolveConfig({}, { LAKEGATE_NUM_PARTITIONS: '0x10' }), /^LAKEGATE_NUM_PARTITIONS: not a positive integer: 0x10$/);
  refuses(() => resolveConfig({ 'kafka-port': '1e3' }, {}), /^--kafka-port: not a port: 1e3$/);
  refuses(() => resolveConfig({}, {}, { 'http.port': ' ' }), /^http\.port in the config file: not a port/);
  refuses(() => resolveConfig({ 'node-id': '3000000000' }, {}), /^--node-id: not a node id \(0\.\.2147483647\)/);
  refuses(() => resolveConfig({}, { LAKEGATE_AUTO_CREATE_TOPICS: 'yes' }), /^LAKEGATE_AUTO_CREATE_TOPICS: not true or false: yes$/);
  assert.equal(resolveConfig({ 'node-id': '2147483647' }, {}).nodeId, 2147483647);
  assert.equal(resolveConfig({}, { LAKEGATE_NUM_PARTITIONS: '16' }).numPartitions, 16);
});

test('writer threads and the partitions of auto-created topics have upper bounds, in every form', () => {
  assert.equal(resolveConfig({ 'writer-threads': '256' }, {}).writerThreads, 256);
  refuses(() => resolveConfig({ 'writer-threads': '100000' }, {}), /^--writer-threads: at most 256 writer threads, not 100000$/);
  refuses(() => resolveConfig({}, { LAKEGATE_WRITER_THREADS: '257' }), /^LAKEGATE_WRITER_THREADS: at most 256 writer threads/);
  refuses(() => resolveConfig({}, {}, { 'writer.threads': '257' }), /^writer\.threads in the config file: at most 256 writer threads/);
  assert.equal(resolveConfig({}, { LAKEGATE_NUM_PARTITIONS: '10000' }).numPartitions, 10000);
  refuses(() => resolveConfig({ 'num-partitions': '10001' }, {}), /^--num-partitions: at most 10000 partitions, not 10001$/);
  refuses(() => resolveConfig({}, {}, { 'num.partitions': '10000000' }), /^num\.partitions in the config file: at most 10000 partitions/);
});

test('a config file that cannot be read, or JSON that is not one object of plain values, is a ConfigError naming the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-config-file-'));
  try {
    const file = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const missing = path.join(dir, 'missing.properties');
    refuses(() => readConfigFile(missing), new RegExp(`^cannot read the config file ${missing.replace(/[.]/g, '\\.')}: no such file$`));
    refuses(() => readConfigFile(dir), /: it is a directory$/);
    refuses(() => readConfigFile(file('bad.json', '{"kafka.port": 9092,')), /^the config file .*bad\.json is not valid JSON: /);
    refuses(() => readConfigFile(file('list.json', '["kafka.port"]')), /^the config file .*list\.json must hold one JSON object of settings$/);
    refuses(() => readConfigFile(file('nested.json', '{"log.retention.ms": {"value": 1}}')), /^log\.retention\.ms in the config file .*nested\.json: a string, number or boolean, not \{"value":1\}$/);
    assert.deepEqual(readConfigFile(file('ok.json', '{"kafka.port": 9093, "auto.create.topics.enable": false}')), { 'kafka.port': '9093', 'auto.create.topics.enable': 'false' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
