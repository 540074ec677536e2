/**
 * Avro compatibility with logical types: resolution alone (avsc, like Avro's Java
 * SchemaCompatibility) accepts a decimal whose scale changed or a timestamp whose unit
 * changed, since the bytes resolve; the registry refuses them because every old value would
 * be read with another meaning. What does not change a value's meaning stays compatible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compatibilityIssues, type ParsedVersion } from '../../../src/schema-registry/compatibility.js';
import { SchemaRegistry } from '../../../src/schema-registry/registry.js';
import { parseSchemaRequest } from '../../../src/schema-registry/requests.js';
import { RegistryError } from '../../../src/schema-registry/errors.js';
import type { ResolvedSchema } from '../../../src/schema-registry/types.js';
import { ArrayJournal, parse, resolved } from './helpers.js';

const payment = (type: unknown) => ({ type: 'record', name: 'Payment', namespace: 'com.acme', fields: [{ name: 'id', type: 'long' }, { name: 'amount', type }] });
const decimalBytes = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });
const logical = (type: string, logicalType: string) => ({ type, logicalType });

/** BACKWARD issues of `next` registered after `previous` (the new schema reads the old data). */
function backward(next: unknown, previous: unknown, deps?: Map<string, ResolvedSchema>): string[] {
  const old: ParsedVersion = { version: 1, schemaType: 'AVRO', parsed: parse('AVRO', previous, deps) };
  return compatibilityIssues('BACKWARD', { schemaType: 'AVRO', parsed: parse('AVRO', next, deps) }, [old]);
}

test('avro logical types: BACKWARD refuses a decimal whose scale changed or whose precision narrowed', () => {
  const issues = backward(payment(decimalBytes(10, 4)), payment(decimalBytes(10, 2)));
  assert.equal(issues.length, 1);
  assert.match(issues[0], /version 1 \(new schema reading old data\)/);
  assert.match(issues[0], /field amount: the writer's bytes decimal\(10,2\) would be read as bytes decimal\(10,4\)/);
  assert.match(backward(payment(decimalBytes(8, 2)), payment(decimalBytes(10, 2))).join(), /decimal\(10,2\) would be read as bytes decimal\(8,2\)/);
  // A wider precision of the same scale reads every old value unchanged (Iceberg's promotion).
  assert.deepEqual(backward(payment(decimalBytes(12, 2)), payment(decimalBytes(10, 2))), []);
  // A missing scale is scale 0 (the specification's default), so it is the same decimal.
  assert.deepEqual(backward(payment({ type: 'bytes', logicalType: 'decimal', precision: 10 }), payment(decimalBytes(10, 0))), []);
});

test('avro logical types: BACKWARD refuses timestamp-millis read as timestamp-micros, and a local timestamp read as a UTC one', () => {
  assert.match(
    backward(payment(logical('long', 'timestamp-micros')), payment(logical('long', 'timestamp-millis'))).join(),
    /field amount: the writer's long timestamp-millis would be read as long timestamp-micros/,
  );
  assert.match(backward(payment(logical('long', 'timestamp-millis')), payment(logical('long', 'local-timestamp-millis'))).join(), /local-timestamp-millis would be read as long timestamp-millis/);
});

test('avro logical types: BACKWARD refuses an int date promoted to a long timestamp-millis', () => {
  assert.match(backward(payment(logical('long', 'timestamp-millis')), payment(logical('int', 'date'))).join(), /the writer's int date would be read as long timestamp-millis/);
  // Also through the union branch the reader picks, and inside arrays and maps.
  assert.match(backward(payment(['null', logical('long', 'timestamp-millis')]), payment(['null', logical('int', 'date')])).join(), /field amount: .*int date/);
  const list = (items: unknown) => ({ type: 'array', items });
  assert.match(backward(payment(list(logical('long', 'timestamp-millis'))), payment(list(logical('int', 'date')))).join(), /field amount\[\]: .*int date/);
  const map = (values: unknown) => ({ type: 'map', values });
  assert.match(backward(payment(map(logical('long', 'time-micros'))), payment(map(logical('int', 'time-millis')))).join(), /field amount\{\}: .*int time-millis would be read as long time-micros/);
});

test('avro logical types: a fixed decimal defined in a referenced schema is compared where the referencing schema uses it', () => {
  const money = (scale: number) => resolved('AVRO', { type: 'fixed', name: 'Money', namespace: 'com.acme', size: 8, logicalType: 'decimal', precision: 12, scale });
  const order = { type: 'record', name: 'Order', namespace: 'com.acme', fields: [{ name: 'total', type: 'com.acme.Money' }] };
  const parsed = (scale: number) => parse('AVRO', order, new Map([['com.acme.Money', money(scale)]]));
  const issues = compatibilityIssues('BACKWARD', { schemaType: 'AVRO', parsed: parsed(4) }, [{ version: 1, schemaType: 'AVRO', parsed: parsed(2) }]);
  assert.match(issues.join(), /field total: the writer's fixed decimal\(12,2\) would be read as fixed decimal\(12,4\)/);
  assert.deepEqual(compatibilityIssues('BACKWARD', { schemaType: 'AVRO', parsed: parsed(2) }, [{ version: 1, schemaType: 'AVRO', parsed: parsed(2) }]), []);
});

test('avro logical types: FORWARD and FULL check the other direction too', () => {
  const p = (s: unknown) => ({ schemaType: 'AVRO' as const, parsed: parse('AVRO', s) });
  const old = [{ version: 1, ...p(payment(decimalBytes(10, 2))) }];
  assert.match(compatibilityIssues('FORWARD', p(payment(decimalBytes(10, 4))), old).join(), /old schema reading new data.*decimal\(10,4\) would be read as bytes decimal\(10,2\)/);
  assert.equal(compatibilityIssues('FULL', p(payment(decimalBytes(10, 4))), old).length, 2);
});

test('avro logical types: identical, unknown and invalid logical types, one-sided ones and plain promotions stay compatible', () => {
  assert.deepEqual(backward(payment(decimalBytes(10, 2)), payment(decimalBytes(10, 2))), []);
  assert.deepEqual(backward(payment(logical('long', 'timestamp-micros')), payment(logical('long', 'timestamp-micros'))), []);
  // Unknown logical types are ignored (Avro: the value is its underlying type).
  assert.deepEqual(backward(payment(logical('long', 'epoch-seconds')), payment(logical('long', 'epoch-days'))), []);
  assert.deepEqual(backward(payment(logical('long', 'timestamp-millis')), payment(logical('long', 'epoch-days'))), []);
  // So are invalid ones: date belongs on int, a decimal's scale cannot exceed its precision.
  assert.deepEqual(backward(payment(logical('long', 'timestamp-millis')), payment(logical('long', 'date'))), []);
  assert.deepEqual(backward(payment(decimalBytes(10, 2)), payment(decimalBytes(2, 4))), []);
  // Promotions without logical types, and a logical type on one side only (as Avro's Java and
  // Rust implementations accept): the value is read unchanged.
  assert.deepEqual(backward(payment('long'), payment('int')), []);
  assert.deepEqual(backward(payment('double'), payment('float')), []);
  assert.deepEqual(backward(payment(logical('long', 'timestamp-millis')), payment('long')), []);
  assert.deepEqual(backward(payment('long'), payment(logical('int', 'date'))), []);
  assert.deepEqual(backward(payment('bytes'), payment(decimalBytes(10, 2))), []);
  // A union written with a null branch and a long reads into a union with a long branch.
  assert.deepEqual(backward(payment(['null', logical('long', 'timestamp-millis')]), payment(['null', 'int'])), []);
});

test('avro logical types: a recursive record is compared once per pair of records, and still compared', () => {
  const node = (amount: unknown) => ({ type: 'record', name: 'Node', fields: [{ name: 'amount', type: amount }, { name: 'next', type: ['null', 'Node'], default: null }] });
  assert.deepEqual(backward(node(decimalBytes(5, 1)), node(decimalBytes(5, 1))), []);
  assert.match(backward(node(decimalBytes(5, 1)), node(decimalBytes(5, 2))).join(), /field amount: the writer's bytes decimal\(5,2\)/);
});

test('avro logical types: the registry answers 409 to a new version that rescales a decimal, and registers it under NONE', async () => {
  const reg = await SchemaRegistry.open(new ArrayJournal());
  const request = (type: unknown) => parseSchemaRequest({ schema: JSON.stringify(payment(type)) });
  await reg.register('payments-value', request(decimalBytes(10, 2)), false);
  await assert.rejects(reg.register('payments-value', request(decimalBytes(10, 4)), false), (err: unknown) => err instanceof RegistryError && err.errorCode === 409);
  const check = reg.checkCompatibility('payments-value', 'latest', request(logical('bytes', 'big-decimal')), true);
  assert.equal(check.isCompatible, false);
  assert.match(JSON.stringify(check), /decimal\(10,2\) would be read as bytes big-decimal/);
  await reg.setConfig('payments-value', 'NONE');
  assert.deepEqual(await reg.register('payments-value', request(decimalBytes(10, 4)), false), { id: 2, version: 2 });
});
