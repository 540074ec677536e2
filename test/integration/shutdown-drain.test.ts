/**
 * A shutdown answers what it has read. SIGTERM used to cut every Kafka connection at once:
 * produce requests already appended lost their answers, so a producer without idempotence
 * retried them and appended them twice. And /admin/health said "ok" until the HTTP port
 * closed, so a load balancer kept sending work to a node that was going away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { decodeResponse } from '../../src/protocol/frames.js';
import { Fetch, Metadata, Produce } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';
import { dumpLog, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { fetchRequestBody, RawKafkaConnection } from '../support/raw-client.js';

const PRODUCES = 20;

function exited(server: LakegateProcess): Promise<number | null> {
  if (server.child.exitCode !== null) return Promise.resolve(server.child.exitCode);
  return new Promise((resolve) => server.child.once('exit', (code) => resolve(code)));
}

test('SIGTERM answers every produce request already read, then closes; none is left appended but unanswered', async () => {
  const server = await startLakegate();
  try {
    const c = await RawKafkaConnection.connect(server.port);
    await c.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'drained' }], allowAutoTopicCreation: true });
    // A long poll at the head of the pipeline holds every answer behind it (responses leave in
    // request order), so when SIGTERM comes all the produces are appended and none answered.
    const fetchId = c.send(Fetch, 12, fetchRequestBody('drained', [0], 4500));
    const produceIds: number[] = [];
    for (let i = 0; i < PRODUCES; i++) {
      const records = encodeRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.alloc(64 * 1024, i) }] });
      produceIds.push(c.send(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'drained', partitionData: [{ index: 0, records }] }] }));
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    const signalled = Date.now();
    server.child.kill('SIGTERM');

    const fetchFrame = await c.nextFrame(4000);
    assert.ok(fetchFrame, 'the long poll is answered, not cut');
    const fetched = decodeResponse<Record<string, any>>(Fetch, 12, fetchFrame);
    assert.equal(fetched.correlationId, fetchId);
    assert.ok(Date.now() - signalled < 2500, `the shutdown ended the long poll early (${Date.now() - signalled} ms, max wait 4500)`);
    for (let i = 0; i < PRODUCES; i++) {
      const frame = await c.nextFrame(5000);
      assert.ok(frame, `produce ${i} of ${PRODUCES} was answered before the connection closed`);
      const { correlationId, body } = decodeResponse<Record<string, any>>(Produce, 9, frame);
      assert.equal(correlationId, produceIds[i]);
      const p = body.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, 0);
      assert.equal(p.baseOffset, BigInt(i));
    }
    assert.equal(await c.closedByServer(5000), true, 'then the server closes the connection');
    c.close();
    assert.equal(await exited(server), 0);

    const records = dumpLog(server.dataDir, 'drained', 0);
    assert.equal(records.length, PRODUCES, 'exactly the answered records are in the log');
  } finally {
    await server.stop();
    removeDir(server.dataDir);
  }
});

test('/admin/health answers 503 "stopping" from the start of a shutdown', async () => {
  const server = await startLakegate();
  // A client that does not close its side when the server closes its own (allowHalfOpen): the
  // drain waits for it, up to the grace period, so the node is observably shutting down.
  const client = net.connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true });
  client.on('error', () => undefined);
  try {
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const before = await fetch(`http://127.0.0.1:${server.httpPort}/admin/health`);
    assert.equal(before.status, 200);
    assert.deepEqual(await before.json(), { status: 'ok' });
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = await fetch(`http://127.0.0.1:${server.httpPort}/admin/health`);
    assert.equal(during.status, 503);
    assert.deepEqual(await during.json(), { status: 'stopping' });
    const released = Date.now();
    client.destroy();
    assert.equal(await exited(server), 0);
    assert.ok(Date.now() - released < 5000, `exited ${Date.now() - released} ms after the last client closed`);
  } finally {
    client.destroy();
    await server.stop();
    removeDir(server.dataDir);
  }
});
