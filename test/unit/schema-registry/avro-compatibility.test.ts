import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatibilityIssues } from '../../../src/schema-registry/compatibility.js';
import { parse, readerIssues, resolved } from './helpers.js';
import { HANDLERS } from '../../../src/schema-registry/compatibility.js';

const user = (fields: unknown[]) => ({ type: 'record', name: 'User', namespace: 'com.acme', fields });
const v1 = user([{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }]);
const withEmail = user([{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }, { name: 'email', type: ['null', 'string'], default: null }]);
const withEmailNoDefault = user([{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }, { name: 'email', type: 'string' }]);
const withoutName = user([{ name: 'id', type: 'long' }]);

test('avro: adding a field with a default is backward compatible, without one it is not', () => {
  assert.deepEqual(readerIssues('AVRO', withEmail, v1), []);
  const issues = readerIssues('AVRO', withEmailNoDefault, v1);
  assert.equal(issues.length, 1);
  assert.match(issues[0], /email/);
});

test('avro: removing a field is backward compatible but not forward compatible when the old reader has no default', () => {
  assert.deepEqual(readerIssues('AVRO', withoutName, v1), []);
  assert.notDeepEqual(readerIssues('AVRO', v1, withoutName), []);
});

test('avro: type promotion int -> long reads old data, long -> int does not', () => {
  const asInt = user([{ name: 'id', type: 'int' }]);
  const asLong = user([{ name: 'id', type: 'long' }]);
  assert.deepEqual(readerIssues('AVRO', asLong, asInt), []);
  assert.notDeepEqual(readerIssues('AVRO', asInt, asLong), []);
});

test('avro: enum symbols removed break readers of old data', () => {
  const e = (symbols: string[]) => ({ type: 'enum', name: 'Color', symbols });
  assert.deepEqual(readerIssues('AVRO', e(['RED', 'GREEN', 'BLUE']), e(['RED', 'GREEN'])), []);
  assert.notDeepEqual(readerIssues('AVRO', e(['RED']), e(['RED', 'GREEN'])), []);
});

test('avro: invalid schemas are refused with a reason', () => {
  assert.throws(() => parse('AVRO', { type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] }), /Invalid Avro schema.*nope/);
  assert.throws(() => parse('AVRO', '{not json'), /not valid JSON/);
  assert.throws(() => parse('AVRO', { type: 'record', name: 'X', fields: [{ name: 'a', type: 'int', default: 'text' }] }), /Invalid Avro schema/);
});

test('avro: named types from references resolve by full name', () => {
  const address = resolved('AVRO', { type: 'record', name: 'Address', namespace: 'com.acme', fields: [{ name: 'city', type: 'string' }] });
  const deps = new Map([['com.acme.Address', address]]);
  const person = { type: 'record', name: 'Person', namespace: 'com.acme', fields: [{ name: 'home', type: 'com.acme.Address' }] };
  assert.ok(parse('AVRO', person, deps));
  assert.throws(() => parse('AVRO', person), /Address/);
});

test('avro: canonical form ignores whitespace; normalize also ignores key order', () => {
  const h = HANDLERS.AVRO;
  assert.equal(h.canonical('{ "type" : "string" }', false), h.canonical('{"type":"string"}', false));
  assert.notEqual(h.canonical('{"name":"a","type":"fixed","size":2}', false), h.canonical('{"type":"fixed","name":"a","size":2}', false));
  assert.equal(h.canonical('{"name":"a","type":"fixed","size":2}', true), h.canonical('{"type":"fixed","name":"a","size":2}', true));
});

test('levels: BACKWARD checks only the latest version, BACKWARD_TRANSITIVE all of them, FORWARD and FULL the other way', () => {
  const p = (s: unknown) => ({ schemaType: 'AVRO' as const, parsed: parse('AVRO', s) });
  // v1 has a default-less field that v2 dropped; v3 re-adds it without default: reads v2, not v1.
  const a1 = user([{ name: 'id', type: 'long' }, { name: 'x', type: 'int' }]);
  const a2 = user([{ name: 'id', type: 'long' }]);
  const a3 = user([{ name: 'id', type: 'long' }, { name: 'x', type: 'string', default: '' }]);
  const existing = [{ version: 1, ...p(a1) }, { version: 2, ...p(a2) }];
  assert.deepEqual(compatibilityIssues('BACKWARD', p(a3), existing), []);
  assert.match(compatibilityIssues('BACKWARD_TRANSITIVE', p(a3), existing).join(), /version 1/);
  assert.deepEqual(compatibilityIssues('NONE', p(a3), existing), []);
  // FORWARD: old (a2) must read new; a2 ignores extra fields, so adding is forward compatible.
  assert.deepEqual(compatibilityIssues('FORWARD', p(withEmailNoDefault), [{ version: 1, ...p(v1) }]), []);
  assert.notDeepEqual(compatibilityIssues('FULL', p(withEmailNoDefault), [{ version: 1, ...p(v1) }]), []);
  assert.deepEqual(compatibilityIssues('FULL', p(withEmail), [{ version: 1, ...p(v1) }]), []);
});

test('levels: a change of schema type is incompatible', () => {
  const json = { schemaType: 'JSON' as const, parsed: parse('JSON', { type: 'object' }) };
  const issues = compatibilityIssues('BACKWARD', json, [{ version: 1, schemaType: 'AVRO', parsed: parse('AVRO', v1) }]);
  assert.match(issues.join(), /schema type changed from AVRO to JSON/);
});
