/**
 * Acceptance: kill -9 the gateway repeatedly during an idempotent acks=all load and restart it
 * on the same data dir while the producer keeps retrying. Every acknowledged record must be
 * in the log exactly once, no record twice (a retried batch that was written before the
 * crash must be recognised from the restored producer state), and offsets contiguous.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { dumpLog, freshDataDir, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';

const PARTITIONS = 4;
const BATCHES = 80;
const PER_BATCH = 250;
const KILLS = 4;

const dataDir = freshDataDir('lakegate-crash-');
let server: LakegateProcess;

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

test(`kill -9 ${KILLS} times during an idempotent acks=all load loses and duplicates nothing`, async () => {
  server = await startLakegate({ dataDir });
  const port = server.port;
  const kafka = new Kafka({
    clientId: 'crash-test',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 500 },
    connectionTimeout: 1000,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: PARTITIONS }] });
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const acked = new Set<string>();
  let failedSends = 0;
  let kills = 0;
  let stopKilling = false;

  const killer = (async () => {
    while (kills < KILLS && !stopKilling) {
      await new Promise((r) => setTimeout(r, 700 + Math.random() * 600));
      if (stopKilling) break;
      await server.kill9();
      kills++;
      server = await startLakegate({ dataDir, port });
    }
  })();

  // Keep the load going until every kill has happened, and at least BATCHES batches.
  for (let b = 0; b < BATCHES || kills < KILLS; b++) {
    const keys = Array.from({ length: PER_BATCH }, (_, i) => `b${b}-r${i}`);
    try {
      await producer.send({ topic: 'crash', acks: -1, messages: keys.map((key) => ({ key, value: `value-of-${key}` })) });
      for (const k of keys) acked.add(k);
    } catch {
      failedSends++;
    }
    if (b > BATCHES * 20) break;
  }
  stopKilling = true;
  await killer;
  await producer.disconnect().catch(() => undefined);
  await server.stop();

  assert.equal(kills, KILLS, 'the gateway was killed during the load');
  assert.ok(acked.size >= PER_BATCH * 10, `enough acknowledged records to mean something (${acked.size})`);

  const seen = new Map<string, number>();
  let total = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const records = dumpLog(dataDir, 'crash', p);
    records.forEach((r, i) => assert.equal(r.offset, i, `crash-${p}: offsets contiguous`));
    for (const r of records) {
      const key = Buffer.from(r.key as string, 'base64').toString();
      assert.equal(Buffer.from(r.value as string, 'base64').toString(), `value-of-${key}`);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    total += records.length;
  }
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  assert.deepEqual(duplicated.slice(0, 5), [], `${duplicated.length} records were written twice`);
  const missing = [...acked].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged records are missing`);
  assert.ok(total >= acked.size);
  process.stdout.write(`# crash test: ${kills} kills, ${acked.size} acknowledged, ${total} in log, ${failedSends} sends failed\n`);
});
