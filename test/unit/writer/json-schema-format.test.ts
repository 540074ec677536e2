/**
 * JSON Schema as a TypedFormat: the Avro image of a schema (mapping, names, $refs, refusals)
 * and the body reader on real JSON byte vectors (exact integers and timestamps, nullable
 * forms, free-form JSON text, evolution, strict refusals), with the decoded values checked
 * against the real column machinery (avroValueSlots, avroColumns, checkSlot, column writers)
 * and against avsc's own idea of the image's values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { avroParseOptions } from '../../../src/schema-registry/avro-long.js';
import { checkSlot, columnWriter, pushSlot } from '../../../src/writer/avro-columns.js';
import { AvroMappingError, avroColumns, avroValueSlots, type AvroSchemaText } from '../../../src/writer/avro-schema.js';
import { jsonSchemaFormat } from '../../../src/writer/json-schema-format.js';
import { BodyProblem, type SchemaText } from '../../../src/writer/typed-format.js';

const json = (schema: unknown, references: Array<{ name: string; schema: unknown }> = []): SchemaText => ({
  schemaType: 'JSON',
  schema: JSON.stringify(schema),
  references: references.map((r) => ({ name: r.name, schema: JSON.stringify(r.schema) })),
});
const bytes = (text: string) => Buffer.from(text, 'utf8');
const readerOf = (schema: unknown, references: Array<{ name: string; schema: unknown }> = []) => jsonSchemaFormat.bodyReader(1, { 1: json(schema, references) });
const imageOf = (schema: unknown, references: Array<{ name: string; schema: unknown }> = []) => JSON.parse(jsonSchemaFormat.avroImage(json(schema, references)).schema);

/** The reason of a BodyProblem, failing when the value decoded. */
function problem(v: unknown): string {
  assert.ok(v instanceof BodyProblem, `expected a BodyProblem, got ${String(v)}`);
  return v.reason;
}


/** The decoded value goes through checkSlot and the column writers, and avsc calls it valid. */
function assertFitsColumns(image: AvroSchemaText, decoded: unknown): void {
  const { slots, rootRecord } = avroValueSlots(image);
  assert.equal(rootRecord, true);
  let next = 100;
  const columns = avroColumns(slots, () => next++);
  const record = decoded as Record<string, unknown>;
  slots.forEach((slot, i) => {
    assert.equal(checkSlot(slot, columns[i].type, record[slot.name], slot.name), undefined, slot.name);
    const writer = columnWriter(slot.node, columns[i].type, columns[i].id);
    pushSlot(writer, slot, record[slot.name]);
    writer.release();
  });
  // The table writer's avsc options: longs (timestamp-micros too) as bigint.
  const type = avro.Type.forSchema(JSON.parse(image.schema) as avro.Schema, { ...avroParseOptions(), wrapUnions: true });
  const errors: string[] = [];
  assert.ok(type.isValid(decoded, { errorHook: (path) => errors.push(path.join('.')) }), `avsc refuses ${errors.join(', ')}`);
}

const order = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Order',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    total: { type: 'number' },
    paid: { type: 'boolean' },
    note: { type: ['string', 'null'] },
    placedAt: { type: 'string', format: 'date-time' },
    shipOn: { type: 'string', format: 'date' },
    ref: { type: 'string', format: 'uuid' },
    customer: { type: 'object', properties: { name: { type: 'string' }, 'zip-code': { type: 'string' } }, required: ['name'] },
    lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } } } },
    attrs: { type: 'object', additionalProperties: { type: 'integer' } },
    coupon: { oneOf: [{ type: 'string' }, { type: 'null' }] },
    extra: { type: 'object' },
    status: { enum: ['new', 'shipped'] },
    scores: { type: 'array', items: { type: ['number', 'null'] } },
  },
  required: ['id'],
};

const orderDoc = `{
  "id": 9007199254740993, "total": 12.5, "paid": true, "note": null,
  "placedAt": "2024-03-01T13:30:00.123456+01:30", "shipOn": "2024-02-29",
  "ref": "00000000-0000-4000-8000-000000000001",
  "customer": {"name": "Ada", "zip-code": "10115"},
  "lines": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": null}],
  "attrs": {"x": 1, "__proto__": -2},
  "coupon": "SPRING",
  "extra": {"b": [1, 2.50, 12345678901234567890], "a": null, "1": {}},
  "status": "new",
  "scores": [1.5, null, -0],
  "ignored": {"not": "in the schema"}
}`;

test('avroImage: properties in document order, all nullable; records, arrays, maps, logical types, JSON text', () => {
  const nullable = (t: unknown) => ['null', t];
  const field = (name: string, t: unknown) => ({ name, type: nullable(t), default: null });
  assert.deepEqual(imageOf(order), {
    type: 'record',
    name: 'value',
    fields: [
      field('id', 'long'),
      field('total', 'double'),
      field('paid', 'boolean'),
      field('note', 'string'),
      field('placedAt', { type: 'long', logicalType: 'timestamp-micros' }),
      field('shipOn', { type: 'int', logicalType: 'date' }),
      field('ref', 'string'),
      field('customer', { type: 'record', name: 'value_customer', fields: [field('name', 'string'), field('zip_code', 'string')] }),
      field('lines', { type: 'array', items: { type: 'record', name: 'value_lines_element', fields: [field('sku', 'string'), field('qty', 'long')] } }),
      field('attrs', { type: 'map', values: 'long' }),
      field('coupon', 'string'),
      field('extra', 'string'),
      field('status', 'string'),
      field('scores', { type: 'array', items: nullable('double') }),
    ],
  });
  const text = json(order);
  assert.equal(jsonSchemaFormat.avroImage(text).schema, jsonSchemaFormat.avroImage(text).schema, 'deterministic');
  assert.deepEqual(jsonSchemaFormat.avroImage(text).references, []);
});

test('avroImage: property names become Avro names, in document order even for index-like names', () => {
  const text: SchemaText = { schemaType: 'JSON', schema: '{"type":"object","properties":{"b":{"type":"string"},"10":{"type":"integer"},"a b":{"type":"boolean"},"__proto__":{"type":"number"}}}', references: [] };
  const image = JSON.parse(jsonSchemaFormat.avroImage(text).schema);
  assert.deepEqual(image.fields.map((f: { name: string }) => f.name), ['b', '_10', 'a_b', '__proto__']);
  const decoded = jsonSchemaFormat.bodyReader(1, { 1: text }).read(1, bytes('{"10": 7, "__proto__": 0.5, "a b": false}'));
  assert.deepEqual(Object.entries(decoded as object), [['b', null], ['_10', { long: 7n }], ['a_b', { boolean: false }], ['__proto__', { double: 0.5 }]]);
  assertFitsColumns(jsonSchemaFormat.avroImage(text), decoded);
});

test('avroImage: free-form JSON text for unions, allOf, const, tuples, mixed enums, several types and no type', () => {
  const image = imageOf({
    type: 'object',
    properties: {
      either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      both: { allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { required: ['a'] }] },
      only: { allOf: [{ type: 'integer' }] },
      fixed: { const: 'x' },
      tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
      prefix: { type: 'array', prefixItems: [{ type: 'string' }] },
      anyItems: { type: 'array' },
      mixed: { enum: ['a', 1] },
      several: { type: ['string', 'integer'] },
      anything: {},
      open: { type: 'object', additionalProperties: true },
      nothing: false,
      nullOnly: { type: 'null' },
    },
  });
  assert.deepEqual(
    image.fields.map((f: { name: string; type: unknown[] }) => [f.name, f.type[1]]),
    [
      ['either', 'string'],
      ['both', 'string'],
      ['only', 'long'],
      ['fixed', 'string'],
      ['tuple', 'string'],
      ['prefix', 'string'],
      ['anyItems', 'string'],
      ['mixed', 'string'],
      ['several', 'string'],
      ['anything', 'string'],
      ['open', 'string'],
      ['nullOnly', 'string'],
    ],
  );
});

test('avroImage: $ref into definitions/$defs and into references (refs inside a reference resolve there)', () => {
  const address = {
    type: 'object',
    properties: { city: { type: 'string' }, geo: { $ref: '#/definitions/geo' } },
    definitions: { geo: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } } } },
  };
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      home: { $ref: 'address.json' },
      work: { oneOf: [{ type: 'null' }, { $ref: 'address.json' }] },
      when: { $ref: '#/$defs/when' },
    },
    $defs: { when: { type: 'string', format: 'date-time' } },
  };
  const image = imageOf(schema, [{ name: 'address.json', schema: address }]);
  assert.deepEqual(image.fields[0].type[1].fields[1].type[1].fields.map((f: { name: string }) => f.name), ['lat', 'lon']);
  assert.equal(image.fields[1].type[1].name, 'value_work', 'each use is its own record');
  assert.deepEqual(image.fields[2].type[1], { type: 'long', logicalType: 'timestamp-micros' });

  const reader = readerOf(schema, [{ name: 'address.json', schema: address }]);
  const decoded = reader.read(1, bytes('{"home":{"city":"Oslo","geo":{"lat":59.9,"lon":10.7}},"work":null,"when":"1970-01-01T00:00:01Z"}'));
  assert.deepEqual(decoded, {
    home: { value_home: { city: { string: 'Oslo' }, geo: { value_home_geo: { lat: { double: 59.9 }, lon: { double: 10.7 } } } } },
    work: null,
    when: { long: 1_000_000n },
  });
  assertFitsColumns(jsonSchemaFormat.avroImage(json(schema, [{ name: 'address.json', schema: address }])), decoded);
});

test('avroImage: $ref to anchors, in the schema and in a reference, becomes the same columns as a pointer would', () => {
  const address = { type: 'object', properties: { city: { type: 'string' }, zip: { $ref: '#zip' } }, definitions: { zip: { $id: '#zip', type: 'integer' } } };
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { home: { $ref: 'address.json' }, when: { $ref: '#when' } },
    $defs: { when: { $anchor: 'when', type: 'string', format: 'date-time' } },
  };
  const references = [{ name: 'address.json', schema: address }];
  const image = imageOf(schema, references);
  assert.deepEqual(image.fields[0].type[1].fields.map((f: { name: string; type: unknown }) => [f.name, f.type]), [['city', ['null', 'string']], ['zip', ['null', 'long']]]);
  assert.deepEqual(image.fields[1].type[1], { type: 'long', logicalType: 'timestamp-micros' });
  const decoded = readerOf(schema, references).read(1, bytes('{"home":{"city":"Oslo","zip":150},"when":"1970-01-01T00:00:01Z"}'));
  assert.deepEqual(decoded, { home: { value_home: { city: { string: 'Oslo' }, zip: { long: 150n } } }, when: { long: 1_000_000n } });
  assertFitsColumns(jsonSchemaFormat.avroImage(json(schema, references)), decoded);
  // ajv's resolution: the document's own anchor, not one inside an embedded resource.
  const scoped = { type: 'object', properties: { x: { $ref: '#foo' } }, $defs: { e: { $id: 'http://example.com/e.json', $defs: { i: { $anchor: 'foo', type: 'integer' } } }, a: { $anchor: 'foo', type: 'string' } } };
  assert.deepEqual(imageOf(scoped, []).fields[0].type, ['null', 'string']);
  assert.throws(
    () => jsonSchemaFormat.avroImage(json({ type: 'object', properties: { a: { $ref: '#nowhere' } } }, [])),
    (err: unknown) => err instanceof AvroMappingError && /a: \$ref #nowhere names no anchor of its document/.test(err.message),
  );
});

test('avroImage: refusals are AvroMappingErrors naming the place', () => {
  const refuses = (schema: unknown, message: RegExp, references: Array<{ name: string; schema: unknown }> = []) =>
    assert.throws(() => jsonSchemaFormat.avroImage(json(schema, references)), (err: unknown) => err instanceof AvroMappingError && message.test(err.message));
  const node = { type: 'object', properties: { label: { type: 'string' }, next: { $ref: '#/$defs/node' } } };
  refuses({ type: 'object', properties: { head: { $ref: '#/$defs/node' } }, $defs: { node } }, /head\.next: recursive \$ref #\/\$defs\/node/);
  const listed = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } };
  refuses(listed, /children\.element: recursive \$ref #/);
  const nullableNext = { type: 'object', properties: { next: { oneOf: [{ type: 'null' }, { $ref: '#/definitions/n' }] } }, definitions: { n: { type: 'object', properties: { next: { $ref: '#/properties/next' } } } } };
  refuses(nullableNext, /next\.next: recursive/);
  // Each definition uses the next one twice: 2^20 records if expanded, refused long before.
  const defs: Record<string, unknown> = { d20: { type: 'string' } };
  for (let i = 0; i < 20; i++) defs[`d${i}`] = { type: 'object', properties: { l: { $ref: `#/$defs/d${i + 1}` }, r: { $ref: `#/$defs/d${i + 1}` } } };
  refuses({ type: 'object', properties: { top: { $ref: '#/$defs/d0' } }, $defs: defs }, /expands to more than 10000/);
  refuses({ type: 'array', items: { type: 'string' } }, /root of a JSON schema must be/);
  refuses({ type: 'object', properties: {} }, /root of a JSON schema must be/);
  refuses({ type: 'object', properties: { a: { $ref: 'missing.json' } } }, /a: \$ref missing.json names no schema reference/);
  refuses({ type: 'object', properties: { a: { $ref: '#/%E0' } } }, /a: \$ref #\/%E0 is not a valid JSON pointer/);
  refuses({ type: 'object', properties: { a: { $ref: '#/nowhere' } } }, /a: \$ref #\/nowhere does not point at a schema/);
  refuses({ type: 'object', properties: { 'a-b': { type: 'string' }, a_b: { type: 'string' } } }, /"a-b" and "a_b" both become the field a_b/);
  refuses({ type: 'object', properties: { _kafka_offset: { type: 'string' } } }, /system columns/);
});

test('bodyReader: a full document decodes exactly into the image shape and fits the columns', () => {
  const decoded = readerOf(order).read(1, bytes(orderDoc));
  const attrs: Record<string, unknown> = { x: 1n };
  Object.defineProperty(attrs, '__proto__', { value: -2n, enumerable: true, writable: true, configurable: true });
  assert.deepEqual(decoded, {
    id: { long: 9007199254740993n },
    total: { double: 12.5 },
    paid: { boolean: true },
    note: null,
    placedAt: { long: 1_709_294_400_123_456n },
    shipOn: { int: 19782 },
    ref: { string: '00000000-0000-4000-8000-000000000001' },
    customer: { value_customer: { name: { string: 'Ada' }, zip_code: { string: '10115' } } },
    // Items and map values are null only where their schema allows it, so these are not wrapped.
    lines: {
      array: [
        { sku: { string: 'a' }, qty: { long: 2n } },
        { sku: { string: 'b' }, qty: null },
      ],
    },
    attrs: { map: attrs },
    coupon: { string: 'SPRING' },
    extra: { string: '{"b":[1,2.50,12345678901234567890],"a":null,"1":{}}' },
    status: { string: 'new' },
    scores: { array: [{ double: 1.5 }, null, { double: -0 }] },
  });
  assert.equal(Object.getPrototypeOf((decoded as { attrs: { map: object } }).attrs.map), Object.prototype, 'a "__proto__" key stays a key');
  assertFitsColumns(jsonSchemaFormat.avroImage(json(order)), decoded);
});

test('bodyReader: integers are exact int64; fractions, strings and overflow are BodyProblems', () => {
  const reader = readerOf({ type: 'object', properties: { n: { type: 'integer' }, x: { type: 'number' } } });
  const n = (text: string) => (reader.read(1, bytes(`{"n": ${text}}`)) as { n: { long: bigint } }).n.long;
  assert.equal(n('9007199254740993'), 9007199254740993n);
  assert.equal(n('-9223372036854775808'), -(2n ** 63n));
  assert.equal(n('9223372036854775807'), 2n ** 63n - 1n);
  assert.equal(n('1.0'), 1n, 'JSON Schema: 1.0 is an integer');
  assert.equal(n('1e3'), 1000n);
  assert.equal(n('12.50e1'), 125n);
  assert.equal(n('-0'), 0n);
  assert.match(problem(reader.read(1, bytes('{"n": 1.5}'))), /^\$\.n: expected an integer, found the number 1\.5$/);
  assert.match(problem(reader.read(1, bytes('{"n": 1e-1}'))), /expected an integer/);
  assert.match(problem(reader.read(1, bytes('{"n": "12"}'))), /^\$\.n: expected an integer, found the string "12"$/);
  assert.match(problem(reader.read(1, bytes('{"n": 9223372036854775808}'))), /within 64 bits/);
  assert.match(problem(reader.read(1, bytes('{"n": 1e999999999}'))), /within 64 bits/);
  assert.match(problem(reader.read(1, bytes('{"n": true}'))), /found true/);
  assert.equal((reader.read(1, bytes('{"x": 7}')) as { x: { double: number } }).x.double, 7);
  assert.match(problem(reader.read(1, bytes('{"x": 1e400}'))), /\$\.x: expected a number within double range/);
});

test('bodyReader: date-time with offsets and fractions to exact micros; dates to days; malformed ones refused', () => {
  const reader = readerOf({ type: 'object', properties: { at: { type: 'string', format: 'date-time' }, on: { type: 'string', format: 'date' } } });
  const at = (text: string) => reader.read(1, bytes(JSON.stringify({ at: text })));
  const base = 1_709_294_400_000_000n; // 2024-03-01T12:00:00Z
  const cases: Array<[string, bigint]> = [
    ['2024-03-01T12:00:00Z', base],
    ['2024-03-01T12:00:00.000001z', base + 1n],
    ['2024-03-01T13:30:00.123456+01:30', base + 123_456n],
    ['2024-03-01T06:00:00.5-06:00', base + 500_000n],
    ['2024-03-01 12:00:00.123456789Z', base + 123_456n],
    ['1969-12-31T23:59:59.999999Z', -1n],
  ];
  for (const [text, micros] of cases) assert.deepEqual(at(text), { at: { long: micros }, on: null }, text);
  for (const bad of ['2024-03-01T12:00:00', '2024-03-01', '2024-03-01T12:00Z', '2024-03-01T12:00:00+0100', '2024-02-30T00:00:00Z', 'soon']) {
    assert.match(problem(at(bad)), /^\$\.at: expected an RFC 3339 date-time with an offset/, bad);
  }
  assert.match(problem(reader.read(1, bytes('{"at": 1709294400000}'))), /found the number 1709294400000/);
  const on = (text: string) => reader.read(1, bytes(JSON.stringify({ on: text })));
  assert.deepEqual(on('1970-01-01'), { at: null, on: { int: 0 } });
  assert.deepEqual(on('1969-12-31'), { at: null, on: { int: -1 } });
  assert.deepEqual(on('2024-02-29'), { at: null, on: { int: 19782 } });
  assert.match(problem(on('2023-02-29')), /^\$\.on: expected a date \(YYYY-MM-DD\)/);
});

test('bodyReader: nullable forms, missing properties, wrong shapes in nested places', () => {
  const schema = {
    type: 'object',
    properties: {
      a: { type: ['integer', 'null'] },
      b: { anyOf: [{ type: 'null' }, { type: 'object', properties: { c: { type: 'boolean' } } }] },
      strict: { type: 'array', items: { type: 'integer' } },
      loose: { type: 'array', items: { oneOf: [{ type: 'integer' }, { type: 'null' }] } },
      m: { type: 'object', additionalProperties: { type: 'string' } },
      free: { type: 'object', additionalProperties: {} },
    },
  };
  const reader = readerOf(schema);
  assert.deepEqual(reader.read(1, bytes('{}')), { a: null, b: null, strict: null, loose: null, m: null, free: null });
  assert.deepEqual(reader.read(1, bytes('{"a": null, "b": {"c": false}, "loose": [null, 3], "free": {"k": [true]}}')), {
    a: null,
    b: { value_b: { c: { boolean: false } } },
    strict: null,
    loose: { array: [null, { long: 3n }] },
    m: null,
    free: { string: '{"k":[true]}' },
  });
  assert.match(problem(reader.read(1, bytes('{"strict": [1, null]}'))), /^\$\.strict\[1\]: null where the schema allows none$/);
  assert.match(problem(reader.read(1, bytes('{"strict": [1, "2"]}'))), /^\$\.strict\[1\]: expected an integer/);
  assert.match(problem(reader.read(1, bytes('{"b": {"c": "yes"}}'))), /^\$\.b\.c: expected a boolean, found the string "yes"$/);
  assert.match(problem(reader.read(1, bytes('{"b": [1]}'))), /^\$\.b: expected an object, found an array$/);
  assert.match(problem(reader.read(1, bytes('{"m": {"k": 1}}'))), /^\$\.m\["k"\]: expected a string, found the number 1$/);
  assertFitsColumns(jsonSchemaFormat.avroImage(json(schema)), reader.read(1, bytes('{"a": 5, "loose": [null], "m": {"k": "v"}, "strict": []}')));
});

test('bodyReader: evolution — the v2 reader reads v1 documents (added property null, dropped one ignored)', () => {
  const v1 = { type: 'object', properties: { id: { type: 'integer' }, old: { type: 'string' } } };
  const v2 = { type: 'object', properties: { id: { type: 'integer' }, email: { type: ['string', 'null'] } } };
  const schemas = { 1: json(v1), 2: json(v2) };
  const reader = jsonSchemaFormat.bodyReader(2, schemas);
  assert.deepEqual(reader.read(1, bytes('{"id": 1, "old": "x"}')), { id: { long: 1n }, email: null });
  assert.deepEqual(reader.read(2, bytes('{"id": 2, "email": "a@b"}')), { id: { long: 2n }, email: { string: 'a@b' } });
  assert.deepEqual(jsonSchemaFormat.bodyReader(1, schemas).read(2, bytes('{"id": 2, "email": "a@b"}')), { id: { long: 2n }, old: null });
  assert.equal(problem(reader.read(7, bytes('{"id": 3}'))), "schema id 7 is not a version of the topic's subject");
  assert.match(problem(jsonSchemaFormat.bodyReader(2, { ...schemas, 3: { schemaType: 'AVRO', schema: '"string"', references: [] } }).read(3, bytes('{}'))), /^schema id 3 is AVRO, not JSON Schema$/);
});

test('bodyReader: not UTF-8, not JSON, not an object, too deep or too large are BodyProblems', () => {
  const reader = readerOf({ type: 'object', properties: { x: { type: 'object' } } });
  assert.equal(problem(reader.read(1, Buffer.from([0x7b, 0xff, 0x7d]))), 'value is not UTF-8 text');
  assert.match(problem(reader.read(1, bytes('{"x": 1,}'))), /^value is not JSON: expected a property name at character 8$/);
  assert.match(problem(reader.read(1, bytes('{"x": 1} 2'))), /text after the JSON value/);
  assert.match(problem(reader.read(1, bytes('{"x": "a\u0001"}'))), /control character/);
  assert.match(problem(reader.read(1, bytes('{"x": "\\q"}'))), /invalid escape/);
  assert.match(problem(reader.read(1, bytes('{"x": 01}'))), /not JSON/);
  assert.match(problem(reader.read(1, bytes('{"x": tru}'))), /not JSON/);
  assert.match(problem(reader.read(1, bytes(''))), /not JSON: expected a JSON value at the end of the text/);
  assert.match(problem(reader.read(1, bytes('[1]'))), /^value is an array, not the JSON object the schema describes$/);
  assert.match(problem(reader.read(1, bytes('"s"'))), /value is the string "s"/);
  const deep = (levels: number) => bytes(`{"x": ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`);
  assert.deepEqual(reader.read(1, deep(64)), { x: { string: `${'['.repeat(63)}${']'.repeat(63)}` } });
  assert.match(problem(reader.read(1, deep(65))), /nest deeper than 64 levels/);
  assert.match(problem(reader.read(1, deep(100_000))), /nest deeper than 64 levels/);
  const huge = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
  assert.match(problem(reader.read(1, huge)), /larger than the 16777216 bytes/);
  // Escapes decode exactly as JSON.parse decodes them; a repeated key keeps its last value.
  assert.deepEqual(reader.read(1, bytes('{"x": {"s": "\\u00e9\\n\\"", "s": "é\\/"}}')), { x: { string: '{"s":"é/"}' } });
});

test('bodyReader: a reader schema that cannot be columns throws', () => {
  assert.throws(() => readerOf({ type: 'string' }), AvroMappingError);
  assert.throws(() => jsonSchemaFormat.bodyReader(1, { 1: { schemaType: 'AVRO', schema: '"string"', references: [] } }), /the schema is AVRO, not JSON Schema/);
  assert.throws(() => jsonSchemaFormat.bodyReader(5, { 1: json({ type: 'object', properties: { a: {} } }) }), /reader schema 5/);
});
