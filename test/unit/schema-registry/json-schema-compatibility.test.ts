import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, readerIssues, resolved } from './helpers.js';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });
const issues = (reader: unknown, writer: unknown) => readerIssues('JSON', reader, writer);

test('json: widening a type is backward compatible, narrowing is not; integer fits in number', () => {
  assert.deepEqual(issues(obj({ a: { type: ['string', 'null'] } }), obj({ a: { type: 'string' } })), []);
  assert.match(issues(obj({ a: { type: 'string' } }), obj({ a: { type: ['string', 'null'] } })).join(), /null is no longer accepted/);
  assert.deepEqual(issues(obj({ a: { type: 'number' } }), obj({ a: { type: 'integer' } })), []);
  assert.match(issues(obj({ a: { type: 'integer' } }), obj({ a: { type: 'number' } })).join(), /type narrowed/);
});

test('json: properties under open and closed content models', () => {
  const closed = { additionalProperties: false };
  // Removing a property: fine for an open reader, not for a closed one.
  assert.deepEqual(issues(obj({ a: { type: 'string' } }), obj({ a: { type: 'string' }, b: { type: 'integer' } })), []);
  assert.match(
    issues(obj({ a: { type: 'string' } }, closed), obj({ a: { type: 'string' }, b: { type: 'integer' } }, closed)).join(),
    /properties\/b: property removed from a closed content model/,
  );
  // Adding a typed property: an open writer may already have used the name; a closed one cannot.
  assert.match(issues(obj({ a: { type: 'string' }, b: { type: 'integer' } }), obj({ a: { type: 'string' } })).join(), /property added to an open content model/);
  assert.deepEqual(issues(obj({ a: { type: 'string' }, b: { type: 'integer' } }, closed), obj({ a: { type: 'string' } }, closed)), []);
  // Closing an open model narrows it.
  assert.match(issues(obj({ a: { type: 'string' } }, closed), obj({ a: { type: 'string' } })).join(), /content model closed/);
});

test('json: a required property added breaks old data unless it has a default', () => {
  const closed = { additionalProperties: false };
  const writer = obj({ a: { type: 'string' } }, closed);
  assert.match(issues(obj({ a: { type: 'string' }, b: { type: 'string' } }, { ...closed, required: ['b'] }), writer).join(), /required property added/);
  assert.deepEqual(issues(obj({ a: { type: 'string' }, b: { type: 'string', default: 'x' } }, { ...closed, required: ['b'] }), writer), []);
  // Dropping a requirement only widens.
  assert.deepEqual(issues(obj({ a: { type: 'string' } }), obj({ a: { type: 'string' } }, { required: ['a'] })), []);
});

test('json: enum values may be added but not removed', () => {
  assert.deepEqual(issues({ enum: ['a', 'b', 'c'] }, { enum: ['a', 'b'] }), []);
  assert.match(issues({ enum: ['a'] }, { enum: ['a', 'b'] }).join(), /enum narrowed: "b" removed/);
  assert.match(issues({ type: 'string', enum: ['a'] }, { type: 'string' }).join(), /enum added/);
});

test('json: bounds tightened and arrays of narrower items are incompatible', () => {
  assert.match(issues({ type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 }).join(), /maxLength/);
  assert.deepEqual(issues({ type: 'string', maxLength: 10 }, { type: 'string', maxLength: 5 }), []);
  assert.match(issues({ type: 'number', minimum: 1 }, { type: 'number' }).join(), /minimum/);
  assert.match(issues({ type: 'array', items: { type: 'integer' } }, { type: 'array', items: { type: 'number' } }).join(), /items.*type narrowed/);
});

test('json: oneOf branches, every writer branch must be readable', () => {
  const both = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  assert.deepEqual(issues(both, { type: 'string' }), []);
  assert.match(issues({ type: 'string' }, both).join(), /writer branch 1 matches no reader branch/);
});

test('json: $ref to local definitions and to references is followed', () => {
  const local = (t: string) => ({ definitions: { id: { type: t } }, type: 'object', properties: { id: { $ref: '#/definitions/id' } } });
  assert.deepEqual(issues(local('number'), local('integer')), []);
  assert.match(issues(local('integer'), local('number')).join(), /properties\/id: type narrowed/);
  const address = resolved('JSON', { type: 'object', properties: { city: { type: 'string' } } });
  const deps = new Map([['address.json', address]]);
  assert.ok(parse('JSON', { type: 'object', properties: { home: { $ref: 'address.json' } } }, deps));
  assert.throws(() => parse('JSON', { type: 'object', properties: { home: { $ref: 'address.json' } } }), /names no schema reference/);
});

test('json: $ref to an anchor ($anchor, or a draft-07 $id that is only a fragment) is followed', () => {
  const anchored = (t: string) => ({ $defs: { id: { $anchor: 'ident', type: t } }, type: 'object', properties: { id: { $ref: '#ident' } } });
  assert.deepEqual(issues(anchored('number'), anchored('integer')), []);
  assert.match(issues(anchored('integer'), anchored('number')).join(), /properties\/id: type narrowed/);
  const draft7 = (t: string) => ({ definitions: { id: { $id: '#ident', type: t } }, type: 'object', properties: { id: { $ref: '#ident' } } });
  assert.match(issues(draft7('integer'), draft7('number')).join(), /properties\/id: type narrowed/);
  // An anchor inside a property called enum is a subschema; inside an enum's values it is data.
  assert.ok(parse('JSON', { type: 'object', properties: { enum: { $anchor: 'e', type: 'string' }, x: { $ref: '#e' } } }));
  assert.throws(() => parse('JSON', { type: 'object', properties: { x: { $ref: '#e' }, y: { enum: [{ $anchor: 'e' }] } } }), /\$ref #e names no anchor of its document/);
  // Resolved as ajv resolves them: an embedded resource's anchors are its own, a name
  // declared twice is an error, draft-04's id names nothing.
  const embedded = { $id: 'http://example.com/e.json', $defs: { i: { $anchor: 'foo', type: 'integer' } } };
  assert.throws(() => parse('JSON', { type: 'object', properties: { x: { $ref: '#foo' } }, $defs: { embedded } }), /names no anchor/);
  const both = (t: string) => ({ type: 'object', properties: { x: { $ref: '#foo' } }, $defs: { embedded, own: { $anchor: 'foo', type: t } } });
  assert.match(issues(both('integer'), both('number')).join(), /properties\/x: type narrowed/, 'the root\'s own anchor, not the embedded one');
  assert.throws(() => parse('JSON', { type: 'object', properties: { x: { $ref: '#foo' } }, $defs: { a: { $anchor: 'foo' }, b: { $anchor: 'foo' } } }), /declares more than once/);
  assert.throws(() => parse('JSON', { type: 'object', properties: { x: { $ref: '#foo' } }, definitions: { a: { id: '#foo', type: 'string' } } }), /names no anchor/);
});

test('json: oneOf branches nested 25 deep are compared once per pair, and a change at the bottom is still found', () => {
  // Each level is a oneOf of two objects whose n property is the next level: compared branch
  // pair by branch pair from scratch, this took time doubling with every level.
  const nested = (leafType: string) => {
    const defs: Record<string, unknown> = { L25: { type: leafType } };
    for (let i = 24; i >= 0; i--) {
      const next = { $ref: `#/$defs/L${i + 1}` };
      defs[`L${i}`] = { oneOf: [{ type: 'object', properties: { n: next }, required: ['a'] }, { type: 'object', properties: { n: next }, required: ['b'] }] };
    }
    return { $ref: '#/$defs/L0', $defs: defs };
  };
  assert.deepEqual(issues({ ...nested('number'), title: 'v2' }, nested('number')), []);
  assert.deepEqual(issues(nested('number'), nested('integer')), [], 'integer data still reads as number');
  assert.match(issues(nested('integer'), nested('number')).join(), /combined schema narrowed/);
});

test('json: a recursive $ref through a nullable oneOf compares (no stack overflow)', () => {
  const node = (title: string) => ({
    title,
    $ref: '#/definitions/Node',
    definitions: { Node: { type: 'object', properties: { value: { type: 'integer' }, next: { oneOf: [{ type: 'null' }, { $ref: '#/definitions/Node' }] } } } },
  });
  assert.deepEqual(issues(node('b'), node('a')), []);
  const narrowed = node('c');
  (narrowed.definitions.Node.properties.value as { type: string }).type = 'string';
  assert.ok(issues(narrowed, node('a')).length > 0, 'a narrowed type inside the recursion is found');
});

test('json: invalid schemas are refused', () => {
  assert.throws(() => parse('JSON', '[1]'), /object or a boolean/);
  assert.throws(() => parse('JSON', { type: 'strng' }), /unknown type "strng"/);
  assert.throws(() => parse('JSON', { properties: { a: 5 } }), /properties\/a is not a schema/);
  assert.throws(() => parse('JSON', { $ref: '#/definitions/missing' }), /does not point at a schema/);
});

test('json: recursive schemas terminate', () => {
  const tree = { definitions: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/node' } } } } }, $ref: '#/definitions/node' };
  assert.deepEqual(issues(tree, tree), []);
});
