/**
 * Map keys that name Object.prototype members ("__proto__", "constructor", "toString") through
 * the writer task itself, for Protobuf and JSON Schema values (Avro's are in
 * materialize-avro.test.ts): real encoded bytes in a segment file, the Parquet file read back
 * with parquet-wasm into Arrow, map entries compared as [key, value] pairs. Assigning such a
 * key onto a plain object sets its prototype, so the entry would be lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { typedRowSchema } from '../../../src/tables/typed-value-schemas.js';
import { materialize } from '../../../src/writer/materialize.js';
import { systemColumns } from '../../../src/writer/schema.js';
import type { SchemaText } from '../../../src/writer/typed-format.js';
import type { TypedValueFormat } from '../../../src/writer/task.js';
import { readPlainRows } from '../../support/iceberg-table-reader.js';
import { task, tempDir, writeSegment } from './support.js';

const frame = (id: number, body: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, id]), body]);

/** An object whose keys are all own properties, "__proto__" included (no prototype to hit). */
function mapOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const map = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of entries) map[key] = value;
  return map;
}

/** The rows the writer task makes of the values, as plain values by column name. */
async function rowsOf(format: TypedValueFormat, text: SchemaText, bodies: Buffer[]): Promise<Array<Record<string, unknown>>> {
  const dir = tempDir();
  const schema = typedRowSchema(format, text, { schemaId: 0, columns: systemColumns() }, 0);
  const segment = writeSegment(dir, [{ baseOffset: 0n, records: bodies.map((body) => ({ value: frame(1, body), timestamp: 1_700_000_000_000n })) }]);
  const result = await materialize(task(segment, `${dir}/out`, { valueFormat: format, schema, typed: { readerSchemaId: 1, schemas: { 1: text } } }));
  assert.deepEqual(result.badRecords, []);
  return readPlainRows(result.files[0].path);
}

/** A map column's value as [key, value] pairs, in the file's order. */
const entries = (map: unknown) => Object.entries(map as object);

const BAG_PROTO = `syntax = "proto3";
package k;
import "google/protobuf/struct.proto";
message Bag {
  map<string, int64> counts = 1;
  map<string, Part> parts = 2;
  google.protobuf.Struct attrs = 3;
}
message Part {
  int32 n = 1;
}
`;

test('protobuf: map keys __proto__, constructor and toString land as ordinary entries', async () => {
  const root = new protobuf.Root();
  root.addJSON(protobuf.common.get('google/protobuf/struct.proto')!.nested!);
  protobuf.parse(BAG_PROTO, root, { keepCase: true });
  root.resolveAll();
  const bag = root.lookupType('k.Bag');
  const payload = Buffer.from(
    bag
      .encode(
        bag.fromObject({
          counts: mapOf([['__proto__', '5'], ['constructor', '6'], ['toString', '7']]),
          parts: mapOf([['__proto__', { n: 1 }], ['x', { n: 2 }]]),
          attrs: { fields: mapOf([['__proto__', { stringValue: 'p' }]]) },
        }),
      )
      .finish(),
  );
  // Real bytes: field 1's first entry is key "__proto__" then value 5.
  assert.ok(payload.subarray(0, 15).equals(Buffer.from([0x0a, 0x0d, 0x0a, 0x09, ...Buffer.from('__proto__'), 0x10, 0x05])));
  const text: SchemaText = { schemaType: 'PROTOBUF', schema: BAG_PROTO, references: [] };
  const body = Buffer.concat([Buffer.from([0]), payload]); // message indexes [0]
  const [row] = await rowsOf('protobuf', text, [body]);
  assert.deepEqual(entries(row.counts), [['__proto__', 5n], ['constructor', 6n], ['toString', 7n]]);
  assert.deepEqual(entries(row.parts), [['__proto__', { n: 1 }], ['x', { n: 2 }]]);
  assert.equal(row.attrs, '{"__proto__":"p"}', 'a Struct key too');
});

test('json schema: object keys __proto__, constructor and toString land as ordinary map entries', async () => {
  const schema = {
    type: 'object',
    properties: {
      counts: { type: 'object', additionalProperties: { type: 'integer' } },
      parts: { type: 'object', additionalProperties: { type: 'object', properties: { n: { type: 'integer' } } } },
    },
  };
  const text: SchemaText = { schemaType: 'JSON', schema: JSON.stringify(schema), references: [] };
  const body = Buffer.from('{"counts":{"__proto__":1,"constructor":2,"toString":3},"parts":{"__proto__":{"n":4},"x":{"n":5}}}');
  const [row] = await rowsOf('jsonschema', text, [body]);
  assert.deepEqual(entries(row.counts), [['__proto__', 1n], ['constructor', 2n], ['toString', 3n]]);
  assert.deepEqual(entries(row.parts), [['__proto__', { n: 4n }], ['x', { n: 5n }]]);
});
