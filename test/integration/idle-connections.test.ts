/**
 * connections.max.idle.ms over real TCP: a connection with no traffic for that long is closed,
 * which gives back the request budget a half-sent frame held; one that keeps talking, or that
 * waits because the server stopped reading from it, stays open.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiVersions } from '../../src/protocol/messages/index.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

const IDLE_MS = 400;
const BUDGET = 1024 * 1024;
let server: LakegateProcess;

before(async () => {
  server = await startLakegate({ args: ['--connections-max-idle-ms', String(IDLE_MS), '--queued-max-request-bytes', String(BUDGET)] });
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

const versions = (c: RawKafkaConnection) => c.request<{ errorCode: number }>(ApiVersions, 3, { clientSoftwareName: 'idle-test', clientSoftwareVersion: '1' });

test('a connection with no traffic is closed after connections.max.idle.ms', async () => {
  const c = await RawKafkaConnection.connect(server.port);
  assert.equal((await versions(c)).errorCode, 0);
  const answeredAt = Date.now();
  assert.equal(await c.closedByServer(IDLE_MS * 10), true);
  assert.ok(Date.now() - answeredAt >= IDLE_MS * 0.9, `closed after ${Date.now() - answeredAt} ms, not before the idle time`);
});

test('a connection that keeps sending requests stays open past the idle time', async () => {
  const c = await RawKafkaConnection.connect(server.port);
  for (let i = 0; i < 8; i++) {
    assert.equal((await versions(c)).errorCode, 0, `request ${i} answered`);
    await sleep(IDLE_MS / 2);
  }
  c.close();
});

test('a half-sent frame that spent the request budget is dropped once idle, and a connection waiting for the budget is then served', async () => {
  const waiting = await RawKafkaConnection.connect(server.port);
  assert.equal((await versions(waiting)).errorCode, 0);
  await sleep(IDLE_MS / 2);
  // A 1.5 MiB frame announced and 1.1 MiB of it sent: the budget is spent, and every other
  // connection stops reading between frames until those bytes are given back.
  const stalled = await RawKafkaConnection.connect(server.port);
  const partial = Buffer.alloc(1100 * 1024, 0);
  partial.writeInt32BE(1536 * 1024, 0);
  stalled.sendRaw(partial);
  await sleep(100);
  const sentAt = Date.now();
  // Not read while the budget is spent; the waiting connection's own idle timer runs out
  // meanwhile, but its silence is the server's doing, so it stays open.
  const answer = versions(waiting);
  assert.equal(await stalled.closedByServer(IDLE_MS * 10), true, 'the stalled connection is closed');
  assert.equal((await answer).errorCode, 0, 'the waiting connection is answered once the budget is back');
  assert.ok(Date.now() - sentAt >= IDLE_MS / 2, 'it had to wait for the stalled connection to go');
  waiting.close();
});
