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

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'lakegate-table-names-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the dead-letter table is <table>_dlq, kept across restarts', () => {
  withDir((dir) => {
    const orders = topic('Orders', 0xaa);
    assert.equal(new TableNames(dir).deadLetterNameFor(orders), 'orders_dlq');
    const reopened = new TableNames(dir);
    assert.equal(reopened.nameFor(orders), 'orders');
    assert.equal(reopened.deadLetterNameFor(orders), 'orders_dlq');
  });
});

test('a topic named like another topic\'s dead-letter table: whichever comes second gets the id suffix', () => {
  withDir((dir) => {
    const names = new TableNames(dir);
    const orders = topic('orders', 0xaa);
    const ordersDlq = topic('orders_dlq', 0xbb);
    assert.equal(names.deadLetterNameFor(orders), 'orders_dlq');
    assert.equal(names.nameFor(ordersDlq), 'orders_dlq_bbbbbbbb');
  });
  withDir((dir) => {
    const names = new TableNames(dir);
    assert.equal(names.nameFor(topic('orders_dlq', 0xbb)), 'orders_dlq');
    assert.equal(names.deadLetterNameFor(topic('orders', 0xaa)), 'orders_dlq_aaaaaaaa');
  });
});
