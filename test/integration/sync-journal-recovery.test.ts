/**
 * A machine crash, not just a process crash: under fsync=before-ack an acknowledged batch is
 * durable in the sync journal, while its segment may still sit in the page cache. The test
 * acknowledges records, kills the process, and then takes from the segments what a power
 * loss could take (page cache that was never written back): one partition's segment loses
 * everything, one is cut in the middle of a batch, the others keep all. After a restart
 * every acknowledged record must be back, once, at the offset it was acknowledged with.
 *
 * Only valid while no journal checkpoint has run since the topic was created (a checkpoint
 * syncs the segments, after which their data may no longer be taken away): the load stays
 * well under the journal file size that triggers one.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { JOURNAL_CHECKPOINT_BYTES } from '../../src/log/log-manager.js';
import { dumpLog, freshDataDir, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';

const TOPIC = 'powerloss';
const PARTITIONS = 4;
const ROUNDS = 40;
const PER_ROUND = 100;

const dataDir = freshDataDir('lakegate-powerloss-');
let server: LakegateProcess | undefined;
after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

function segmentLog(partition: number): string {
  const dir = path.join(dataDir, 'log', `${TOPIC}-${partition}`);
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.equal(logs.length, 1, `one segment in ${dir}`);
  return path.join(dir, logs[0]!);
}

test('acknowledged records lost from the segments with the page cache come back from the sync journal', async () => {
  server = await startLakegate({ dataDir });
  const kafka = kafkaClient(server.port);
  await createTopic(kafka, TOPIC, PARTITIONS, { 'table.format': 'none' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked = new Map<number, string[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const messages = Array.from({ length: PER_ROUND }, (_, i) => ({ partition: i % PARTITIONS, key: `r${round}-${i}`, value: `value ${round} ${i} `.repeat(8) }));
    await producer.send({ topic: TOPIC, acks: -1, messages });
    for (const m of messages) acked.get(m.partition)!.push(m.key);
  }
  await producer.disconnect();
  await server.kill9();
  server = undefined;

  const sizes = Array.from({ length: PARTITIONS }, (_, p) => statSync(segmentLog(p)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.ok(total < JOURNAL_CHECKPOINT_BYTES / 2, `the load (${total} bytes) stays far from a journal checkpoint`);
  truncateSync(segmentLog(0), 0);
  truncateSync(segmentLog(1), Math.floor(sizes[1]! / 2) + 7); // mid-batch: a torn tail

  server = await startLakegate({ dataDir });
  assert.match(server.output(), /batches the logs had lost were replayed from the journal/);
  await server.stop();
  server = undefined;

  for (let p = 0; p < PARTITIONS; p++) {
    const records = dumpLog(dataDir, TOPIC, p);
    assert.deepEqual(
      records.map((r) => r.offset),
      records.map((_, i) => i),
      `partition ${p}: offsets contiguous from 0`,
    );
    assert.deepEqual(
      records.map((r) => Buffer.from(r.key ?? '', 'base64').toString()), // dump-log prints keys in base64
      acked.get(p),
      `partition ${p}: every acknowledged record, once, in order`,
    );
  }
  assert.equal(statSync(segmentLog(0)).size, sizes[0], 'partition 0 is rebuilt byte for byte in length');

  // A clean restart replays nothing: the journal was checkpointed at start-up and shutdown.
  const durable2 = statSync(segmentLog(2)).size; // sealed at the clean shutdown
  server = await startLakegate({ dataDir });
  assert.doesNotMatch(server.output(), /replayed from the journal/);

  // More acknowledged records, another machine crash, and a restart with --fsync os: the
  // journal left by the earlier run is still replayed.
  const producer2 = kafkaClient(server.port).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer2.connect();
  const more = Array.from({ length: 200 }, (_, i) => ({ partition: 2, key: `more-${i}`, value: `more ${i}` }));
  await producer2.send({ topic: TOPIC, acks: -1, messages: more });
  await producer2.disconnect();
  await server.kill9();
  server = undefined;
  truncateSync(segmentLog(2), durable2); // what the crash took: everything since the last sync
  server = await startLakegate({ dataDir, args: ['--fsync', 'os'] });
  assert.match(server.output(), /batches the logs had lost were replayed from the journal/);
  await server.stop();
  server = undefined;
  const keys = dumpLog(dataDir, TOPIC, 2).map((r) => Buffer.from(r.key ?? '', 'base64').toString());
  assert.deepEqual(keys, [...acked.get(2)!, ...more.map((m) => m.key)], 'partition 2 after the second crash');
});
