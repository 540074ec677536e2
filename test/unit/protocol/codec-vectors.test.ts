/**
 * The codec against byte vectors written out field by field from the protocol guide, plus
 * round trips of every API at every supported version, plus hostile lengths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/frames.js';
import { ApiVersions, Metadata, Produce, API_SCHEMAS } from '../../../src/protocol/messages/index.js';
import { decodeStruct } from '../../../src/protocol/schema/codec.js';
import { Reader, MalformedMessageError } from '../../../src/protocol/reader.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('ApiVersions v3 request as librdkafka sends it (header v2, compact strings, tagged fields)', () => {
  const frame = hex(`
    0012 0003 00000007            -- api key 18, version 3, correlation id 7
    0007 7264 6b61 6663 61        -- client id "rdkafca" (int16 length even in header v2)
    00                            -- header tagged fields: none
    0b 6c69 6272 646b 6166 6b61   -- compact string "librdkafka" (10 + 1)
    06 322e 362e 31               -- compact string "2.6.1"
    00                            -- body tagged fields: none
  `.replace(/--[^\n]*/g, ''));
  const { header, body } = decodeRequest<{ clientSoftwareName: string; clientSoftwareVersion: string }>(ApiVersions, frame);
  assert.deepEqual(header, { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'rdkafca' });
  assert.equal(body.clientSoftwareName, 'librdkafka');
  assert.equal(body.clientSoftwareVersion, '2.6.1');
  // And back: the encoder produces the same bytes (size prefix aside).
  assert.deepEqual(encodeRequest(ApiVersions, 3, 7, body, 'rdkafca').subarray(4), frame);
});

test('ApiVersions v3 response keeps response header v0 while the body is flexible', () => {
  const bytes = encodeResponse(ApiVersions, 3, 9, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 12 }], throttleTimeMs: 0 });
  assert.deepEqual(
    bytes,
    hex(`
      00000013       -- size 19
      00000009       -- correlation id, and no header tagged-field byte
      0000           -- error code
      02 0000 0000 000c 00   -- compact array of 1: key 0, 0..12, element tags
      00000000       -- throttle
      00             -- body tags
    `.replace(/--[^\n]*/g, '')),
  );
});

test('ApiVersions v0 error body, the answer to a version we do not know', () => {
  const bytes = encodeResponse(ApiVersions, 0, 3, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] });
  assert.deepEqual(bytes, hex('00000010 00000003 0023 00000001 0012 0000 0004'));
});

test('Metadata v1 request with null topics means all topics', () => {
  const frame = hex('0003 0001 00000001 ffff ffffffff');
  const { header, body } = decodeRequest<{ topics: unknown }>(Metadata, frame);
  assert.equal(header.clientId, null);
  assert.equal(body.topics, null);
});

test('Produce v9 response writes a default tagged field as nothing and a set one with its tag', () => {
  const partition = { index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
  const plain = encodeResponse(Produce, 10, 1, { responses: [{ name: 't', partitionResponses: [partition] }], throttleTimeMs: 0 });
  const withLeader = encodeResponse(Produce, 10, 1, {
    responses: [{ name: 't', partitionResponses: [{ ...partition, currentLeader: { leaderId: 1, leaderEpoch: 0 } }] }],
    throttleTimeMs: 0,
  });
  // tag 0, size 9, then the struct: int32 1, int32 0 and its own empty tag block: +11 bytes.
  assert.equal(withLeader.length, plain.length + 11);
  const decoded = decodeResponse<{ responses: Array<{ partitionResponses: Array<{ currentLeader: { leaderId: number } }> }> }>(Produce, 10, withLeader.subarray(4));
  assert.equal(decoded.body.responses[0].partitionResponses[0].currentLeader.leaderId, 1);
});

test('every API round-trips its default request and response at every supported version', () => {
  for (const api of API_SCHEMAS.values()) {
    for (let v = api.versions.min; v <= api.versions.max; v++) {
      const reqFrame = encodeRequest(api, v, 42, {}).subarray(4);
      const { header, body } = decodeRequest(api, reqFrame);
      assert.equal(header.apiVersion, v);
      assert.deepEqual(encodeRequest(api, v, 42, body).subarray(4), reqFrame, `${api.name} v${v} request`);
      const resFrame = encodeResponse(api, v, 42, {}).subarray(4);
      const decoded = decodeResponse(api, v, resFrame);
      assert.deepEqual(encodeResponse(api, v, 42, decoded.body).subarray(4), resFrame, `${api.name} v${v} response`);
    }
  }
});

test('hostile lengths fail as MalformedMessageError before any allocation', () => {
  // Metadata v1 claiming 2^31-1 topics in a 4-byte body.
  assert.throws(() => decodeRequest(Metadata, hex('0003 0001 00000001 ffff 7fffffff')), MalformedMessageError);
  // A string claiming 32767 bytes with 2 present.
  assert.throws(() => decodeRequest(Metadata, hex('0003 0001 00000001 ffff 00000001 7fff 6162')), MalformedMessageError);
  // Compact array length as an over-long varint.
  assert.throws(() => decodeStruct(Metadata.request, new Reader(hex('ffffffffff0f')), 9, true), MalformedMessageError);
  // Null where the version does not allow it (Metadata v0 topics).
  assert.throws(() => decodeRequest(Metadata, hex('0003 0000 00000001 ffff ffffffff')), MalformedMessageError);
  // Truncated in the middle of a field.
  assert.throws(() => decodeRequest(Produce, hex('0000 0003 00000001 ffff ffff 0001')), MalformedMessageError);
});
