/**
 * Table and dead-letter table names: fixed on first use, kept across restarts, and never
 * shared, whichever of `orders` (whose dead letters want `orders_dlq`) and a topic named
 * `orders_dlq` comes first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Topic } from '../../../src/broker-api/topic-registry.js';
import { TableNames } from '../../../src/tables/table-names.js';

const topic = (name: string, idByte: number): Topic => ({ name, id: Buffer.alloc(16, idByte), partitions: 1, configs: {}, createdAtMs: 0 });

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-table-names-'));
  try {
    await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the dead-letter table is <table>_dlq, kept across restarts', async () => {
  await withDir(async (dir) => {
    const orders = topic('Orders', 0xaa);
    assert.deepEqual(await new TableNames(dir).namesFor(orders), { table: 'orders', deadLetters: 'orders_dlq' });
    assert.deepEqual(await new TableNames(dir).namesFor(orders), { table: 'orders', deadLetters: 'orders_dlq' }, 'reopened');
  });
});

test('a topic named like another topic\'s dead-letter table: whichever comes second gets the id suffix', async () => {
  await withDir(async (dir) => {
    const names = new TableNames(dir);
    const orders = topic('orders', 0xaa);
    const ordersDlq = topic('orders_dlq', 0xbb);
    assert.equal((await names.namesFor(orders)).deadLetters, 'orders_dlq');
    assert.equal((await names.namesFor(ordersDlq)).table, 'orders_dlq_bbbbbbbb');
  });
  await withDir(async (dir) => {
    const names = new TableNames(dir);
    assert.equal((await names.namesFor(topic('orders_dlq', 0xbb))).table, 'orders_dlq');
    assert.equal((await names.namesFor(topic('orders', 0xaa))).deadLetters, 'orders_dlq_aaaaaaaa');
  });
});
