/**
 * The validation pool with the real registry (events kept in memory) and real worker threads:
 * schemas are fetched by id on a worker's first sight of them, a payload that would make a
 * worker allocate without bound is refused unread, and a check that stalls refuses that
 * batch only; the pool keeps serving.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';
import { ValidationPool } from '../../../src/record-validation/validation-pool.js';
import { ArrayJournal } from '../schema-registry/helpers.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { parseSchemaRequest } from '../../../src/schema-registry/requests.js';

const framed = (id: number, payload: Buffer) => {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(id, 1);
  return Buffer.concat([prefix, payload]);
};
const batchOf = (values: Buffer[]) => encodeRecordBatch({ records: values.map((value) => ({ value })) });

const registry = await SchemaRegistry.open(new ArrayJournal());
const pool = new ValidationPool(registry, { timeoutMs: 3000, workerHeapMb: 64 });
after(() => pool.close());

const pointSchema = { type: 'record', name: 'Point', fields: [{ name: 'x', type: 'int' }] };
const pointType = avro.Type.forSchema(pointSchema as avro.Schema);
const { id: pointId } = await registry.register('points-value', parseSchemaRequest({ schema: JSON.stringify(pointSchema) }), false);
const blanks = { type: 'array', items: 'null' };
const { id: blanksId } = await registry.register('blanks-value', parseSchemaRequest({ schema: JSON.stringify(blanks) }), false);
const ints = { type: 'array', items: 'int' };
const { id: intsId } = await registry.register('ints-value', parseSchemaRequest({ schema: JSON.stringify(ints) }), false);

test('a worker fetches the schema on first sight, then judges every record', async () => {
  const good = framed(pointId, pointType.toBuffer({ x: 1 }));
  const outcome = await pool.check('points', batchOf([good, framed(pointId, Buffer.alloc(0)), good]));
  assert.equal(outcome.kind, 'checked');
  assert.deepEqual(outcome.kind === 'checked' && outcome.badRecords.map((b) => b.batchIndex), [1]);
});

test('a schema whose array items take no bytes is refused without decoding; the next batch is checked', async () => {
  // 9 bytes: an array block of 4e9 nulls (zigzag long), then the end-of-array 0. Decoding it
  // would allocate 4e9 values and can abort the whole process, not just the worker.
  const bomb = Buffer.concat([avro.Type.forSchema('long').toBuffer(4_000_000_000), Buffer.from([0])]);
  const outcome = await pool.check('blanks', batchOf([framed(blanksId, bomb)]));
  assert.equal(outcome.kind, 'checked');
  const bad = outcome.kind === 'checked' ? outcome.badRecords : [];
  assert.deepEqual(bad.map((b) => b.batchIndex), [0]);
  assert.match(bad[0]?.message ?? '', /items take no bytes/);
  const again = await pool.check('points', batchOf([framed(pointId, pointType.toBuffer({ x: 2 }))]));
  assert.deepEqual(again, { kind: 'checked', badRecords: [] });
});

test('a check that runs past the timeout is abandoned and reported', async () => {
  const impatient = new ValidationPool(registry, { timeoutMs: 50 });
  try {
    // Each value is an array of 1e6 one-byte ints: milliseconds each to decode, so 30 of
    // them take far longer than the 50 ms allowed.
    const million = 1_000_000;
    const slow = framed(intsId, Buffer.concat([avro.Type.forSchema('long').toBuffer(million), Buffer.alloc(million), Buffer.from([0])]));
    const outcome = await impatient.check('ints', batchOf(Array.from({ length: 30 }, () => slow)));
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.kind === 'failed' ? outcome.message : '', /did not finish within 50 ms/);
  } finally {
    await impatient.close();
  }
});
