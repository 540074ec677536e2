/**
 * Exactly once across the main and dead-letter tables with real parts (broker logs, writer
 * pool, Iceberg tables over a local catalog): the dead letters commit first, so a main commit
 * that fails after them (retried in the same process, or never retried because the process
 * is gone and a new materializer starts) must not write those dead letters a second time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Broker } from '../../../src/broker-api/broker.js';
import type { TopicRuntime } from '../../../src/broker-api/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { icebergDeadLetterTables } from '../../../src/tables/iceberg/dead-letter-tables.js';
import { IcebergTableWriter } from '../../../src/tables/iceberg/committer.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import type { TableCommit, TableFormatWriter } from '../../../src/tables/table-writer.js';
import { DelegatingTableWriter } from './delegating-table.js';
import { TopicMaterializer, type DeadLetterSetup } from '../../../src/tables/topic-materializer.js';
import { rowSchema, tableSettings } from '../../../src/tables/topic-table-settings.js';
import { WriterPool } from '../../../src/writer/pool.js';
import { readRows } from '../writer/support.js';

/** The real main table, whose first `failures` commits throw (after the dead letters committed). */
class FailingCommits extends DelegatingTableWriter {
  tried = 0;
  constructor(
    inner: IcebergTableWriter,
    private readonly failures: number,
  ) {
    super(inner);
  }
  override async commit(commit: TableCommit): Promise<void> {
    if (++this.tried <= this.failures) throw new Error('injected main commit failure');
    await super.commit(commit);
  }
}

const BAD = new Set([3, 7, 15, 16]);
const COUNT = 20;

async function offsetsIn(files: Iterable<string>): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const f of files) for (const r of await readRows(f)) out.push(r._kafka_offset as bigint);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function withTopic(run: (ctx: { runtime: TopicRuntime; pool: WriterPool; catalog: LocalIcebergCatalog; broker: Broker }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-dlq-commits-'));
  const config = resolveConfig({ 'data-dir': dir }, {});
  const broker = await Broker.open(config);
  const pool = new WriterPool({ size: 1 });
  try {
    const runtime = await broker.createTopic('events', 1, { 'value.format': 'json', 'table.commit.interval.ms': '50', 'table.partition.by': 'none' });
    const records = Array.from({ length: COUNT }, (_, i) => ({ value: Buffer.from(BAD.has(i) ? `not json ${i}` : JSON.stringify({ n: i })), timestamp: 1_700_000_000_000n }));
    const batch = encodeRecordBatch({ records });
    await runtime.logs[0].append(batch, readRecordBatchHeader(batch));
    await run({ runtime, pool, catalog: await LocalIcebergCatalog.open(config.warehouseDir), broker });
  } finally {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function assertExactlyOnce(main: IcebergTableWriter, setup: DeadLetterSetup): Promise<void> {
  const dlq = await setup.tables.existing(setup.ref);
  assert.ok(dlq, 'the dead-letter table exists');
  const good = Array.from({ length: COUNT }, (_, i) => i).filter((i) => !BAD.has(i)).map(BigInt);
  assert.deepEqual(await offsetsIn(await main.referencedDataFiles()), good, 'main table: every good offset once');
  assert.deepEqual(await offsetsIn(await dlq.referencedDataFiles()), [...BAD].map(BigInt), 'dead-letter table: every bad offset once');
  assert.equal(await dlq.committedRowCount?.(), BigInt(BAD.size));
  const files = readdirSync(dlq.dataDir).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dlq.dataDir, f));
  assert.deepEqual(files.sort(), [...(await dlq.referencedDataFiles())].sort(), 'no orphan dead-letter files');
}

function deadLetterSetup(catalog: LocalIcebergCatalog, runtime: TopicRuntime): DeadLetterSetup {
  return { tables: icebergDeadLetterTables(catalog), ref: { namespace: ['kafka'], name: 'events_dlq', topic: runtime } };
}

test('a main commit failing after the dead letters committed is retried without writing them again', async () => {
  await withTopic(async ({ runtime, pool, catalog, broker }) => {
    const settings = tableSettings(broker, runtime);
    const main = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: 'none' });
    const table = new FailingCommits(main, 1);
    const setup = deadLetterSetup(catalog, runtime);
    const m = new TopicMaterializer(runtime, table, settings, pool, undefined, setup);
    await m.start();
    assert.equal(await m.flushed(15_000), true);
    await m.stop();
    assert.equal(table.tried, 2, 'the failed commit was retried once');
    assert.equal(m.deadLetterCount, BigInt(BAD.size));
    assert.equal(m.badRecords.count, BAD.size, 'reported once, by the commit that succeeded');
    await assertExactlyOnce(main, setup);
  });
});

test('a process gone between the two commits: the next start resumes both tables without duplicates', async () => {
  await withTopic(async ({ runtime, pool, catalog, broker }) => {
    const settings = tableSettings(broker, runtime);
    const main = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: 'none' });
    const setup = deadLetterSetup(catalog, runtime);
    const first = new TopicMaterializer(runtime, new FailingCommits(main, Infinity), settings, pool, undefined, setup);
    await first.start();
    const deadline = Date.now() + 15_000;
    while (first.deadLetterCount === 0n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.stop();
    assert.equal(first.deadLetterCount, BigInt(BAD.size), 'the dead letters committed');
    assert.equal((await main.committedOffsets()).size, 0, 'the main table did not');

    const second = new TopicMaterializer(runtime, main, settings, pool, undefined, setup);
    await second.start();
    assert.equal(second.deadLetterCount, BigInt(BAD.size), 'the count is read back from the dead-letter table');
    assert.equal(await second.flushed(15_000), true);
    await second.stop();
    await assertExactlyOnce(main, setup);
  });
});

/** The real dead-letter table, whose first commit is applied and then reported as failed. */
class DeadLetterCommitThatLandsAndThrows extends DelegatingTableWriter {
  tried = 0;
  override async commit(commit: TableCommit): Promise<void> {
    await super.commit(commit);
    if (++this.tried === 1) throw new Error('injected error after the dead-letter commit was applied');
  }
}

test('a dead-letter commit that landed but reported an error writes no dead letter twice', async () => {
  await withTopic(async ({ runtime, pool, catalog, broker }) => {
    const settings = tableSettings(broker, runtime);
    const main = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: 'none' });
    const setup = deadLetterSetup(catalog, runtime);
    let wrapped: DeadLetterCommitThatLandsAndThrows | null = null;
    const wrap = (t: TableFormatWriter) => (wrapped ??= new DeadLetterCommitThatLandsAndThrows(t as IcebergTableWriter));
    const flaky: DeadLetterSetup = {
      ref: setup.ref,
      tables: {
        dataDir: (ref) => setup.tables.dataDir(ref),
        existing: async (ref) => {
          const t = await setup.tables.existing(ref);
          return t && wrap(t);
        },
        create: async (ref) => wrap(await setup.tables.create(ref)),
      },
    };
    const m = new TopicMaterializer(runtime, main, settings, pool, undefined, flaky);
    await m.start();
    assert.equal(await m.flushed(15_000), true);
    await m.stop();
    assert.ok(wrapped !== null && (wrapped as DeadLetterCommitThatLandsAndThrows).tried >= 1, 'the dead-letter commit ran');
    assert.equal(m.deadLetterCount, BigInt(BAD.size), 'the count is read back after the failure');
    await assertExactlyOnce(main, setup);
  });
});

test('a retried range shorter than the dead letters already committed does not move the dead-letter offsets back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-dlq-shorter-'));
  const config = resolveConfig({ 'data-dir': dir }, {});
  const broker = await Broker.open(config);
  const pool = new WriterPool({ size: 1 });
  try {
    // A tiny cycle budget, split between the partitions that have records waiting, cut at any
    // batch (an index entry per batch): the first cycle (partition 0 alone) takes more of
    // partition 0 than the retry does once partition 1 has records too.
    const runtime = await broker.createTopic('events', 2, { 'value.format': 'json', 'table.commit.interval.ms': '50', 'table.commit.bytes': '4096', 'index.interval.bytes': '1', 'table.partition.by': 'none' });
    const BATCHES = 6;
    const PER_BATCH = 10;
    const appendBatches = async (partition: number) => {
      for (let b = 0; b < BATCHES; b++) {
        // The 4th record of every batch is not JSON.
        const records = Array.from({ length: PER_BATCH }, (_, i) => ({ value: Buffer.from(i === 3 ? `not json ${b}` : JSON.stringify({ b, i, pad: 'x'.repeat(60) })), timestamp: 1_700_000_000_000n }));
        const batch = encodeRecordBatch({ records });
        await runtime.logs[partition].append(batch, readRecordBatchHeader(batch));
      }
    };
    const catalog = await LocalIcebergCatalog.open(config.warehouseDir);
    const settings = tableSettings(broker, runtime);
    const main = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: 'none' });
    const setup = deadLetterSetup(catalog, runtime);
    const m = new TopicMaterializer(runtime, new FailingCommits(main, 1), settings, pool, undefined, setup);
    await appendBatches(0);
    await m.start();
    const deadline = Date.now() + 15_000;
    while (m.deadLetterCount === 0n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const firstDeadLetters = (await (await setup.tables.existing(setup.ref))!.committedOffsets()).get(0);
    await appendBatches(1); // during the failed main commit's backoff
    assert.equal(await m.flushed(20_000), true, 'the table caught up');
    await m.stop();
    assert.ok(firstDeadLetters !== undefined && firstDeadLetters < BigInt(BATCHES * PER_BATCH - 1), `the first cycle took part of partition 0 (through ${firstDeadLetters})`);

    const dlq = (await setup.tables.existing(setup.ref))!;
    const bad = (n: number) => Array.from({ length: n }, (_, b) => BigInt(b * PER_BATCH + 3));
    const good = Array.from({ length: BATCHES * PER_BATCH }, (_, o) => BigInt(o)).filter((o) => o % BigInt(PER_BATCH) !== 3n);
    const rows = async (files: Iterable<string>) => {
      const byPartition = new Map<number, bigint[]>();
      for (const f of files) for (const r of await readRows(f)) byPartition.set(r._kafka_partition as number, [...(byPartition.get(r._kafka_partition as number) ?? []), r._kafka_offset as bigint]);
      for (const list of byPartition.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return byPartition;
    };
    const mainRows = await rows(await main.referencedDataFiles());
    const deadRows = await rows(await dlq.referencedDataFiles());
    for (const p of [0, 1]) {
      assert.deepEqual(mainRows.get(p), good, `main table, partition ${p}: every good offset once`);
      assert.deepEqual(deadRows.get(p), bad(BATCHES), `dead-letter table, partition ${p}: every bad offset once`);
    }
  } finally {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
