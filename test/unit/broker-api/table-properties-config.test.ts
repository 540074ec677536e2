/** The table.iceberg.properties topic config: key=value pairs, checked when set. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTopicConfig, parseTableProperties } from '../../../src/broker-api/topic-configs.js';

test('table.iceberg.properties: key=value pairs become table properties; anything else is refused', () => {
  const value = 'commit.manifest.min-count-to-merge=20, history.expire.max-snapshot-age-ms=86400000,,write.metadata.previous-versions-max=';
  assert.equal(checkTopicConfig('table.iceberg.properties', value), null);
  assert.deepEqual(parseTableProperties(value), {
    'commit.manifest.min-count-to-merge': '20',
    'history.expire.max-snapshot-age-ms': '86400000',
    'write.metadata.previous-versions-max': '',
  });
  assert.deepEqual(parseTableProperties(''), {});
  assert.match(checkTopicConfig('table.iceberg.properties', 'no-equals-sign')!, /no-equals-sign is not key=value/);
  assert.match(checkTopicConfig('table.iceberg.properties', '=value')!, /is not key=value/);
  assert.match(checkTopicConfig('table.iceberg.properties', 'a=b=c')!, /a=b=c is not key=value/);
});
