/**
 * The pipelined commit cycles of TopicMaterializer with real parts (broker logs, writer pool,
 * Iceberg table over a local catalog): while one cycle's commit is slow the next cycle's files
 * are written; a commit that fails drops the cycles planned on top of it and their ranges are
 * planned again, so the table ends with every record exactly once and no orphan files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Broker } from '../../../src/broker-api/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { CommitConflictError } from '../../../src/tables/iceberg/catalog.js';
import { IcebergTableWriter, OffsetConflictError } from '../../../src/tables/iceberg/committer.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import { commitNotApplied, type TableCommit } from '../../../src/tables/table-writer.js';
import { DelegatingTableWriter } from './delegating-table.js';
import { TopicMaterializer } from '../../../src/tables/topic-materializer.js';
import { rowSchema, tableSettings } from '../../../src/tables/topic-table-settings.js';
import { WriterPool } from '../../../src/writer/pool.js';
import { readRows } from '../writer/support.js';

/** The real table, with the first commit slowed down and the second one refused. */
class FaultyCommits extends DelegatingTableWriter {
  commitsTried = 0;
  /** Commits running at once: must never exceed one. */
  concurrent = 0;
  maxConcurrent = 0;
  firstCommitDoneAt = 0;
  /** Whether a later cycle's files were written while the first commit was still running. */
  overlapped = false;

  override async commit(commit: TableCommit): Promise<void> {
    const n = ++this.commitsTried;
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      if (n === 1) await new Promise((r) => setTimeout(r, 400)); // the next cycle materializes meanwhile
      if (n === 2) {
        this.overlapped = commit.files.some((f) => statSync(f.path).mtimeMs < this.firstCommitDoneAt);
        // A refused swap (the table is unchanged), so the cycle's files may go at once.
        throw Object.assign(new Error('injected commit failure'), { commitNotApplied: true });
      }
      await super.commit(commit);
    } finally {
      this.concurrent--;
      if (n === 1) this.firstCommitDoneAt = Date.now();
    }
  }
}

test('pipelined cycles: a slow commit overlaps the next cycle, a failed one is replanned; every record lands once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-topic-mat-'));
  const config = resolveConfig({ 'data-dir': dir }, {});
  const broker = await Broker.open(config);
  const pool = new WriterPool({ size: 1 });
  try {
    const runtime = await broker.createTopic('events', 2, { 'value.format': 'json', 'table.commit.interval.ms': '50', 'table.partition.by': 'none' });
    const settings = tableSettings(broker, runtime);
    const catalog = await LocalIcebergCatalog.open(config.warehouseDir);
    const iceberg = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: settings.partitionBy });
    const table = new FaultyCommits(iceberg);
    const materializer = new TopicMaterializer(runtime, table, settings, pool);
    await materializer.start();

    let sent = 0;
    const append = async (partition: number, count: number) => {
      const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(JSON.stringify({ n: sent + i })), timestamp: 1_700_000_000_000n }));
      sent += count;
      const batch = encodeRecordBatch({ records });
      await runtime.logs[partition].append(batch, readRecordBatchHeader(batch));
    };
    // Records keep arriving while cycles commit, fail and retry.
    for (let round = 0; round < 12; round++) {
      await append(round % 2, 50);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(await materializer.flushed(20_000), true, 'the table caught up with the log');
    await materializer.stop();

    assert.ok(table.commitsTried >= 3, `commits tried: ${table.commitsTried}`);
    assert.equal(table.maxConcurrent, 1, 'commits never overlap');
    assert.equal(table.overlapped, true, "the second cycle's files were written during the first commit");
    assert.equal(materializer.badRecords.count, 0);
    const files = await iceberg.referencedDataFiles();
    const offsets = new Map<number, bigint[]>();
    for (const file of files) {
      for (const row of await readRows(file)) {
        const list = offsets.get(row._kafka_partition as number) ?? [];
        list.push(row._kafka_offset as bigint);
        offsets.set(row._kafka_partition as number, list);
      }
    }
    for (const p of [0, 1]) {
      const got = (offsets.get(p) ?? []).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => BigInt(i)), `partition ${p}: every offset exactly once`);
    }
    const committed = await iceberg.committedOffsets();
    assert.deepEqual([committed.get(0), committed.get(1)], [299n, 299n]);
    const onDisk = readdirSync(iceberg.dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => path.join(iceberg.dataDir, f));
    assert.deepEqual(onDisk.sort(), [...files].sort(), 'the failed cycle left no orphan files');
  } finally {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only a refused commit counts as not applied: after any other failure the files may be referenced', () => {
  assert.equal(commitNotApplied(new CommitConflictError('swap refused')), true);
  assert.equal(commitNotApplied(new OffsetConflictError('offsets already committed')), true);
  assert.equal(commitNotApplied(new Error('EIO after the swap')), false);
  assert.equal(commitNotApplied(undefined), false);
});
