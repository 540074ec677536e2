/**
 * locate(): byte ranges of whole batches that a worker reads from the segment file itself.
 * Ranges stop at the high watermark, at the segment's end, and near maxBytes on a batch
 * boundary; reading the file at the range gives exactly the batches for those offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PartitionLog } from '../../../src/log/index.js';
import { headersIn, makeBatch, opts, tempDir } from './helpers.js';

test('locate covers whole batches from the one holding the offset, within maxBytes and segments', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await PartitionLog.open(dir, 't', 0, opts({ indexIntervalBytes: 1, segmentBytes: 20_000 }));
    for (let i = 0; i < 40; i++) {
      const b = makeBatch({ records: 5, valueSize: 100, tag: `b${i}` });
      await log.append(b.buf, b.header);
    }
    assert.ok(log.segmentCount > 1, 'the log rolled');
    // From the middle of batch 2 (offsets 10..14).
    const r = await log.locate(12n, 1_000_000);
    assert.ok(r);
    const bytes = (await readFile(r.segmentPath)).subarray(r.position, r.position + r.length);
    const headers = headersIn(bytes);
    assert.equal(headers[0].baseOffset, 10n);
    const last = headers[headers.length - 1];
    assert.equal(last.baseOffset + BigInt(last.lastOffsetDelta), r.lastOffset);
    assert.ok(r.lastOffset < log.highWatermark - 1n, 'a range stays within one segment');
    // The next range continues exactly after it, and ranges end at the high watermark.
    let from = r.lastOffset + 1n;
    let covered = r.lastOffset - 12n + 1n;
    for (let next = await log.locate(from, 600); next; next = await log.locate(from, 600)) {
      const hs = headersIn((await readFile(next.segmentPath)).subarray(next.position, next.position + next.length));
      assert.equal(hs[0].baseOffset, from, 'ranges are contiguous');
      assert.ok(next.length <= 600 || hs.length === 1, 'maxBytes is honoured unless one batch is larger');
      covered += next.lastOffset - from + 1n;
      from = next.lastOffset + 1n;
    }
    assert.equal(from, log.highWatermark);
    assert.equal(covered, 200n - 12n);
    assert.equal(await log.locate(log.highWatermark, 1000), null);
    await assert.rejects(log.locate(log.highWatermark + 5n, 1000));
    await log.close();
  } finally {
    await cleanup();
  }
});
