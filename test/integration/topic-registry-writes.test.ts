/**
 * meta/topics.json is rewritten once for the topics created together, not once per topic (500
 * synchronous full rewrites, O(N^2) bytes, stalled every connection), and a topic is still
 * answered as created only once the write that lists it is durable: it survives kill -9.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmdirSync, watch } from 'node:fs';
import path from 'node:path';
import { kafkaClient } from '../support/kafka-client.js';
import { dumpLog, freshDataDir, removeDir, startLakegate } from '../support/lakegate-process.js';

const COUNT = 500;

test(`a CreateTopics of ${COUNT} topics rewrites topics.json a few times, not ${COUNT}, and every topic answered survives kill -9`, async () => {
  const dataDir = freshDataDir();
  const meta = path.join(dataDir, 'meta');
  let server = await startLakegate({ dataDir });
  try {
    // Every rewrite renames a temporary file onto topics.json: one inotify rename event each.
    let rewrites = 0;
    const watcher = watch(meta, (event, file) => {
      if (event === 'rename' && file === 'topics.json') rewrites++;
    });
    const names = Array.from({ length: COUNT }, (_, i) => `together-${i}`);
    const admin = kafkaClient(server.port).admin();
    await admin.connect();
    try {
      // table.format=none: the topics' log registry alone, no tables to open.
      const created = await admin.createTopics({
        topics: names.map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'table.format', value: 'none' }] })),
        timeout: 60_000,
      });
      assert.equal(created, true);
      // Answered, so already in the file.
      const listed = (JSON.parse(readFileSync(path.join(meta, 'topics.json'), 'utf8')) as { topics: Array<{ name: string }> }).topics.map((t) => t.name);
      assert.deepEqual(names.filter((n) => !listed.includes(n)), [], 'every created topic is in topics.json when CreateTopics is answered');
    } finally {
      await admin.disconnect();
    }
    await new Promise((r) => setTimeout(r, 200));
    watcher.close();
    assert.ok(rewrites >= 1 && rewrites <= 3, `topics.json was rewritten ${rewrites} times for one CreateTopics of ${COUNT} topics`);

    await server.kill9();
    server = await startLakegate({ dataDir });
    const again = kafkaClient(server.port).admin();
    await again.connect();
    const topics = new Set(await again.listTopics());
    await again.disconnect();
    assert.deepEqual(names.filter((n) => !topics.has(n)), [], 'every topic answered as created is there after kill -9');
  } finally {
    await server.stop();
    removeDir(dataDir);
  }
});

test('when topics.json cannot be written, CreateTopics and DeleteTopics answer KAFKA_STORAGE_ERROR and keep the connection', async () => {
  // A full disk, say. They used to close the connection, as on an unexpected error.
  const server = await startLakegate();
  const obstacle = path.join(server.dataDir, 'meta', 'topics.json.tmp');
  try {
    const admin = kafkaClient(server.port, 0).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1, configEntries: [{ name: 'table.format', value: 'none' }] }] });
      // The temporary file's name taken by a directory: the rewrite fails with EISDIR.
      mkdirSync(obstacle);
      const storageError = (e: unknown): boolean => {
        const errors = (e as { errors?: { type?: string }[] }).errors ?? [e as { type?: string }];
        assert.deepEqual(errors.map((x) => x.type), ['KAFKA_STORAGE_ERROR'], String(e));
        return true;
      };
      await assert.rejects(admin.createTopics({ topics: [{ topic: 'refused', numPartitions: 1 }] }), storageError);
      await assert.rejects(admin.deleteTopics({ topics: ['kept'] }), storageError);
      // The same connection still answers, and the topic whose deletion failed is still served.
      assert.ok((await admin.listTopics()).includes('kept'), 'a topic whose DeleteTopics failed is still listed');
      const producer = kafkaClient(server.port, 0).producer();
      await producer.connect();
      try {
        const [sent] = await producer.send({ topic: 'kept', acks: -1, messages: [{ value: 'after the failed delete' }] });
        assert.equal(sent!.errorCode, 0);
      } finally {
        await producer.disconnect();
      }
      rmdirSync(obstacle);
      assert.equal(await admin.createTopics({ topics: [{ topic: 'later', numPartitions: 1, configEntries: [{ name: 'table.format', value: 'none' }] }] }), true);
    } finally {
      await admin.disconnect();
    }
    // What is on disk is what a restart sees: the refused topic is not there, and the next
    // write did not record the failed deletion after all.
    const stored = JSON.parse(readFileSync(path.join(server.dataDir, 'meta', 'topics.json'), 'utf8')) as { topics: { name: string }[]; deleting: string[] };
    const listed = stored.topics.map((t) => t.name);
    assert.ok(listed.includes('later') && listed.includes('kept') && !listed.includes('refused'), JSON.stringify(listed));
    assert.ok(!stored.deleting.includes('kept'), JSON.stringify(stored.deleting));
  } finally {
    await server.stop();
  }
  // The records of the topic whose deletion failed are in its log, a restart serves it, and it
  // can be deleted once the registry can be written.
  assert.deepEqual(dumpLog(server.dataDir, 'kept', 0).map((r) => Buffer.from(r.value!, 'base64').toString()), ['after the failed delete']);
  const again = await startLakegate({ dataDir: server.dataDir });
  try {
    const admin = kafkaClient(again.port, 0).admin();
    await admin.connect();
    try {
      assert.ok((await admin.listTopics()).includes('kept'));
      await admin.deleteTopics({ topics: ['kept'] });
      assert.ok(!(await admin.listTopics()).includes('kept'));
    } finally {
      await admin.disconnect();
    }
  } finally {
    await again.stop();
    removeDir(server.dataDir);
  }
});
