/**
 * franz-go (kgo + kadm). franz-go does not auto-create topics by default and we keep that
 * default: go/main.go creates the topic with kadm CreateTopics (3 partitions, replication 1),
 * then produces RECORD_COUNT keyed records with headers using the client's DEFAULT producer
 * settings (acks=all, idempotent, snappy) and insists on having received a producer id.
 * ListOffsets (kafkajs) and dump-log must show exactly what was acknowledged.
 */
import path from 'node:path';
import { test } from 'node:test';
import { RECORD_COUNT, TEST_TIMEOUT_MS, assertSucceeded, expectedRecord, franzBin, readAcks, run, topicName, verifyProduced, withLakegate } from './support.js';

test(`franz-go: kadm CreateTopics (3 partitions), producer defaults (acks=all, idempotent, snappy): ${RECORD_COUNT} records`, { timeout: TEST_TIMEOUT_MS }, () =>
  withLakegate('franz', async (lg) => {
    const topic = topicName('franz');
    const acksFile = path.join(lg.workDir, 'acks.tsv');
    const start = Date.now();
    const r = await run(
      franzBin(),
      ['-brokers', lg.bootstrap, '-topic', topic, '-count', String(RECORD_COUNT), '-out', acksFile, '-partitions', '3', '-tag', 'franz'],
      { logFile: path.join(lg.workDir, 'client.log') },
    );
    const end = Date.now();
    assertSucceeded(r, 'franz-go producer');
    await verifyProduced(lg, {
      topic,
      count: RECORD_COUNT,
      expected: (i) => expectedRecord(i, 'franz'),
      acks: readAcks(acksFile),
      timestampType: 'CreateTime',
      window: { start, end },
      partitions: 3,
      codec: 'snappy',
      idempotent: true,
    });
  }),
);
