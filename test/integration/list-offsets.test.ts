/**
 * ListOffsets by time and -3 answer with records, not batches: kafkajs sends one compressed
 * batch of ten records stamped 1000..1009, and seeking to 1005 must land on offset 5 (as on a
 * Kafka broker), not on the batch's first offset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { ListOffsets } from '../../src/protocol/messages/index.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

let server: LakegateProcess;
let kafka: Kafka;

before(async () => {
  server = await startLakegate();
  kafka = new Kafka({ clientId: 'list-offsets', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING });
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

interface PartitionAnswer {
  errorCode: number;
  offset: bigint;
  timestamp: bigint;
}

async function listOffset(conn: RawKafkaConnection, topic: string, timestamp: bigint): Promise<PartitionAnswer> {
  const res = await conn.request<{ topics: { partitions: PartitionAnswer[] }[] }>(ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  return res.topics[0]!.partitions[0]!;
}

test('ListOffsets by time finds the first record at or after the time inside a batch; -3 the record holding the maximum', async () => {
  const topic = 'seek-by-time';
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const conn = await RawKafkaConnection.connect(server.port);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    // One send is one batch; the maximum sits in the middle so -3 cannot be the batch's end.
    const stamps = [1000, 1001, 1002, 1003, 1004, 1005, 1009, 1007, 1008, 1006];
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: stamps.map((ts, i) => ({ value: `v${i}`, timestamp: String(ts) })),
    });

    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, 1005);
    assert.deepEqual(byTime, [{ partition: 0, offset: '5' }]);

    const answers = new Map<bigint, PartitionAnswer>();
    for (const ts of [0n, 1000n, 1003n, 1005n, 1006n, 1009n, 1010n, -3n]) answers.set(ts, await listOffset(conn, topic, ts));
    const pick = (ts: bigint) => ({ offset: answers.get(ts)!.offset, timestamp: answers.get(ts)!.timestamp, errorCode: answers.get(ts)!.errorCode });
    assert.deepEqual(pick(0n), { offset: 0n, timestamp: 1000n, errorCode: 0 });
    assert.deepEqual(pick(1000n), { offset: 0n, timestamp: 1000n, errorCode: 0 });
    assert.deepEqual(pick(1003n), { offset: 3n, timestamp: 1003n, errorCode: 0 });
    assert.deepEqual(pick(1005n), { offset: 5n, timestamp: 1005n, errorCode: 0 });
    // Records are searched in offset order, as Kafka does: 1006 first appears at offset 6 (1009).
    assert.deepEqual(pick(1006n), { offset: 6n, timestamp: 1009n, errorCode: 0 });
    assert.deepEqual(pick(1009n), { offset: 6n, timestamp: 1009n, errorCode: 0 });
    assert.deepEqual(pick(1010n), { offset: -1n, timestamp: -1n, errorCode: 0 });
    assert.deepEqual(pick(-3n), { offset: 6n, timestamp: 1009n, errorCode: 0 });
  } finally {
    conn.close();
    await producer.disconnect();
    await admin.disconnect();
  }
});

test('a partition named twice in one ListOffsets is answered INVALID_REQUEST, each time; the others normally', async () => {
  const topic = 'asked-twice';
  const admin = kafka.admin();
  await admin.connect();
  const conn = await RawKafkaConnection.connect(server.port);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const latest = (partitionIndex: number) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n });
    const res = await conn.request<{ topics: { name: string; partitions: (PartitionAnswer & { partitionIndex: number })[] }[] }>(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: topic, partitions: [latest(0), latest(1)] },
        { name: topic, partitions: [latest(0)] },
      ],
    });
    const answers = res.topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode]));
    assert.deepEqual(answers, [
      [0, 42],
      [1, 0],
      [0, 42],
    ]);
  } finally {
    conn.close();
    await admin.disconnect();
  }
});
