import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDLERS } from '../../../src/schema-registry/compatibility.js';
import { parse, readerIssues, resolved } from './helpers.js';

const proto = (body: string, pkg = 'acme') => `syntax = "proto3";\npackage ${pkg};\n${body}`;
const issues = (reader: string, writer: string) => readerIssues('PROTOBUF', reader, writer);

const v1 = proto('message Order { int64 id = 1; string item = 2; }');

test('protobuf: adding and removing optional fields is compatible', () => {
  assert.deepEqual(issues(proto('message Order { int64 id = 1; string item = 2; double price = 3; }'), v1), []);
  assert.deepEqual(issues(proto('message Order { int64 id = 1; }'), v1), []);
});

test('protobuf: a field number changing to an incompatible type is refused; wire-compatible changes pass', () => {
  assert.match(issues(proto('message Order { int64 id = 1; double item = 2; }'), v1).join(), /Order field 2: type changed from string to double/);
  assert.deepEqual(issues(proto('message Order { int32 id = 1; bytes item = 2; }'), v1), []);
});

test('protobuf: removing a message, changing the package, or changing a field kind is refused', () => {
  const two = proto('message Order { int64 id = 1; Line line = 2; } message Line { string sku = 1; }');
  assert.match(issues(proto('message Order { int64 id = 1; }'), two).join(), /message acme.Line removed/);
  assert.match(issues(proto('message Order { int64 id = 1; string item = 2; }', 'other'), v1).join(), /package changed/);
  assert.match(issues(proto('message Order { int64 id = 1; string line = 2; } message Line { string sku = 1; }'), two).join(), /kind changed from message to scalar/);
  assert.match(issues(proto('message Order { int64 id = 1; repeated string item = 2; }'), v1).join(), /repeated and singular/);
});

test('protobuf: moving a field into an existing oneof is refused', () => {
  const writer = proto('message Order { int64 id = 1; string item = 2; oneof pay { string card = 3; } }');
  const reader = proto('message Order { int64 id = 1; oneof pay { string card = 3; string item = 2; } }');
  assert.match(issues(reader, writer).join(), /moved into the existing oneof pay/);
});

test('protobuf: proto2 required fields may be neither added nor removed', () => {
  const p2 = (body: string) => `syntax = "proto2";\npackage acme;\n${body}`;
  const base = p2('message Order { required int64 id = 1; }');
  assert.match(issues(p2('message Order { required int64 id = 1; required string item = 2; }'), base).join(), /required field added/);
  assert.match(issues(p2('message Order { optional string item = 2; }'), base).join(), /required field removed/);
});

test('protobuf: imports resolve through references and bundled google types', () => {
  const common = resolved('PROTOBUF', proto('message Money { int64 cents = 1; }', 'acme.common'));
  const deps = new Map([['acme/common.proto', common]]);
  const order = proto('import "acme/common.proto";\nimport "google/protobuf/timestamp.proto";\nmessage Order { acme.common.Money total = 1; google.protobuf.Timestamp at = 2; }');
  const parsed = parse('PROTOBUF', order, deps) as { messages: Map<string, unknown> };
  // Only the file's own messages count for compatibility, not those it imports.
  assert.deepEqual([...parsed.messages.keys()], ['acme.Order']);
  assert.throws(() => parse('PROTOBUF', order), /import "acme\/common.proto" is neither a schema reference/);
  // Custom options need descriptor.proto, which protobufjs ships as a file rather than a common type.
  const withOption = proto('import "google/protobuf/descriptor.proto";\nextend google.protobuf.FieldOptions { string pii = 50001; }\nmessage User { string email = 1 [(pii) = "yes"]; }');
  assert.deepEqual([...(parse('PROTOBUF', withOption) as { messages: Map<string, unknown> }).messages.keys()], ['acme.User']);
});

test('protobuf: invalid schemas are refused, and comments do not change identity', () => {
  assert.throws(() => parse('PROTOBUF', 'message { }'), /Invalid Protobuf schema/);
  assert.throws(() => parse('PROTOBUF', proto('message A { Missing m = 1; }')), /Invalid Protobuf schema/);
  assert.throws(() => parse('PROTOBUF', proto('enum E { X = 0; }')), /declares no message/);
  const h = HANDLERS.PROTOBUF;
  assert.equal(h.canonical(proto('// the order\nmessage Order {\n  int64 id = 1; /* key */\n}'), false), h.canonical(proto('message Order { int64 id = 1; }'), false));
});

test('protobuf canonical text: string literals are kept byte for byte; comment openers cost one pass', () => {
  const h = HANDLERS.PROTOBUF;
  const head = 'syntax="proto3";package acme;';
  const withOption = (value: string) => proto(`option java_package = "${value}";\nmessage Order {\n  int64 id = 1;\n}`);
  assert.notEqual(h.canonical(withOption('a/*x*/b'), false), h.canonical(withOption('a b'), false), 'a comment-like string is part of the schema');
  assert.notEqual(h.canonical(withOption('a  b'), false), h.canonical(withOption('a b'), false), 'so is its spacing');
  assert.equal(h.canonical(withOption('a; b'), false), `${head}option java_package="a; b";message Order{int64 id=1;}`);
  // An escaped quote does not end the literal; the comment after the literal goes.
  assert.equal(h.canonical(proto('message A { string s = 1 [default = "x\\" // y"]; } // end'), false), `${head}message A{string s=1[default="x\\" // y"];}`);
  // A megabyte of unterminated comment openers inside a string (a regular expression took
  // minutes over this) and outside one.
  const openers = '/* '.repeat(350_000);
  assert.match(h.canonical(withOption(openers), false), /option java_package="\/\* \/\*/);
  assert.equal(h.canonical(proto(`message A { int32 a = 1; } ${openers}`), false), `${head}message A{int32 a=1;}`);
});
