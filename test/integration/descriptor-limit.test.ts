/**
 * Out of file descriptors while creating topics: the CreateTopics answers KAFKA_STORAGE_ERROR
 * for the topics it could not create, and those leave nothing behind. A partition whose
 * directory was made before its files failed to open used to stay on disk after the creation
 * was undone; the next start found a log no topic claimed and refused to run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { removeDir, startLakegate } from '../support/lakegate-process.js';

const TOPICS_PER_REQUEST = 25;

test('topics whose creation ran out of file descriptors leave nothing that stops the next start', async () => {
  const first = await startLakegate({ limits: { openFiles: 300 } });
  const dataDir = first.dataDir;
  let failedNames: string[] = [];
  let listed: string[] = [];
  try {
    const admin = kafkaClient(first.port, 0).admin();
    await admin.connect();
    try {
      for (let round = 0; round < 20 && failedNames.length === 0; round++) {
        const topics = Array.from({ length: TOPICS_PER_REQUEST }, (_, i) => ({
          topic: `r${round}-t${i}`,
          numPartitions: 2,
          configEntries: [{ name: 'table.format', value: 'none' }],
        }));
        try {
          await admin.createTopics({ topics });
        } catch (e) {
          const errors = (e as { errors?: { topic: string; type: string }[] }).errors ?? [];
          assert.ok(errors.length > 0, `CreateTopics failed without per-topic errors: ${String(e)}`);
          for (const err of errors) assert.equal(err.type, 'KAFKA_STORAGE_ERROR', `${err.topic}: ${err.type}`);
          failedNames = errors.map((err) => err.topic);
        }
      }
      assert.ok(failedNames.length > 0, 'no CreateTopics ran out of descriptors: the test proves nothing');
      listed = (await admin.listTopics()).sort();
      for (const name of failedNames) assert.ok(!listed.includes(name), `${name} failed and is listed`);
    } finally {
      await admin.disconnect();
    }
  } finally {
    // At the limit the shutdown itself may run out of descriptors; the next start recovers.
    await first.stop();
  }

  const second = await startLakegate({ dataDir });
  try {
    const kafka = kafkaClient(second.port);
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.deepEqual((await admin.listTopics()).sort(), listed);
      const metadata = await admin.fetchTopicMetadata({ topics: listed });
      for (const t of metadata.topics) assert.equal(t.partitions.length, 2, t.name);
    } finally {
      await admin.disconnect();
    }
    // A name whose creation failed is free, and its new topic works.
    await createTopic(kafka, failedNames[0]!, 2, { 'table.format': 'none' });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const [ack] = await producer.send({ topic: failedNames[0]!, messages: [{ value: 'after', partition: 1 }] });
      assert.equal(ack?.errorCode, 0);
      assert.equal(ack?.baseOffset, '0');
    } finally {
      await producer.disconnect();
    }
  } finally {
    await second.stop();
    removeDir(dataDir);
  }
});
