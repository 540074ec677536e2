/**
 * SIGTERM stops lakegate promptly even with an HTTP client stalled in the middle of a request:
 * the shutdown used to wait for that request until the idle timeout (120 s), past any service
 * manager's grace period, so the process was killed before its logs closed cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
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
