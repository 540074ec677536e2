import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrayJournal } from './helpers.js';
import { RegistryError } from '../../../src/schema-registry/errors.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { parseSchemaRequest } from '../../../src/schema-registry/requests.js';

const avro = (fields: unknown[]) => parseSchemaRequest({ schema: JSON.stringify({ type: 'record', name: 'R', fields }) });
const r1 = avro([{ name: 'a', type: 'int' }]);
const r2 = avro([{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]);
const r3 = avro([{ name: 'a', type: 'int' }, { name: 'c', type: 'long', default: 0 }]);

async function rejects(p: Promise<unknown> | (() => unknown), errorCode: number): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (err: unknown) => err instanceof RegistryError && err.errorCode === errorCode);
}

test('registry: identical schemas keep their id, the same schema in two subjects shares it, new content gets the next id', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  assert.deepEqual(await reg.register('a', r1, false), { id: 1, version: 1 });
  // Whitespace does not make a schema different.
  const spaced = parseSchemaRequest({ schema: JSON.stringify(JSON.parse(r1.schema), null, 2) });
  assert.deepEqual(await reg.register('a', spaced, false), { id: 1, version: 1 });
  assert.deepEqual(await reg.register('b', r1, false), { id: 1, version: 1 });
  assert.deepEqual(await reg.register('a', r2, false), { id: 2, version: 2 });
  assert.deepEqual(reg.versionsOfId(1, false).map((v) => v.subject), ['a', 'b']);
  assert.equal(reg.lookup('a', spaced, { normalize: false, includeDeleted: false }).version, 1);
  await rejects(() => reg.lookup('a', r3, { normalize: false, includeDeleted: false }), 40403);
  await rejects(() => reg.lookup('zzz', r1, { normalize: false, includeDeleted: false }), 40401);
});

test('registry: soft delete, then hard delete, in that order only; ids are never reused', async () => {
  const journal = new ArrayJournal();
  const reg = await SchemaRegistry.open(journal);
  await reg.register('s', r1, false);
  await reg.register('s', r2, false);
  await rejects(reg.deleteVersion('s', 1, true), 40407);
  assert.equal(await reg.deleteVersion('s', 1, false), 1);
  await rejects(reg.deleteVersion('s', 1, false), 40406);
  assert.deepEqual(reg.versions('s', false), [2]);
  assert.deepEqual(reg.versions('s', true), [1, 2]);
  assert.equal(reg.version('s', 1, true).deleted, true);
  await rejects(() => reg.version('s', 1, false), 40402);
  // A soft-deleted version no longer constrains compatibility, its schema is still served by id.
  assert.equal(reg.schemaById(1).id, 1);
  await rejects(reg.deleteSubject('s', true), 40405);
  assert.deepEqual(await reg.deleteSubject('s', false), [2]);
  await rejects(reg.deleteSubject('s', false), 40404);
  await rejects(() => reg.versions('s', false), 40401);
  assert.deepEqual(await reg.deleteSubject('s', true), [1, 2]);
  await rejects(() => reg.schemaById(2), 40403);
  await rejects(reg.deleteSubject('s', true), 40401);
  // New content after hard deletes gets a fresh id, never 1 or 2; known content keeps its own.
  assert.deepEqual(await reg.register('s', r3, false), { id: 3, version: 1 });
  assert.deepEqual(await reg.register('s', r2, false), { id: 2, version: 2 });
  // Replaying the journal rebuilds the same state.
  const again = await SchemaRegistry.open(journal);
  assert.deepEqual(again.subjects(true), ['s']);
  assert.deepEqual(again.versions('s', false), [1, 2]);
  assert.deepEqual(await again.register('t', avro([{ name: 'z', type: 'int' }]), false), { id: 4, version: 1 });
});

test('registry: BACKWARD refuses a breaking version with 409; NONE on the subject lets it through', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  await reg.register('s', r1, false);
  const breaking = avro([{ name: 'a', type: 'int' }, { name: 'd', type: 'string' }]);
  await rejects(reg.register('s', breaking, false), 409);
  assert.equal(reg.checkCompatibility('s', 'latest', breaking, false).isCompatible, false);
  assert.equal(reg.checkCompatibility('s', undefined, r2, false).isCompatible, true);
  await reg.setConfig('s', 'NONE');
  assert.equal(reg.getConfig('s', false), 'NONE');
  assert.equal(reg.getConfig(null, false), 'BACKWARD');
  assert.deepEqual(await reg.register('s', breaking, false), { id: 2, version: 2 });
  assert.equal(await reg.deleteConfig('s'), 'NONE');
  await rejects(() => reg.getConfig('s', false), 40408);
});

test('registry: references resolve by subject and version, and a referenced version cannot be deleted', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  const address = parseSchemaRequest({ schema: JSON.stringify({ type: 'record', name: 'Address', namespace: 'acme', fields: [{ name: 'city', type: 'string' }] }) });
  await reg.register('address', address, false);
  const person = parseSchemaRequest({
    schema: JSON.stringify({ type: 'record', name: 'Person', namespace: 'acme', fields: [{ name: 'home', type: 'acme.Address' }] }),
    references: [{ name: 'acme.Address', subject: 'address', version: -1 }],
  });
  const { id } = await reg.register('person', person, false);
  assert.deepEqual(reg.schemaById(id).references, [{ name: 'acme.Address', subject: 'address', version: 1 }]);
  assert.deepEqual(reg.referencedBy('address', 1), [id]);
  await rejects(reg.deleteVersion('address', 1, false), 42206);
  const dangling = parseSchemaRequest({ ...JSON.parse(JSON.stringify(person)), references: [{ name: 'acme.Address', subject: 'nope', version: 1 }] });
  await rejects(reg.register('person2', dangling, false), 42201);
  const resolved = await reg.resolve(reg.schemaById(id));
  assert.ok(resolved.dependencies.get('acme.Address')?.schema.includes('city'));
});

test('registry: a JSON schema the value validator (ajv) cannot compile is refused at registration', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  const json = (schema: unknown) => parseSchemaRequest({ schemaType: 'JSON', schema: JSON.stringify(schema) });
  await assert.rejects(
    reg.register('bad-pattern', json({ type: 'object', properties: { code: { type: 'string', pattern: '[' } } }), false),
    (err: unknown) => err instanceof RegistryError && err.errorCode === 42201 && /pattern|regular expression/i.test(err.message),
  );
  // An anchor ajv resolves the same way is fine; one only inside an embedded resource is not.
  const anchored = { type: 'object', properties: { zip: { $ref: '#zip' } }, $defs: { z: { $anchor: 'zip', type: 'integer' } } };
  assert.equal((await reg.register('anchored', json(anchored), false)).id, 1);
  const embedded = { type: 'object', properties: { zip: { $ref: '#zip' } }, $defs: { e: { $id: 'http://example.com/e.json', $defs: { z: { $anchor: 'zip', type: 'integer' } } } } };
  await rejects(reg.register('embedded', json(embedded), false), 42201);
});

test('registry: READONLY mode refuses changes; IMPORT mode registers under a given id', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  await reg.setMode(null, 'READONLY');
  await rejects(reg.register('s', r1, false), 42205);
  await reg.setMode(null, 'IMPORT');
  assert.deepEqual(await reg.register('s', { ...r1, id: 42, version: 7 }, false), { id: 42, version: 7 });
  await rejects(reg.register('t', { ...r2, id: 42 }, false), 42207);
  await reg.setMode(null, 'READWRITE');
  await rejects(reg.register('u', { ...r2, id: 50 }, false), 42205);
  assert.deepEqual(await reg.register('u', r2, false), { id: 43, version: 1 });
});

test('registry: entering IMPORT removes the soft-deleted versions in scope, so imported versions may take their numbers', async () => {
  const journal = new ArrayJournal();
  const reg = await SchemaRegistry.open(journal);
  assert.deepEqual(await reg.register('s', r1, false), { id: 1, version: 1 });
  assert.deepEqual(await reg.register('other', r2, false), { id: 2, version: 1 });
  await reg.register('other', r3, false);
  await reg.deleteVersion('other', 2, false);
  await reg.deleteSubject('s', false);
  // Subject scope: only s is cleared; other's soft-deleted version 2 stays.
  await reg.setMode('s', 'IMPORT');
  assert.deepEqual(await reg.register('s', { ...r2, id: 2, version: 1 }, false), { id: 2, version: 1 });
  assert.deepEqual(reg.versionsOfId(3, true).map((v) => [v.subject, v.version, v.deleted]), [['other', 2, true]]);
  // The removal is in the journal: a registry replayed from it agrees.
  const replayed = await SchemaRegistry.open(journal);
  await rejects(() => replayed.versionsOfId(1, true), 40403); // s's old version 1 is gone, and with it id 1
  assert.deepEqual(replayed.versionsOfId(2, true).map((v) => [v.subject, v.version]), [['other', 1], ['s', 1]]);
  // With force nothing is removed.
  await reg.setMode('other', 'IMPORT', true);
  await rejects(reg.register('other', { ...r3, id: 3, version: 2 }, false), 42205);
});

test('requests: malformed bodies and versions get Confluent error codes', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as RegistryError).errorCode;
    }
    return 0;
  };
  assert.equal(code(() => parseSchemaRequest({})), 42201);
  assert.equal(code(() => parseSchemaRequest('x')), 422);
  assert.equal(code(() => parseSchemaRequest({ schema: '{}', schemaType: 'XML' })), 42201);
  assert.equal(code(() => parseSchemaRequest({ schema: '{}', references: [{ name: 'a' }] })), 42201);
});

test('registry: a Protobuf schema sent as a base64 FileDescriptorProto (Confluent Python/Go serializers) is kept as its .proto text', async () => {
  const { createRequire } = await import('node:module');
  const protobuf = (await import('protobufjs')).default;
  createRequire(import.meta.url)('protobufjs/ext/descriptor'); // adds Root#toDescriptor
  const text = `syntax = "proto3";
package acme.v1;
message Order {
  string id = 1;
  map<string, int64> counts = 2;
  oneof pay { string card = 3; bytes token = 4; }
  optional double discount = 5;
  repeated Line lines = 6;
  Status status = 7;
  message Line { string sku = 1; uint32 qty = 2; }
  enum Status { NEW = 0; PAID = 1; }
  reserved 9 to 11;
}`;
  const base64 = (source: string) => {
    const root = protobuf.parse(source, new protobuf.Root(), { keepCase: true }).root;
    const set = (root as unknown as { toDescriptor(s: string): { file: unknown[] } }).toDescriptor('proto3');
    const FileDescriptorProto = (protobuf as unknown as { descriptor: { FileDescriptorProto: protobuf.Type } }).descriptor.FileDescriptorProto;
    return Buffer.from(FileDescriptorProto.encode(set.file[0] as protobuf.Message).finish()).toString('base64');
  };
  const reg = await SchemaRegistry.open(new ArrayJournal());
  const sent = base64(text);
  assert.deepEqual(await reg.register('o', parseSchemaRequest({ schemaType: 'PROTOBUF', schema: sent }), false), { id: 1, version: 1 });
  const stored = reg.schemaById(1).schema;
  assert.match(stored, /^syntax = "proto3";\npackage acme\.v1;\n/);
  // (protobufjs writes the descriptor here: relative type names, no proto3_optional flag and
  // inclusive reserved ends, unlike protoc; the interop test covers Python's protoc-style one.)
  for (const line of ['string id = 1;', 'map<string, int64> counts = 2;', 'oneof pay {', 'bytes token = 4;', 'double discount = 5;', 'repeated Line lines = 6;', 'Status status = 7;', 'enum Status {', 'message Line {']) {
    assert.ok(stored.includes(line), `${line} in\n${stored}`);
  }
  // The same descriptor again, and the printed text itself, are the same schema.
  assert.deepEqual(await reg.register('o', parseSchemaRequest({ schemaType: 'PROTOBUF', schema: sent }), false), { id: 1, version: 1 });
  assert.deepEqual(await reg.register('o', parseSchemaRequest({ schemaType: 'PROTOBUF', schema: stored }), false), { id: 1, version: 1 });
  // And compatibility applies to it: field 1 string -> int64 is refused.
  await rejects(reg.register('o', parseSchemaRequest({ schemaType: 'PROTOBUF', schema: base64(text.replace('string id = 1', 'int64 id = 1')) }), false), 409);
});

test('registry: normalized, two schemas that differ only under a "__proto__" key are two schemas', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  const json = (type: string) => parseSchemaRequest({ schemaType: 'JSON', schema: `{"type":"object","properties":{"__proto__":{"type":"${type}"}}}` });
  const a = await reg.register('a', json('string'), true);
  const b = await reg.register('b', json('integer'), true);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(await reg.register('c', json('string'), true), { id: a.id, version: 1 });
});
