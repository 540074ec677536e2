/**
 * PUT /mode and /mode/{subject} with IMPORT, through the HTTP app: refused with Confluent's
 * 42205 "Cannot import since found existing subjects" while the scope holds a live version,
 * unless ?force=true; a scope already in IMPORT, or holding only soft-deleted versions, may.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/app.js';
import { SCHEMA_REGISTRY_CONTENT_TYPE } from '../../../src/http/schema-registry.js';
import { ArrayJournal } from '../schema-registry/helpers.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { FakeCatalog } from './fake-catalog.js';

async function setup() {
  const registry = await SchemaRegistry.open(new ArrayJournal());
  const app = buildHttpApp({ catalog: new FakeCatalog(), admin: { tables: () => [] }, schemaRegistry: registry, logger: pino({ level: 'silent' }) });
  const call = async (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({ method, url, payload, headers: payload ? { 'content-type': SCHEMA_REGISTRY_CONTENT_TYPE } : {} });
    return { status: res.statusCode, body: res.json(), type: res.headers['content-type'] };
  };
  const register = (subject: string) => call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }) });
  return { app, call, register };
}

const refused = { error_code: 42205, message: 'Cannot import since found existing subjects' };

test('PUT /mode IMPORT is refused with 42205 while subjects exist, and the mode stays', async () => {
  const { app, call, register } = await setup();
  assert.equal((await register('orders-value')).status, 200);
  const res = await call('PUT', '/mode', { mode: 'IMPORT' });
  assert.equal(res.status, 422);
  assert.deepEqual(res.body, refused);
  assert.match(String(res.type), /^application\/vnd\.schemaregistry\.v1\+json/);
  assert.deepEqual((await call('GET', '/mode')).body, { mode: 'READWRITE' });
  // force=false is no force.
  assert.deepEqual((await call('PUT', '/mode?force=false', { mode: 'IMPORT' })).body, refused);
  await app.close();
});

test('PUT /mode?force=true enters IMPORT with subjects present; a registry already importing may be set to IMPORT again', async () => {
  const { app, call, register } = await setup();
  await register('orders-value');
  assert.deepEqual(await call('PUT', '/mode?force=true', { mode: 'IMPORT' }), { status: 200, body: { mode: 'IMPORT' }, type: SCHEMA_REGISTRY_CONTENT_TYPE });
  assert.deepEqual((await call('GET', '/mode')).body, { mode: 'IMPORT' });
  assert.deepEqual((await call('PUT', '/mode', { mode: 'IMPORT' })).body, { mode: 'IMPORT' });
  await app.close();
});

test('PUT /mode IMPORT is accepted on an empty registry, and where only soft-deleted versions are left', async () => {
  const { app, call, register } = await setup();
  assert.deepEqual((await call('PUT', '/mode', { mode: 'IMPORT' })).body, { mode: 'IMPORT' });
  assert.deepEqual((await call('PUT', '/mode', { mode: 'READWRITE' })).body, { mode: 'READWRITE' });
  await register('gone-value');
  assert.equal((await call('DELETE', '/subjects/gone-value')).status, 200);
  assert.deepEqual((await call('PUT', '/mode', { mode: 'IMPORT' })).body, { mode: 'IMPORT' });
  await app.close();
});

test('PUT /mode/{subject} IMPORT is refused for a subject with versions unless forced, and accepted for one without', async () => {
  const { app, call, register } = await setup();
  await register('orders-value');
  const res = await call('PUT', '/mode/orders-value', { mode: 'IMPORT' });
  assert.equal(res.status, 422);
  assert.deepEqual(res.body, refused);
  assert.equal((await call('GET', '/mode/orders-value')).status, 404, 'no subject mode was set');
  assert.deepEqual((await call('PUT', '/mode/new-value', { mode: 'IMPORT' })).body, { mode: 'IMPORT' });
  assert.deepEqual((await call('PUT', '/mode/orders-value?force=true', { mode: 'IMPORT' })).body, { mode: 'IMPORT' });
  await app.close();
});
