/**
 * meta/tables.json (each topic's table and dead-letter table name) is written for the topics
 * that get their tables together, not twice per topic: 500 topics were 1000 synchronous full
 * rewrites, which stalled every connection for seconds after a large CreateTopics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { kafkaClient } from '../support/kafka-client.js';
import { freshDataDir, removeDir, startLakegate } from '../support/lakegate-process.js';

const COUNT = 200;

function namedTables(file: string): number {
  return existsSync(file) ? Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).length : 0;
}

test(`${COUNT} topics created at once get their table names in a few writes of tables.json, not ${2 * COUNT}`, async () => {
  const dataDir = freshDataDir();
  const meta = path.join(dataDir, 'meta');
  const server = await startLakegate({ dataDir });
  try {
    // Every rewrite renames a temporary file onto tables.json: one inotify rename event each.
    let rewrites = 0;
    const watcher = watch(meta, (event, file) => {
      if (event === 'rename' && file === 'tables.json') rewrites++;
    });
    const admin = kafkaClient(server.port).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: Array.from({ length: COUNT }, (_, i) => ({ topic: `tabled-${i}`, numPartitions: 1 })), timeout: 60_000 });
    } finally {
      await admin.disconnect();
    }
    // A table name and a dead-letter table name per topic, once every table is being written.
    const file = path.join(meta, 'tables.json');
    const deadline = Date.now() + 60_000;
    while (namedTables(file) < 2 * COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));
    watcher.close();
    assert.equal(namedTables(file), 2 * COUNT);
    // Topics become visible to the materializer over the time their logs open; it starts the
    // ones it sees every 200 ms together.
    assert.ok(rewrites >= 1 && rewrites <= COUNT / 10, `tables.json was rewritten ${rewrites} times for ${COUNT} topics`);
  } finally {
    await server.stop();
    removeDir(dataDir);
  }
});
