import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/app.js';
import type { AdminSource, AdminTableStatus } from '../../../src/http/admin.js';
import { FakeCatalog } from './fake-catalog.js';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

const statuses: AdminTableStatus[] = [
  {
    topic: 'orders',
    tables: [
      { format: 'iceberg', name: 'kafka.orders', location: 'file:///wh/kafka/orders' },
      { format: 'iceberg', name: 'kafka.orders_dlq', deadLetter: true },
    ],
    partitions: [
      { partition: 1, logEndOffset: 10n, committedOffset: null },
      { partition: 0, logEndOffset: 120n, committedOffset: 99n },
      { partition: 2, logEndOffset: 50, logStartOffset: 40, committedOffset: null },
    ],
    badRecordCount: 3,
    recentBadRecords: [
      { partition: 0, offset: 77n, reason: 'schema id 9 not found', time: T0 },
      { partition: 0, offset: 12, reason: 'not JSON' },
    ],
    deadLetterCount: 2n,
    lastCommitTime: T0,
    lastError: { message: 'S3 PUT timed out', time: T0 + 1000 },
  },
  {
    topic: 'clicks',
    state: 'starting',
    tables: [{ format: 'delta', name: 'clicks' }],
    partitions: [{ partition: 0, logEndOffset: 0n, committedOffset: null }],
    badRecordCount: 0,
    recentBadRecords: [],
    lastCommitTime: null,
    lastError: null,
  },
];

function setup(source: AdminSource = { tables: () => statuses }) {
  return buildHttpApp({ catalog: new FakeCatalog(), admin: source, logger: silent });
}

test('GET /admin/health', async () => {
  const app = setup();
  const res = await app.inject({ method: 'GET', url: '/admin/health' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok' });
  await app.close();
});

test('GET /admin/health: 503 failed with the reason while the log storage is failed, stopping first', async () => {
  let failure: string | null = 'log /d/log/t-0 failed: EFBIG: file too large, write';
  let stopping = false;
  const app = buildHttpApp({ catalog: new FakeCatalog(), admin: { tables: () => statuses }, logger: silent, stopping: () => stopping, storageFailure: () => failure });
  let res = await app.inject({ method: 'GET', url: '/admin/health' });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), { status: 'failed', reason: 'log /d/log/t-0 failed: EFBIG: file too large, write' });
  stopping = true;
  res = await app.inject({ method: 'GET', url: '/admin/health' });
  assert.deepEqual([res.statusCode, res.json()], [503, { status: 'stopping' }]);
  stopping = false;
  failure = null;
  res = await app.inject({ method: 'GET', url: '/admin/health' });
  assert.deepEqual([res.statusCode, res.json()], [200, { status: 'ok' }]);
  await app.close();
});

test('GET /admin/tables: every topic with its state, offsets, lag, bad records, dead-letter rows, last commit and error', async () => {
  const app = setup();
  const res = await app.inject({ method: 'GET', url: '/admin/tables' });
  assert.equal(res.statusCode, 200);
  const { tables } = res.json();
  assert.deepEqual(
    tables.map((t: { topic: string }) => t.topic),
    ['clicks', 'orders'],
  );
  const orders = tables[1];
  assert.deepEqual(orders, {
    topic: 'orders',
    state: 'running',
    tables: [
      { format: 'iceberg', name: 'kafka.orders', location: 'file:///wh/kafka/orders' },
      { format: 'iceberg', name: 'kafka.orders_dlq', deadLetter: true },
    ],
    partitions: [
      { partition: 0, logEndOffset: 120, committedOffset: 99, lag: 20 },
      { partition: 1, logEndOffset: 10, committedOffset: null, lag: 10 },
      { partition: 2, logEndOffset: 50, committedOffset: null, lag: 10 },
    ],
    lag: 40,
    badRecordCount: 3,
    recentBadRecords: [
      { partition: 0, offset: 77, reason: 'schema id 9 not found', time: '2025-01-01T12:00:00.000Z' },
      { partition: 0, offset: 12, reason: 'not JSON' },
    ],
    deadLetterCount: 2,
    lastCommitTime: '2025-01-01T12:00:00.000Z',
    lastError: { message: 'S3 PUT timed out', time: '2025-01-01T12:00:01.000Z' },
  });
  assert.deepEqual(tables[0], {
    topic: 'clicks',
    state: 'starting',
    tables: [{ format: 'delta', name: 'clicks' }],
    partitions: [{ partition: 0, logEndOffset: 0, committedOffset: null, lag: 0 }],
    lag: 0,
    badRecordCount: 0,
    recentBadRecords: [],
    deadLetterCount: 0,
    lastCommitTime: null,
    lastError: null,
  });
  await app.close();
});

test('GET /admin/tables/{topic}: one topic, 404 problem for an unknown one; async sources work', async () => {
  const app = setup({ tables: async () => statuses });
  let res = await app.inject({ method: 'GET', url: '/admin/tables/clicks' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().topic, 'clicks');

  res = await app.inject({ method: 'GET', url: '/admin/tables/nope' });
  assert.equal(res.statusCode, 404);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.status, 404);
  assert.equal(body.title, 'Not Found');
  assert.match(body.detail, /nope/);
  await app.close();
});

test('unknown routes and failing sources answer JSON problems', async () => {
  const app = setup({
    tables: () => {
      throw new Error('materializer exploded');
    },
  });
  let res = await app.inject({ method: 'GET', url: '/nowhere' });
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'no route for GET /nowhere' });
  res = await app.inject({ method: 'GET', url: '/admin/tables' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().status, 500);
  assert.doesNotMatch(res.body, /exploded/);
  res = await app.inject({ method: 'POST', url: '/admin/health' });
  assert.equal(res.statusCode, 404);
  await app.close();
});

test('a connection that stops sending in the middle of a request body is closed after the idle timeout', async () => {
  const { connect } = await import('node:net');
  const { startHttp } = await import('../../../src/http/app.js');
  const app = buildHttpApp({ catalog: new FakeCatalog(), admin: { tables: () => statuses }, logger: silent, timeouts: { idleMs: 300, requestMs: 60_000 } });
  const port = await startHttp(app, '127.0.0.1', 0);
  const socket = connect({ host: '127.0.0.1', port });
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = Date.now();
    socket.write('POST /subjects/x/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sch');
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server kept the stalled connection open for 5 s')), 5000);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
    });
    assert.ok(closedAfter >= 250, `closed after ${closedAfter} ms, before the idle timeout`);
  } finally {
    socket.destroy();
    await app.close();
  }
});
