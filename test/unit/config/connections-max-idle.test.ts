/** connections.max.idle.ms is set like every other server option, with Kafka's default. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../../src/config.js';

test("connections.max.idle.ms defaults to Kafka's 10 minutes and comes from a flag, the environment or the file", () => {
  assert.equal(resolveConfig({}, {}).connectionsMaxIdleMs, 600_000);
  assert.equal(resolveConfig({}, {}, { 'connections.max.idle.ms': '30000' }).connectionsMaxIdleMs, 30_000);
  assert.equal(resolveConfig({}, { LAKEGATE_CONNECTIONS_MAX_IDLE_MS: '20000' }, { 'connections.max.idle.ms': '30000' }).connectionsMaxIdleMs, 20_000);
  assert.equal(resolveConfig({ 'connections-max-idle-ms': '-1' }, { LAKEGATE_CONNECTIONS_MAX_IDLE_MS: '20000' }).connectionsMaxIdleMs, -1, '-1: never');
});

test('connections.max.idle.ms must be a positive number of milliseconds or -1', () => {
  for (const bad of ['0', '-2', '1.5', 'soon']) {
    assert.throws(() => resolveConfig({ 'connections-max-idle-ms': bad }, {}), ConfigError, bad);
  }
});
