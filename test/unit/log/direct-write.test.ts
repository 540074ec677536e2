import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../src/native-addon.js';
import {
  DIRECT_WRITE_ALIGNMENT,
  directWriteBackend,
  openJournalHandle,
  writeDirect,
  type DirectWriteAddon,
} from '../../../src/log/journal/direct-write.js';
import { tempDir } from './helpers.js';

const A = DIRECT_WRITE_ALIGNMENT;

// lakegate runs on Linux; like crc32c.test.ts, this insists on the addon rather than passing without it.
test('the direct-write addon is built and loads', () => {
  assert.ok(directWriteBackend.available, `the addon did not load: ${directWriteBackend.reason}`);
});

test('writeDirect writes the buffers in order at the offset, zeros to the length, and nothing else', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'j.wal');
  try {
    await writeFile(path, Buffer.alloc(4 * A, 0xee));
    const { handle, direct } = await openJournalHandle(path, 4 * A, true);
    assert.equal(direct, true, 'this filesystem refused O_DIRECT');
    try {
      const a = Buffer.alloc(100, 'x');
      const b = Buffer.alloc(A + 7, 'y');
      await writeDirect(handle, [a, b], A, 2 * A);
    } finally {
      await handle.close();
    }
    const got = await readFile(path);
    const want = Buffer.concat([
      Buffer.alloc(A, 0xee),
      Buffer.alloc(100, 'x'),
      Buffer.alloc(A + 7, 'y'),
      Buffer.alloc(2 * A - 100 - (A + 7), 0),
      Buffer.alloc(A, 0xee),
    ]);
    assert.ok(got.equals(want));
  } finally {
    await cleanup();
  }
});

test('writeDirect refuses unaligned offsets and lengths, too many bytes and non-buffers before any I/O', () => {
  const addon = loadNativeAddon<DirectWriteAddon>('direct-write.node').addon!;
  const one = [Buffer.alloc(10)];
  assert.throws(() => addon.writeDirect(0, one, 100, A), TypeError);
  assert.throws(() => addon.writeDirect(0, one, 0, A + 1), TypeError);
  assert.throws(() => addon.writeDirect(0, one, 0, 0), TypeError);
  assert.throws(() => addon.writeDirect(0, [Buffer.alloc(A + 1)], 0, A), TypeError);
  assert.throws(() => addon.writeDirect(0, ['text' as unknown as Buffer], 0, A), TypeError);
  assert.throws(() => addon.writeDirect(0, Buffer.alloc(3) as unknown as Buffer[], 0, A), TypeError);
});

test('writeDirect on a closed handle rejects with EBADF', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'closed.wal');
  try {
    await writeFile(path, Buffer.alloc(A));
    const { handle } = await openJournalHandle(path, A, true);
    await handle.close();
    await assert.rejects(writeDirect(handle, [Buffer.alloc(10)], 0, A), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
  } finally {
    await cleanup();
  }
});

test('openJournalHandle writes buffered when asked to, or when the file size is not block-aligned', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'j.wal');
    await writeFile(path, Buffer.alloc(A + 512));
    for (const [fileBytes, direct, want] of [
      [A + 512, true, false],
      [A, false, false],
      [A, true, true],
    ] as const) {
      const h = await openJournalHandle(path, fileBytes, direct);
      await h.handle.close();
      assert.equal(h.direct, want, `fileBytes ${fileBytes}, direct ${direct}`);
    }
  } finally {
    await cleanup();
  }
});
