/**
 * Exactly once while commit cycles overlap and some commits fail: records keep arriving on
 * four partitions, two writer threads take up to two cycles at once, and the table's commits
 * are slowed (so later cycles plan while an earlier one commits) and some of them throw. Every
 * failure rewinds the planned cursors to the committed ones; a cycle planning meanwhile, or
 * planned before the failure, must neither skip a range nor plan one twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Broker } from '../../../src/broker-api/broker.js';
import { resolveConfig } from '../../../src/config.js';
import { readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { IcebergTableWriter } from '../../../src/tables/iceberg/committer.js';
import { LocalIcebergCatalog } from '../../../src/tables/iceberg/local-catalog.js';
import type { TableCommit } from '../../../src/tables/table-writer.js';
import { TopicMaterializer } from '../../../src/tables/topic-materializer.js';
import { rowSchema, tableSettings } from '../../../src/tables/topic-table-settings.js';
import { WriterPool } from '../../../src/writer/pool.js';
import { readRows } from '../writer/support.js';
import { DelegatingTableWriter } from './delegating-table.js';

const PARTITIONS = 4;
const BATCHES_PER_PARTITION = 40;
const RECORDS_PER_BATCH = 50;

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

test('overlapping cycles with failing commits put every offset in the table exactly once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-cycle-failures-'));
  const config = resolveConfig({ 'data-dir': dir }, {});
  const broker = await Broker.open(config);
  const pool = new WriterPool({ size: 2 });
  try {
    const runtime = await broker.createTopic('events', PARTITIONS, { 'value.format': 'json', 'table.commit.interval.ms': '20', 'table.commit.bytes': '65536', 'table.partition.by': 'none' });
    const settings = tableSettings(broker, runtime);
    const catalog = await LocalIcebergCatalog.open(config.warehouseDir);
    const main = await IcebergTableWriter.open({ catalog, namespace: ['kafka'], table: 'events', topic: 'events', schema: rowSchema(settings), partitionBy: 'none' });
    const table = new SlowFlakyCommits(main, new Set([2, 3, 6, 9, 10]));
    const m = new TopicMaterializer(runtime, table, settings, pool, undefined, undefined);
    await m.start();
    for (let b = 0; b < BATCHES_PER_PARTITION; b++) {
      for (const log of runtime.logs) {
        const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: Buffer.from(JSON.stringify({ b, i, pad: 'x'.repeat(200) })), timestamp: 1_700_000_000_000n }));
        const batch = encodeRecordBatch({ baseOffset: 0n, records });
        await log.append(batch, readRecordBatchHeader(batch));
      }
      await sleep(15); // cycles run meanwhile
    }
    assert.equal(await m.flushed(60_000), true, 'the table caught up');
    await m.stop();
    assert.ok(table.failed >= 3, `commits failed while cycles overlapped (${table.failed} of ${table.tried})`);

    const seen = Array.from({ length: PARTITIONS }, () => new Map<bigint, number>());
    for (const file of await main.referencedDataFiles()) {
      for (const row of await readRows(file)) {
        const offsets = seen[row._kafka_partition as number];
        const offset = row._kafka_offset as bigint;
        offsets.set(offset, (offsets.get(offset) ?? 0) + 1);
      }
    }
    const expected = BATCHES_PER_PARTITION * RECORDS_PER_BATCH;
    for (let p = 0; p < PARTITIONS; p++) {
      const twice = [...seen[p]].filter(([, n]) => n > 1).map(([o]) => o);
      assert.deepEqual(twice, [], `partition ${p}: offsets written twice`);
      const missing = Array.from({ length: expected }, (_, i) => BigInt(i)).filter((o) => !seen[p].has(o));
      assert.deepEqual(missing, [], `partition ${p}: offsets missing`);
      assert.equal(seen[p].size, expected);
    }
  } finally {
    await pool.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
