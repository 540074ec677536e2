/**
 * Acceptance: kafkajs, unmodified but for its brokers list, produces 100k records per
 * scenario (acks -1/1/0, gzip or none, idempotent on and off) to an auto-created topic and to
 * an 8-partition topic created through the admin API. ListOffsets end offsets must equal the
 * acknowledged count, and dump-log must show exactly the keys, values, headers and timestamps
 * that were sent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { dumpLog, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';

const RECORDS = 100_000;
const PER_SEND = 2_000;

let server: LakegateProcess;
let kafka: Kafka;

before(async () => {
  server = await startLakegate();
  kafka = new Kafka({ clientId: 'acceptance', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING });
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

interface Sent {
  key: string;
  value: string;
  header: string;
  timestamp: number;
}

function record(scenario: string, i: number, base: number): Sent {
  return { key: `${scenario}-k${i}`, value: `${scenario}-value-${i}-${'x'.repeat(i % 50)}`, header: `h${i}`, timestamp: base + (i % 1000) };
}

async function produceAll(producer: Producer, topic: string, scenario: string, acks: number, compression: CompressionTypes): Promise<Map<string, Sent>> {
  const expected = new Map<string, Sent>();
  const base = Date.now() - 60_000;
  for (let start = 0; start < RECORDS; start += PER_SEND) {
    const batch: Sent[] = [];
    for (let i = start; i < start + PER_SEND; i++) batch.push(record(scenario, i, base));
    await producer.send({
      topic,
      acks,
      compression,
      messages: batch.map((r) => ({ key: r.key, value: r.value, headers: { trace: r.header }, timestamp: String(r.timestamp) })),
    });
    for (const r of batch) expected.set(r.key, r);
  }
  return expected;
}

async function endOffsets(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function verifyDump(topic: string, partitions: number, expected: Map<string, Sent>): void {
  let seen = 0;
  for (let p = 0; p < partitions; p++) {
    const records = dumpLog(server.dataDir, topic, p);
    records.forEach((r, i) => assert.equal(r.offset, i, `${topic}-${p}: offsets must be contiguous from 0`));
    for (const r of records) {
      const key = Buffer.from(r.key as string, 'base64').toString();
      const want = expected.get(key);
      assert.ok(want, `${topic}-${p}: unexpected key ${key}`);
      assert.equal(Buffer.from(r.value as string, 'base64').toString(), want.value);
      assert.equal(r.timestamp, want.timestamp);
      assert.equal(r.timestampType, 'CreateTime');
      assert.deepEqual(
        r.headers.map((h) => [h.key, Buffer.from(h.value as string, 'base64').toString()]),
        [['trace', want.header]],
      );
      expected.delete(key);
      seen++;
    }
  }
  assert.equal(expected.size, 0, `${expected.size} sent records missing from ${topic}`);
  assert.equal(seen, RECORDS);
}

async function waitForEndOffset(topic: string, want: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let got = await endOffsets(topic);
  while (got < want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    got = await endOffsets(topic);
  }
  return got;
}

const scenarios = [
  { name: 'idempotent-acks-all-gzip', topic: 'auto-idem-gzip', partitions: 1, acks: -1, idempotent: true, compression: CompressionTypes.GZIP, create: false },
  { name: 'acks-all-none', topic: 'admin-8p-acks-all', partitions: 8, acks: -1, idempotent: false, compression: CompressionTypes.None, create: true },
  { name: 'acks-1-gzip', topic: 'admin-8p-acks-1', partitions: 8, acks: 1, idempotent: false, compression: CompressionTypes.GZIP, create: true },
  { name: 'acks-0-none', topic: 'auto-acks-0', partitions: 1, acks: 0, idempotent: false, compression: CompressionTypes.None, create: false },
];

for (const s of scenarios) {
  test(`kafkajs ${s.name}: ${RECORDS} records to ${s.create ? 'an 8-partition admin-created' : 'an auto-created'} topic`, async () => {
    if (s.create) {
      const admin = kafka.admin();
      await admin.connect();
      assert.equal(await admin.createTopics({ topics: [{ topic: s.topic, numPartitions: s.partitions }], waitForLeaders: true }), true);
      const meta = await admin.fetchTopicMetadata({ topics: [s.topic] });
      assert.equal(meta.topics[0].partitions.length, s.partitions);
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: s.idempotent, allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: s.idempotent ? 1 : 5 });
    await producer.connect();
    const expected = await produceAll(producer, s.topic, s.name, s.acks, s.compression);
    await producer.disconnect();
    // acks=0 gets no answer to wait for: wait (bounded) for the log to reach the count.
    const end = s.acks === 0 ? await waitForEndOffset(s.topic, RECORDS) : await endOffsets(s.topic);
    assert.equal(end, RECORDS, 'ListOffsets end offsets equal the acknowledged count');
    verifyDump(s.topic, s.partitions, expected);
  });
}
