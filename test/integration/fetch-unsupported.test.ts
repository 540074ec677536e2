/**
 * Consuming is not implemented yet: Fetch answers every partition with UNSUPPORTED_VERSION, and
 * does so after the request's max_wait_ms (at most 5 s), as a long poll with no data would, so
 * that a client re-fetching at once after the error cannot spin the gateway.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.js';
import { Fetch } from '../../src/protocol/messages/index.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { fetchRequestBody, RawKafkaConnection } from '../support/raw-client.js';

let server: LakegateProcess;

before(async () => {
  server = await startLakegate();
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

interface FetchAnswer {
  errorCode: number;
  responses: { topic: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

test('Fetch answers UNSUPPORTED_VERSION per partition after max_wait_ms, not at once', async () => {
  const conn = await RawKafkaConnection.connect(server.port);
  try {
    let started = Date.now();
    const held = await conn.request<FetchAnswer>(Fetch, 12, fetchRequestBody('events', [0, 1], 400));
    const heldMs = Date.now() - started;
    assert.ok(heldMs >= 380, `answered after ${heldMs} ms`);
    assert.equal(held.errorCode, ErrorCode.NONE);
    assert.deepEqual(held.responses[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode]), [
      [0, ErrorCode.UNSUPPORTED_VERSION],
      [1, ErrorCode.UNSUPPORTED_VERSION],
    ]);
    started = Date.now();
    const prompt = await conn.request<FetchAnswer>(Fetch, 4, fetchRequestBody('events', [0, 1], 0));
    assert.ok(Date.now() - started < 380, 'max_wait_ms 0 is answered at once');
    assert.equal(prompt.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  } finally {
    conn.close();
  }
});
