/**
 * A write error in the log (here EFBIG: the server runs under a file-size limit, a real
 * failure as a full disk is) fails the partition's log: produce answers KAFKA_STORAGE_ERROR,
 * and /admin/health answers 503 "failed" with the reason, so a liveness probe restarts the
 * node. It used to answer "ok" while every acknowledged write was refused. The restart
 * recovers the log with every acknowledged record, and writes resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { removeDir, startLakegate } from '../support/lakegate-process.js';

// The journal's files are 32 MiB, created whole at start; the segment is what grows past this.
const FILE_SIZE_KIB = 40 * 1024;

async function health(port: number): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/admin/health`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

test('a log failed by a write error makes /admin/health answer 503 failed; a restart recovers every acknowledged record', async () => {
  const first = await startLakegate({ limits: { fileSizeKiB: FILE_SIZE_KIB } });
  const dataDir = first.dataDir;
  let acknowledged = 0;
  try {
    const kafka = kafkaClient(first.port, 0);
    await createTopic(kafka, 'grows', 1, { 'table.format': 'none' });
    assert.deepEqual(await health(first.httpPort), { status: 200, body: { status: 'ok' } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 50 } });
    await producer.connect();
    const value = Buffer.alloc(50_000, 7);
    let failure: unknown = null;
    try {
      for (let i = 0; i < 200 && failure === null; i++) {
        try {
          await producer.send({ topic: 'grows', acks: -1, messages: Array.from({ length: 10 }, () => ({ value })) });
          acknowledged += 10;
        } catch (e) {
          failure = e;
        }
      }
    } finally {
      await producer.disconnect();
    }
    assert.ok(failure !== null, 'the log never reached the file-size limit: the test proves nothing');
    assert.match(String((failure as { cause?: unknown }).cause ?? failure), /storage|disk/i);
    assert.ok(acknowledged * 50_000 > 30 * 1024 * 1024, `only ${acknowledged} records acknowledged`);
    const after = await health(first.httpPort);
    assert.equal(after.status, 503);
    assert.equal(after.body.status, 'failed');
    assert.match(after.body.reason ?? '', /grows-0 first: .*(EFBIG|file too large)/i);
  } finally {
    await first.stop();
  }

  const second = await startLakegate({ dataDir });
  try {
    assert.deepEqual(await health(second.httpPort), { status: 200, body: { status: 'ok' } });
    const kafka = kafkaClient(second.port);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [p0] = await admin.fetchTopicOffsets('grows');
      assert.ok(Number(p0!.high) >= acknowledged, `high watermark ${p0!.high} after restart, ${acknowledged} acknowledged`);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      const [ack] = await producer.send({ topic: 'grows', acks: -1, messages: [{ value: 'after the restart' }] });
      assert.equal(ack?.errorCode, 0);
    } finally {
      await producer.disconnect();
    }
  } finally {
    await second.stop();
    removeDir(dataDir);
  }
});
