/**
 * The pipelined commit cycles of TopicMaterializer with real parts (broker logs, writer pool,
 * Iceberg table over a local catalog): while one cycle's commit is slow the next cycle's files
 * are written; a commit that fails drops the cycles planned on top of it and their ranges are
 * planned again, so the table ends with every record exactly once and no orphan files. With
 * two writers, two cycles are on the workers at once while commits are slowed and some throw:
 * every failure rewinds the planned cursors, and a cycle planning meanwhile, or planned before
 * the failure, must neither skip a range nor plan one twice. A commit that was applied but
 * reported an error must not be committed again. A range whose batches' offsets do not follow
 * one another (a damaged BaseOffset) is reported bad without a retry, and later ones still land.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TopicRuntime } from '../../../src/broker-api/broker.js';
import { Broker } from '../../../src/broker-api/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { BatchLayout, readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { CommitConflictError } from '../../../src/tables/iceberg/catalog.js';
import { IcebergTableWriter, OffsetConflictError } from '../../../src/tables/iceberg/committer.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import { commitNotApplied, type TableCommit } from '../../../src/tables/table-writer.js';
import { DelegatingTableWriter } from './delegating-table.js';
import { TopicMaterializer } from '../../../src/tables/topic-materializer.js';
import { rowSchema, tableSettings, type TopicTableSettings } from '../../../src/tables/topic-table-settings.js';
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

interface TopicTable {
  runtime: TopicRuntime;
  settings: TopicTableSettings;
  iceberg: IcebergTableWriter;
  pool: WriterPool;
}

/** A topic on a fresh broker, its Iceberg table over a local catalog and a writer pool, removed after `run`. */
async function withTopicTable(partitions: number, configs: Record<string, string>, poolSize: number, run: (t: TopicTable) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-topic-mat-'));
  const config = resolveConfig({ 'data-dir': dir }, {});
  const broker = await Broker.open(config);
  const pool = new WriterPool({ size: poolSize });
  try {
    const runtime = await broker.createTopic('events', partitions, { 'value.format': 'json', 'table.partition.by': 'none', ...configs });
    const settings = tableSettings(broker, runtime);
    const catalog = await LocalIcebergCatalog.open(config.warehouseDir);
    const iceberg = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: settings.partitionBy });
    await run({ runtime, settings, iceberg, pool });
  } finally {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The offsets in the table's files, per Kafka partition, sorted (a duplicate shows twice). */
async function offsetsByPartition(files: Iterable<string>): Promise<Map<number, bigint[]>> {
  const offsets = new Map<number, bigint[]>();
  for (const file of files) {
    for (const row of await readRows(file)) {
      const list = offsets.get(row._kafka_partition as number) ?? [];
      list.push(row._kafka_offset as bigint);
      offsets.set(row._kafka_partition as number, list);
    }
  }
  for (const list of offsets.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return offsets;
}

test('pipelined cycles: a slow commit overlaps the next cycle, a failed one is replanned; every record lands once', async () => {
  await withTopicTable(2, { 'table.commit.interval.ms': '50' }, 1, async ({ runtime, settings, iceberg, pool }) => {
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
    const offsets = await offsetsByPartition(files);
    for (const p of [0, 1]) {
      assert.deepEqual(offsets.get(p) ?? [], Array.from({ length: 300 }, (_, i) => BigInt(i)), `partition ${p}: every offset exactly once`);
    }
    const committed = await iceberg.committedOffsets();
    assert.deepEqual([committed.get(0), committed.get(1)], [299n, 299n]);
    const onDisk = readdirSync(iceberg.dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => path.join(iceberg.dataDir, f));
    assert.deepEqual(onDisk.sort(), [...files].sort(), 'the failed cycle left no orphan files');
  });
});

/** The real table, each commit slowed down, and the commits numbered in `failing` thrown. */
class SlowFlakyCommits extends DelegatingTableWriter {
  tried = 0;
  failed = 0;
  constructor(
    inner: IcebergTableWriter,
    private readonly failing: Set<number>,
  ) {
    super(inner);
  }
  override async commit(commit: TableCommit): Promise<void> {
    const n = ++this.tried;
    await sleep(30);
    if (this.failing.has(n)) {
      this.failed++;
      throw new Error(`injected failure of commit ${n}`);
    }
    await super.commit(commit);
  }
}

test('two cycles on the workers with slow and failing commits put every offset in the table exactly once', async () => {
  const PARTITIONS = 4;
  const BATCHES = 40;
  const RECORDS_PER_BATCH = 50;
  await withTopicTable(PARTITIONS, { 'table.commit.interval.ms': '20', 'table.commit.bytes': '65536' }, 2, async ({ runtime, settings, iceberg, pool }) => {
    const table = new SlowFlakyCommits(iceberg, new Set([2, 3, 6, 9, 10]));
    const materializer = new TopicMaterializer(runtime, table, settings, pool);
    await materializer.start();
    for (let b = 0; b < BATCHES; b++) {
      for (const log of runtime.logs) {
        const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: Buffer.from(JSON.stringify({ b, i, pad: 'x'.repeat(200) })), timestamp: 1_700_000_000_000n }));
        const batch = encodeRecordBatch({ records });
        await log.append(batch, readRecordBatchHeader(batch));
      }
      await sleep(15); // cycles run meanwhile
    }
    assert.equal(await materializer.flushed(60_000), true, 'the table caught up');
    await materializer.stop();
    assert.ok(table.failed >= 3, `commits failed while cycles overlapped (${table.failed} of ${table.tried})`);

    const offsets = await offsetsByPartition(await iceberg.referencedDataFiles());
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(offsets.get(p) ?? [], Array.from({ length: BATCHES * RECORDS_PER_BATCH }, (_, i) => BigInt(i)), `partition ${p}: every offset exactly once, none missing`);
    }
  });
});

test('only a refused commit counts as not applied: after any other failure the files may be referenced', () => {
  assert.equal(commitNotApplied(new CommitConflictError('swap refused')), true);
  assert.equal(commitNotApplied(new OffsetConflictError('offsets already committed')), true);
  assert.equal(commitNotApplied(new Error('EIO after the swap')), false);
  assert.equal(commitNotApplied(undefined), false);
});

/** The real table, where the commits numbered in `landing` are applied and then reported as failed. */
class CommitsThatLandAndThrow extends DelegatingTableWriter {
  tried = 0;
  constructor(
    inner: IcebergTableWriter,
    private readonly landing: Set<number>,
  ) {
    super(inner);
  }
  override async commit(commit: TableCommit): Promise<void> {
    const n = ++this.tried;
    await super.commit(commit);
    // An error after the swap (a lost reply from a catalog, a failed directory sync): the
    // outcome looks unknown to the materializer although the table holds the commit.
    if (this.landing.has(n)) throw new Error(`injected error after commit ${n} was applied`);
  }
}

test('a commit that landed but reported an error is not committed a second time', async () => {
  const PARTITIONS = 2;
  const BATCHES = 20;
  const RECORDS_PER_BATCH = 50;
  await withTopicTable(PARTITIONS, { 'table.commit.interval.ms': '20', 'table.commit.bytes': '65536' }, 2, async ({ runtime, settings, iceberg, pool }) => {
    const table = new CommitsThatLandAndThrow(iceberg, new Set([2, 5]));
    const materializer = new TopicMaterializer(runtime, table, settings, pool);
    await materializer.start();
    for (let b = 0; b < BATCHES; b++) {
      for (const log of runtime.logs) {
        const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: Buffer.from(JSON.stringify({ b, i, pad: 'x'.repeat(200) })), timestamp: 1_700_000_000_000n }));
        const batch = encodeRecordBatch({ records });
        await log.append(batch, readRecordBatchHeader(batch));
      }
      await sleep(30);
    }
    assert.equal(await materializer.flushed(60_000), true, 'the table caught up');
    await materializer.stop();
    assert.ok(table.tried >= 6, `commits tried: ${table.tried}`);

    const offsets = await offsetsByPartition(await iceberg.referencedDataFiles());
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(offsets.get(p) ?? [], Array.from({ length: BATCHES * RECORDS_PER_BATCH }, (_, i) => BigInt(i)), `partition ${p}: every offset exactly once`);
    }
    const committed = await iceberg.committedOffsets();
    assert.deepEqual([committed.get(0), committed.get(1)], [BigInt(BATCHES * RECORDS_PER_BATCH - 1), BigInt(BATCHES * RECORDS_PER_BATCH - 1)]);
  });
});

test('a segment whose BaseOffset was damaged: its range is reported bad without a retry, no row under a wrong offset, and the partition flows on', async () => {
  await withTopicTable(1, { 'table.commit.interval.ms': '20' }, 1, async ({ runtime, settings, iceberg, pool }) => {
    const log = runtime.logs[0];
    const batchPositions: number[] = [];
    let bytes = 0;
    let sent = 0;
    const append = async () => {
      const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(JSON.stringify({ n: sent + i })), timestamp: 1_700_000_000_000n }));
      sent += 10;
      const batch = encodeRecordBatch({ records });
      batchPositions.push(bytes);
      bytes += batch.length;
      await log.append(batch, readRecordBatchHeader(batch));
    };
    for (let b = 0; b < 3; b++) await append(); // offsets 0..29 in one segment
    const { segmentPath } = (await log.locate(0n, 1 << 20))!;
    // The second batch (offsets 10..19) now claims to start at 0: its CRC still matches.
    const fd = openSync(segmentPath, 'r+');
    const zero = Buffer.alloc(8);
    writeSync(fd, zero, 0, 8, batchPositions[1] + BatchLayout.BASE_OFFSET);
    closeSync(fd);

    const tried: bigint[] = [];
    const run = pool.run.bind(pool);
    pool.run = (task) => {
      tried.push(task.fromOffset);
      return run(task);
    };
    const materializer = new TopicMaterializer(runtime, iceberg, settings, pool);
    await materializer.start();
    assert.equal(await materializer.flushed(20_000), true, 'the damaged range does not hold the partition back');

    const bad = materializer.badRecords.latest();
    assert.deepEqual(bad.map((r) => r.offset), Array.from({ length: 30 }, (_, i) => BigInt(i)), 'the whole range, each offset once');
    assert.match(bad[0].reason, new RegExp(`segment ${segmentPath}: the batch at byte ${batchPositions[1]} has BaseOffset 0, expected offset 10`));
    assert.deepEqual(await offsetsByPartition(await iceberg.referencedDataFiles()), new Map(), 'no row under a wrong offset');
    assert.equal((await iceberg.committedOffsets()).get(0), 29n);

    await append(); // offsets 30..39, intact
    assert.equal(await materializer.flushed(20_000), true);
    await materializer.stop();
    assert.deepEqual(tried, [0n, 30n], 'the damaged range is tried once: a TaskInputError would fail the same way again');
    const offsets = await offsetsByPartition(await iceberg.referencedDataFiles());
    assert.deepEqual(offsets.get(0), Array.from({ length: 10 }, (_, i) => BigInt(30 + i)));
  });
});
