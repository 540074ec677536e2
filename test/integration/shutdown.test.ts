/**
 * SIGTERM stops lakegate promptly even with an HTTP client stalled in the middle of a request:
 * the shutdown used to wait for that request until the idle timeout (120 s), past any service
 * manager's grace period, so the process was killed before its logs closed cleanly. And it
 * closes every log cleanly however few spare file descriptors the partitions leave.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LogManager } from '../../src/log/log-manager.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { removeDir, startLakegate } from '../support/lakegate-process.js';

test('SIGTERM with an HTTP request stalled mid-body exits within seconds and closes the logs cleanly', async () => {
  const server = await startLakegate();
  const socket = connect({ host: '127.0.0.1', port: server.httpPort });
  socket.on('error', () => undefined);
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /subjects/s/versions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"schema"');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    server.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server.child.once('exit', (c) => resolve(c)));
    const tookMs = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(tookMs < 8000, `exited ${tookMs} ms after SIGTERM`);
    // The lock is released only after the logs have closed: the whole shutdown ran.
    assert.equal(existsSync(path.join(server.dataDir, '.lakegate.lock')), false, 'the shutdown ran to its end');
  } finally {
    socket.destroy();
    await server.stop();
    removeDir(server.dataDir);
  }
});

test('SIGTERM closes every log cleanly when the partitions leave few spare file descriptors', async () => {
  // 150 partitions hold about 150 descriptors; closing them all at once opened several files
  // each at the same moment (indexes, producer snapshot, checkpoint) and ran out: the
  // shutdown failed with EMFILE and exited 1. As at 10,000 partitions under the default 20,000.
  const server = await startLakegate({ limits: { openFiles: 400 } });
  const kafka = kafkaClient(server.port);
  const topics = Array.from({ length: 15 }, (_, i) => `fd-${i}`);
  try {
    for (const topic of topics) await createTopic(kafka, topic, 10, { 'table.format': 'none' });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'fd-0', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i })) });
    await producer.disconnect();
    server.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => server.child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, `exit code ${code}:\n${server.output().slice(-2000)}`);
    assert.doesNotMatch(server.output(), /EMFILE|clean close of .* failed/);
    const logs = await LogManager.open(path.join(server.dataDir, 'log'));
    try {
      const all = logs.all();
      assert.equal(all.length, 150);
      assert.deepEqual(all.filter((l) => !l.stats.openedClean).map((l) => `${l.topic}-${l.partition}`), [], 'logs that needed recovery');
      for (let p = 0; p < 10; p++) assert.equal(logs.get('fd-0', p)?.logEndOffset, 1n);
    } finally {
      await logs.close();
    }
  } finally {
    await server.stop();
    removeDir(server.dataDir);
  }
});
