/**
 * Flushes asked for together share one write, and a flush resolves only once a write that
 * started after it was asked for is done: a change made while a write is under way is never
 * reported durable by that write. A failed write is a storage error the request reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoalescedFileWriter } from '../../../src/broker-api/coalesced-file-writer.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('flushes of one turn share a write; a change made during a write waits for the next one', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-coalesced-'));
  try {
    const file = path.join(dir, 'state.json');
    let state = 'a';
    let renders = 0;
    const writer = new CoalescedFileWriter(file, () => {
      renders++;
      return state;
    });
    const first = writer.flush();
    state = 'b';
    assert.equal(writer.flush(), first, 'a flush of the same turn joins the write asked for');
    await first;
    assert.equal(readFileSync(file, 'utf8'), 'b');
    assert.equal(renders, 1);

    state = 'c';
    const during = writer.flush();
    await nextTurn(); // that write has rendered "c" and is under way
    state = 'd';
    const after = writer.flush();
    assert.notEqual(after, during, 'a change made during a write is not covered by it');
    await during;
    await after;
    assert.equal(readFileSync(file, 'utf8'), 'd');
    assert.equal(renders, 3);
    await writer.settled();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails rejects its flush with KAFKA_STORAGE_ERROR naming the file, and the next flush writes again', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-coalesced-'));
  try {
    const file = path.join(dir, 'state.json');
    // The temporary file's name taken by a directory: open() fails with EISDIR, a real failure
    // that root cannot bypass (as it would a read-only mode).
    mkdirSync(`${file}.tmp`);
    const writer = new CoalescedFileWriter(file, () => 'x');
    await assert.rejects(writer.flush(), (err: unknown) => {
      assert.ok(err instanceof KafkaError, `not a KafkaError: ${String(err)}`);
      assert.equal(err.code, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.match(err.message, /writing .*state\.json failed: EISDIR/);
      return true;
    });
    rmdirSync(`${file}.tmp`);
    await writer.flush();
    assert.equal(readFileSync(file, 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
