import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../src/native-addon.js';
import { CHECKPOINT_WRITEBACK_CHUNK_BYTES, segmentSyncBackend, syncWrittenRange, type ChunkedSyncAddon } from '../../../src/log/segment-sync.js';
import { tempDir } from './helpers.js';

// lakegate runs on Linux; like crc32c.test.ts, this insists on the addon rather than passing without it.
test('the chunked write-back addon is built and used', () => {
  assert.equal(segmentSyncBackend.name, 'chunked', `the addon did not load: ${segmentSyncBackend.fallbackReason}`);
});

test('syncWrittenRange makes a file durable over any range, with chunk edges inside and at the end', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'seg.log');
  const h = await open(path, 'w+');
  try {
    // 3.5 chunks and an odd tail, written in two parts as a log grows between checkpoints.
    const data = Buffer.alloc(3 * CHECKPOINT_WRITEBACK_CHUNK_BYTES + CHECKPOINT_WRITEBACK_CHUNK_BYTES / 2 + 13);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const cut = CHECKPOINT_WRITEBACK_CHUNK_BYTES + 7;
    await h.write(data, 0, cut, 0);
    await syncWrittenRange(h, 0, cut);
    await h.write(data, cut, data.length - cut, cut);
    await syncWrittenRange(h, cut, data.length);
    // A range past the end of the file and an empty one are not errors.
    await syncWrittenRange(h, data.length, data.length + 5 * CHECKPOINT_WRITEBACK_CHUNK_BYTES);
    await syncWrittenRange(h, 10, 10);
    assert.ok((await readFile(path)).equals(data));
  } finally {
    await h.close();
    await cleanup();
  }
});

test('syncWrittenRange on a closed handle rejects with EBADF, as FileHandle.datasync does', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const h = await open(join(dir, 'closed.log'), 'w+');
    await h.write(Buffer.alloc(4096, 1), 0, 4096, 0);
    await h.close();
    await assert.rejects(syncWrittenRange(h, 0, 4096), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
    await assert.rejects(syncWrittenRange(h, 0, 0), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
  } finally {
    await cleanup();
  }
});

test('the addon names the failing call and errno, and refuses arguments that are not sizes', async () => {
  const loaded = loadNativeAddon<ChunkedSyncAddon>('chunked-sync.node');
  assert.ok(loaded.addon, `the addon did not load: ${loaded.error}`);
  const { syncInChunks } = loaded.addon;
  // A descriptor that is not open.
  await assert.rejects(syncInChunks(987654, 0, 10, 4096), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && err.syscall === 'dup');
  // A pipe is open but cannot be synced by range: the error comes from the thread pool.
  const { dir, cleanup } = await tempDir();
  try {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const h = await open(join(dir, 'fifo'), 'r+');
    try {
      await assert.rejects(syncInChunks(h.fd, 0, 4096, 4096), (err: NodeJS.ErrnoException) => err.code === 'ESPIPE' && err.syscall === 'sync_file_range');
    } finally {
      await h.close();
    }
  } finally {
    await cleanup();
  }
  const bad: [number, number, number, number][] = [[1, -1, 10, 1], [1, 0, 10, 0], [1, 0, 1.5, 1], [1, 0, Number.NaN, 1], [1, 0, 2 ** 60, 1]];
  for (const args of bad) assert.throws(() => syncInChunks(...args), TypeError, `rejected ${args.join(', ')}`);
});
