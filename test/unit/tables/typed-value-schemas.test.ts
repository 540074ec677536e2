/**
 * Avro schemas as table columns: the type mapping (the README's table), field ids by path that
 * survive new versions (added, reordered, promoted and retyped fields) and a round trip through
 * the Iceberg schema JSON (what a restart reads back), and named types from references.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avroRowSchema, canPromote, schemaText, typedRowSchema } from '../../../src/tables/typed-value-schemas.js';
import { fromIcebergSchema, toIcebergSchema } from '../../../src/tables/iceberg/schema.js';
import { avroColumns, avroValueSlots, type AvroSchemaText } from '../../../src/writer/avro-schema.js';
import { type Column, maxFieldId, type RowSchema, systemColumns } from '../../../src/writer/schema.js';
import type { ResolvedSchema } from '../../../src/schema-registry/types.js';

const text = (schema: unknown, references: unknown[] = []): AvroSchemaText => ({ schema: JSON.stringify(schema), references: references.map((r) => JSON.stringify(r)) });
const empty: RowSchema = { schemaId: 0, columns: systemColumns() };

function valueColumns(schema: RowSchema): Column[] {
  return schema.columns.filter((c) => !c.name.startsWith('_kafka_'));
}

function byName(schema: RowSchema, name: string): Column {
  const c = schema.columns.find((x) => x.name === name);
  assert.ok(c, `column ${name}`);
  return c;
}

test('every Avro type maps to its Iceberg type', () => {
  const schema = {
    type: 'record',
    name: 'All',
    fields: [
      { name: 'b', type: 'boolean' },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 's', type: 'string' },
      { name: 'raw', type: 'bytes' },
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
      { name: 'fx', type: { type: 'fixed', name: 'F4', size: 4 } },
      { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 } },
      { name: 'decf', type: { type: 'fixed', name: 'D8', size: 8, logicalType: 'decimal', precision: 18, scale: 0 } },
      { name: 'too_wide', type: { type: 'fixed', name: 'D2', size: 2, logicalType: 'decimal', precision: 9, scale: 0 } },
      { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
      { name: 'uf', type: { type: 'fixed', name: 'U16', size: 16, logicalType: 'uuid' } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'tu', type: { type: 'long', logicalType: 'time-micros' } },
      { name: 'tsm', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'tsu', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'ltsm', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'opt', type: ['null', 'string'], default: null },
      { name: 'either', type: ['null', 'int', 'string'], default: null },
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'counts', type: { type: 'map', values: 'long' } },
    ],
  };
  const schemaOut = avroRowSchema(text(schema), empty, 0);
  const types = Object.fromEntries(valueColumns(schemaOut).map((c) => [c.name, c.type.kind === 'primitive' ? c.type.type : c.type.kind]));
  assert.deepEqual(types, {
    b: 'boolean', i: 'int', l: 'long', f: 'float', d: 'double', s: 'string', raw: 'binary', e: 'string', fx: 'fixed[4]',
    dec: 'decimal(12, 3)', decf: 'decimal(18, 0)', too_wide: 'fixed[2]', u: 'uuid', uf: 'uuid', day: 'date', tm: 'time', tu: 'time',
    tsm: 'timestamptz', tsu: 'timestamptz', ltsm: 'timestamp', opt: 'string', either: 'struct', tags: 'list', counts: 'map',
  });
  assert.ok(valueColumns(schemaOut).every((c) => !c.required), 'value columns are optional');
  const either = byName(schemaOut, 'either').type;
  assert.deepEqual(either.kind === 'struct' && either.fields.map((f) => [f.name, f.type]), [['member0', { kind: 'primitive', type: 'int' }], ['member1', { kind: 'primitive', type: 'string' }]]);
  const tags = byName(schemaOut, 'tags').type;
  assert.equal(tags.kind === 'list' && tags.elementRequired, false, 'a nullable item makes an optional element');
  const counts = byName(schemaOut, 'counts').type;
  assert.ok(counts.kind === 'map' && counts.valueRequired && counts.key.kind === 'primitive' && counts.key.type === 'string');
  // The Iceberg schema JSON spells the new types as Iceberg does.
  const iceberg = toIcebergSchema(schemaOut);
  const json = Object.fromEntries(iceberg.fields.map((f) => [f.name, f.type]));
  assert.equal(json.dec, 'decimal(12, 3)');
  assert.deepEqual(json.counts, { type: 'map', 'key-id': (counts as { keyId: number }).keyId, key: 'string', 'value-id': (counts as { valueId: number }).valueId, value: 'long', 'value-required': true });
});

test('a non-record value is one column named value; recursive types, system names and empty types are refused', () => {
  const slots = avroValueSlots(text({ type: 'array', items: 'int' }));
  assert.equal(slots.rootRecord, false);
  const columns = avroColumns(slots.slots, (() => { let n = 9; return () => n++; })());
  assert.deepEqual(columns.map((c) => [c.name, c.id, c.type.kind]), [['value', 9, 'list']]);
  assert.throws(() => avroValueSlots(text({ type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] })), /recursive/);
  assert.throws(() => avroValueSlots(text({ type: 'record', name: 'R', fields: [{ name: '_kafka_offset', type: 'long' }] })), /system columns/);
  // Parquet has no empty groups; zero-byte items would also let a tiny value claim a huge array.
  assert.throws(() => avroValueSlots(text({ type: 'record', name: 'R', fields: [{ name: 'e', type: { type: 'record', name: 'E', fields: [] } }] })), /no fields/);
  assert.throws(() => avroValueSlots(text({ type: 'record', name: 'R', fields: [{ name: 'n', type: { type: 'array', items: 'null' } }] })), /null type/);
});

test('field ids stay with their paths across versions, promotions keep them, new and retyped fields get new ones', () => {
  const v1 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'name', type: 'string' }, { name: 'score', type: 'float' }] } },
      { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }] } } },
      { name: 'code', type: 'string' },
    ],
  };
  const s1 = avroRowSchema(text(v1), empty, 0);
  assert.equal(s1.schemaId, 1, 'the value columns are new against a table of system columns only');
  const ids1 = new Map(valueColumns(s1).map((c) => [c.name, c.id]));
  assert.deepEqual([...ids1.values()], [9, 10, 13, 16], 'parent first: customer 10, its fields 11 and 12; items 13, element 14, sku 15');

  // Reordered, id int -> long, score float -> double, a field added inside the array's record,
  // code changed to an int (not a promotion), and a new top-level field.
  const v2 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'code', type: 'int', default: 0 },
      { name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: ['null', 'int'], default: null }] } } },
      { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'score', type: 'double' }, { name: 'name', type: 'string' }] } },
      { name: 'id', type: 'long' },
      { name: 'channel', type: ['null', 'string'], default: null },
    ],
  };
  const last1 = maxFieldId(s1.columns);
  // What a restart sees: the schema read back from the table's Iceberg JSON.
  const stored = fromIcebergSchema(JSON.parse(JSON.stringify(toIcebergSchema(s1))));
  const same = avroRowSchema(text(v1), stored, last1);
  assert.equal(same.schemaId, stored.schemaId, 'the same Avro schema over its own table schema changes nothing');
  const s2 = avroRowSchema(text(v2), stored, last1);
  assert.equal(s2.schemaId, s1.schemaId + 1);
  assert.equal(byName(s2, 'id').id, byName(s1, 'id').id, 'int -> long keeps the id');
  assert.equal(byName(s2, 'customer').id, byName(s1, 'customer').id);
  const fields = (c: Column) => (c.type as { fields: Column[] }).fields;
  const score1 = fields(byName(s1, 'customer')).find((f) => f.name === 'score')!;
  const score2 = fields(byName(s2, 'customer')).find((f) => f.name === 'score')!;
  assert.equal(score2.id, score1.id, 'float -> double keeps the id');
  assert.deepEqual(score2.type, { kind: 'primitive', type: 'double' });
  const items1 = byName(s1, 'items').type as { elementId: number; element: { fields: Column[] } };
  const items2 = byName(s2, 'items').type as { elementId: number; element: { fields: Column[] } };
  assert.equal(items2.elementId, items1.elementId);
  assert.equal(items2.element.fields[0].id, items1.element.fields[0].id, 'sku keeps its id');
  assert.ok(items2.element.fields[1].id > last1, 'qty is new');
  assert.ok(byName(s2, 'code').id > last1, 'string -> int is no promotion: a new column');
  assert.ok(byName(s2, 'channel').id > last1);
  const newIds = [items2.element.fields[1].id, byName(s2, 'code').id, byName(s2, 'channel').id];
  assert.equal(new Set(newIds).size, 3, 'new ids are distinct');
  // A field dropped (v3 has no channel) and added back (v4) comes back with a fresh id.
  const v3 = { ...v2, fields: v2.fields.filter((f) => f.name !== 'channel') };
  const s3 = avroRowSchema(text(v3), s2, maxFieldId(s2.columns));
  const s4 = avroRowSchema(text(v2), s3, maxFieldId(s2.columns));
  assert.ok(byName(s4, 'channel').id > byName(s2, 'channel').id, 'ids are never reused');
});

test('promotions Iceberg allows', () => {
  assert.ok(canPromote('int', 'long'));
  assert.ok(canPromote('float', 'double'));
  assert.ok(canPromote('decimal(9, 2)', 'decimal(12, 2)'));
  assert.ok(!canPromote('decimal(9, 2)', 'decimal(12, 3)'));
  assert.ok(!canPromote('long', 'int'));
  assert.ok(!canPromote('string', 'binary'));
});

test('named types from referenced schemas resolve in the referencing schema', () => {
  const money = { type: 'record', name: 'Money', namespace: 'acme.common', fields: [{ name: 'units', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } }, { name: 'currency', type: 'string' }] };
  const payment = { type: 'record', name: 'Payment', namespace: 'acme', fields: [{ name: 'amount', type: 'acme.common.Money' }, { name: 'fee', type: ['null', 'acme.common.Money'], default: null }] };
  const dep: ResolvedSchema = { schemaType: 'AVRO', schema: JSON.stringify(money), references: [], dependencies: new Map() };
  const resolved: ResolvedSchema = { schemaType: 'AVRO', schema: JSON.stringify(payment), references: [{ name: 'acme.common.Money', subject: 'money', version: 1 }], dependencies: new Map([['acme.common.Money', dep]]) };
  const text = schemaText(resolved);
  assert.deepEqual(text.references, [{ name: 'acme.common.Money', schema: JSON.stringify(money) }]);
  const schema = typedRowSchema('avro', text, empty, 0);
  for (const name of ['amount', 'fee']) {
    const t = byName(schema, name).type as { kind: string; fields: Column[] };
    assert.equal(t.kind, 'struct');
    assert.deepEqual(t.fields.map((f) => [f.name, (f.type as { type: string }).type]), [['units', 'decimal(9, 2)'], ['currency', 'string']]);
  }
});

test('a field, list element or map value that was optional stays optional when a newer writer schema drops the null', () => {
  const v1 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'tags', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'prices', type: { type: 'map', values: ['null', 'double'] } },
      { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'email', type: ['null', 'string'], default: null }] } },
    ],
  };
  const v2 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'prices', type: { type: 'map', values: 'double' } },
      { name: 'customer', type: { type: 'record', name: 'Customer', fields: [{ name: 'email', type: 'string', default: '' }] } },
    ],
  };
  const s1 = avroRowSchema(text(v1), empty, 0);
  const tags1 = byName(s1, 'tags').type as { elementRequired: boolean; elementId: number };
  assert.equal(tags1.elementRequired, false);
  const s2 = avroRowSchema(text(v2), s1, maxFieldId(s1.columns));
  const tags2 = byName(s2, 'tags').type as { elementRequired: boolean; elementId: number };
  assert.equal(tags2.elementId, tags1.elementId, 'the element keeps its id');
  assert.equal(tags2.elementRequired, false, 'and stays optional: older files hold nulls under it');
  const prices2 = byName(s2, 'prices').type as { valueRequired: boolean };
  assert.equal(prices2.valueRequired, false);
  const email2 = (byName(s2, 'customer').type as { fields: Column[] }).fields.find((f) => f.name === 'email')!;
  assert.equal(email2.required, false);
  // On a fresh table the same v2 makes them required.
  const fresh = avroRowSchema(text(v2), empty, 0);
  assert.equal((byName(fresh, 'tags').type as { elementRequired: boolean }).elementRequired, true);
});
