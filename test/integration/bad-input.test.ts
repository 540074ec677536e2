/**
 * Acceptance: each kind of bad input gets the error code a real Kafka broker returns, or the
 * connection is closed where Kafka closes it; the process keeps running and other
 * connections keep being served.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.js';
import { ApiVersions, CreateTopics, InitProducerId, ListOffsets, Metadata, Produce } from '../../src/protocol/messages/index.js';
import { BatchLayout, computeBatchCrc } from '../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

let server: LakegateProcess;
const open: RawKafkaConnection[] = [];

async function connect(): Promise<RawKafkaConnection> {
  const c = await RawKafkaConnection.connect(server.port);
  open.push(c);
  return c;
}

before(async () => {
  server = await startLakegate();
  const c = await connect();
  const created = await c.request<{ topics: Array<{ errorCode: number }> }>(CreateTopics, 7, {
    topics: [
      { name: 'bad-input', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'small-messages', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'max.message.bytes', value: '1000' }] },
    ],
  });
  assert.deepEqual(created.topics.map((t) => t.errorCode), [0, 0]);
});

afterEach(async () => {
  // After every bad input: the process is alive and a fresh connection is served.
  assert.equal(server.child.exitCode, null, `lakegate exited:\n${server.output()}`);
  const c = await connect();
  const res = await c.request<{ errorCode: number; apiKeys: unknown[] }>(ApiVersions, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
  assert.equal(res.errorCode, 0);
  assert.ok(res.apiKeys.length > 5);
  for (const conn of open.splice(0)) conn.close();
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

function batch(opts: Parameters<typeof encodeRecordBatch>[0] | null = null): Buffer {
  return encodeRecordBatch(opts ?? { records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
}

/** Produce v9 (flexible) of one batch to one partition; returns that partition's answer. */
async function produce(records: Buffer, opts: { topic?: string; partition?: number; version?: number; acks?: number } = {}) {
  const c = await connect();
  const res = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint; errorMessage: string | null }> }> }>(
    Produce,
    opts.version ?? 9,
    { transactionalId: null, acks: opts.acks ?? -1, timeoutMs: 5000, topicData: [{ name: opts.topic ?? 'bad-input', partitionData: [{ index: opts.partition ?? 0, records }] }] },
  );
  return res.responses[0].partitionResponses[0];
}

function withCrcFixed(b: Buffer): Buffer {
  b.writeUInt32BE(computeBatchCrc(b), BatchLayout.CRC);
  return b;
}

test('a size prefix above socket.request.max.bytes closes the connection unread', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  assert.equal(await c.closedByServer(), true);
});

test('a negative size prefix closes the connection', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
  assert.equal(await c.closedByServer(), true);
});

test('a TLS ClientHello sent to the plaintext port closes the connection', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('16030100c4010000c00303', 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('a frame shorter than a request header closes the connection', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('00000003000300', 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('a truncated body inside a complete frame closes the connection', async () => {
  const c = await connect();
  // Metadata v1 claiming 5 topics with none present.
  c.sendRaw(Buffer.from('0000000e 0003 0001 00000001 ffff 00000005'.replace(/ /g, ''), 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('garbage that claims a hostile array length closes the connection without allocating', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('0000000e 0003 0001 00000001 ffff 7fffffff'.replace(/ /g, ''), 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('an unknown API key closes the connection', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('0000000a 03e7 0000 00000001 ffff'.replace(/ /g, ''), 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('requests received behind one that closes the connection are not run', async () => {
  const endOffset = async () => {
    const q = await connect();
    const r = await q.request<{ topics: Array<{ partitions: Array<{ offset: bigint }> }> }>(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'small-messages', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    });
    return r.topics[0].partitions[0].offset;
  };
  const before = await endOffset();
  const c = await connect();
  const produceFrame = (topic: string, partition: number, id: number) =>
    encodeRequest(Produce, 9, id, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch() }] }] });
  // One write: a produce (answered after its sync), an unknown API key, another produce.
  c.sendRaw(Buffer.concat([produceFrame('bad-input', 1, 1), Buffer.from('0000000a03e70000' + '00000002ffff', 'hex'), produceFrame('small-messages', 0, 3)]));
  const first = await c.nextFrame();
  assert.ok(first, 'the request before the bad one is answered');
  assert.equal(decodeResponse<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(Produce, 9, first).body.responses[0].partitionResponses[0].errorCode, 0);
  assert.equal(await c.closedByServer(), true, 'then the connection closes');
  assert.equal(await endOffset(), before, 'the produce behind the bad request was not appended');
});

test('ApiVersions at an unknown version gets the v0 answer with UNSUPPORTED_VERSION and the list', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('0000000b 0012 0063 0000002a ffff 00'.replace(/ /g, ''), 'hex'));
  const frame = await c.nextFrame();
  assert.ok(frame);
  assert.equal(frame.readInt32BE(0), 42, 'correlation id echoed');
  assert.equal(frame.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
  const count = frame.readInt32BE(6);
  assert.ok(count >= 8, 'the supported list comes with the error');
});

test('another API at an unsupported version closes the connection', async () => {
  const c = await connect();
  c.sendRaw(Buffer.from('0000000e 0003 0063 00000001 ffff ffffffff'.replace(/ /g, ''), 'hex'));
  assert.equal(await c.closedByServer(), true);
});

test('ApiVersions v3 with an invalid client software name answers INVALID_REQUEST', async () => {
  const c = await connect();
  const res = await c.request<{ errorCode: number }>(ApiVersions, 3, { clientSoftwareName: '-bad name-', clientSoftwareVersion: '1.0' });
  assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
});

test('invalid topic names get INVALID_TOPIC_EXCEPTION from Metadata and CreateTopics', async () => {
  const c = await connect();
  const names = ['has space', 'slash/ed', '.', '..', 'x'.repeat(250), 'ümlaut'];
  const meta = await c.request<{ topics: Array<{ name: string; errorCode: number }> }>(Metadata, 12, {
    topics: names.map((name) => ({ topicId: Buffer.alloc(16), name })),
    allowAutoTopicCreation: true,
  });
  assert.deepEqual(meta.topics.map((t) => t.errorCode), names.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
  const created = await c.request<{ topics: Array<{ errorCode: number; errorMessage: string }> }>(CreateTopics, 7, {
    topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
  });
  assert.deepEqual(created.topics.map((t) => t.errorCode), names.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
  assert.match(created.topics[0].errorMessage, /illegal/);
});

test('CreateTopics validation: existing topic, bad partitions, replication factor, unknown config', async () => {
  const c = await connect();
  const created = await c.request<{ topics: Array<{ name: string; errorCode: number }> }>(CreateTopics, 7, {
    topics: [
      { name: 'bad-input', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'zero-partitions', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'rf-three', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
      { name: 'unknown-config', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such.config', value: '1' }] },
      { name: 'bad-config-value', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
    ],
  });
  assert.deepEqual(
    created.topics.map((t) => t.errorCode),
    [ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG],
  );
});

test('CreateTopics: more than 10,000 partitions in one request are refused with POLICY_VIOLATION, and nothing is created', async () => {
  const c = await connect();
  const created = await c.request<{ topics: Array<{ name: string; errorCode: number; errorMessage: string }> }>(CreateTopics, 7, {
    topics: [
      { name: 'huge', numPartitions: 2_147_483_647, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'fits', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'over-the-rest', numPartitions: 9_999, replicationFactor: 1, assignments: [], configs: [] },
    ],
  });
  assert.deepEqual(created.topics.map((t) => t.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.NONE, ErrorCode.POLICY_VIOLATION]);
  assert.match(created.topics[0].errorMessage, /Excessively large number of partitions per request/);
  const meta = await c.request<{ topics: Array<{ name: string; errorCode: number }> }>(Metadata, 12, {
    topics: [{ topicId: Buffer.alloc(16), name: 'huge' }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.equal(meta.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('a CRC mismatch gets CORRUPT_MESSAGE and nothing is appended', async () => {
  const b = batch();
  b[b.length - 1] ^= 0xff;
  const r = await produce(b);
  assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE);
  const c = await connect();
  const offsets = await c.request<{ topics: Array<{ partitions: Array<{ offset: bigint }> }> }>(ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'bad-input', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
  });
  assert.equal(offsets.topics[0].partitions[0].offset, 0n);
});

test('a wrong magic byte gets INVALID_RECORD', async () => {
  const b = batch();
  b.writeInt8(1, BatchLayout.MAGIC);
  assert.equal((await produce(b)).errorCode, ErrorCode.INVALID_RECORD);
});

test('an unknown codec id gets CORRUPT_MESSAGE', async () => {
  const b = batch();
  b.writeInt16BE(6, BatchLayout.ATTRIBUTES);
  assert.equal((await produce(withCrcFixed(b))).errorCode, ErrorCode.CORRUPT_MESSAGE);
});

test('zstd below Produce v7 gets UNSUPPORTED_COMPRESSION_TYPE', async () => {
  const b = batch({ records: [{ value: Buffer.from('zstd me') }], codec: 4 });
  assert.equal((await produce(b, { version: 6 })).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('a batch truncated inside the request gets INVALID_RECORD', async () => {
  assert.equal((await produce(batch().subarray(0, 40))).errorCode, ErrorCode.INVALID_RECORD);
});

test('two batches in one partition get INVALID_RECORD', async () => {
  assert.equal((await produce(Buffer.concat([batch(), batch()]))).errorCode, ErrorCode.INVALID_RECORD);
});

test('a control batch from a producer gets INVALID_RECORD', async () => {
  const b = batch();
  b.writeInt16BE(0x20, BatchLayout.ATTRIBUTES);
  assert.equal((await produce(withCrcFixed(b))).errorCode, ErrorCode.INVALID_RECORD);
});

test('a record count that disagrees with lastOffsetDelta gets INVALID_RECORD', async () => {
  const b = batch();
  b.writeInt32BE(5, BatchLayout.RECORDS_COUNT);
  assert.equal((await produce(withCrcFixed(b))).errorCode, ErrorCode.INVALID_RECORD);
});

test('a producer id with a negative sequence gets INVALID_RECORD', async () => {
  const b = batch({ records: [{ value: Buffer.from('v') }], producerId: 5n, producerEpoch: 0, baseSequence: -1 });
  assert.equal((await produce(b)).errorCode, ErrorCode.INVALID_RECORD);
});

test('an unknown partition and an unknown topic get UNKNOWN_TOPIC_OR_PARTITION', async () => {
  assert.equal((await produce(batch(), { partition: 7 })).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await produce(batch(), { topic: 'never-created' })).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('a batch above the topic max.message.bytes gets MESSAGE_TOO_LARGE', async () => {
  const b = batch({ records: [{ value: Buffer.alloc(2000, 1) }] });
  assert.equal((await produce(b, { topic: 'small-messages' })).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
});

test('acks other than -1, 0, 1 get INVALID_REQUIRED_ACKS', async () => {
  assert.equal((await produce(batch(), { acks: 2 })).errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
});

test('Produce v2 (message format 0/1 era) is answered with UNSUPPORTED_VERSION', async () => {
  assert.equal((await produce(batch(), { version: 2 })).errorCode, ErrorCode.UNSUPPORTED_VERSION);
});

test('acks=0 with a bad batch closes the connection instead of answering', async () => {
  const c = await connect();
  const b = batch();
  b[b.length - 1] ^= 0xff;
  c.send(Produce, 9, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: b }] }] });
  assert.equal(await c.closedByServer(), true);
});

test('idempotence: duplicate gets its original offset, a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH', async () => {
  const c = await connect();
  const init = await c.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(InitProducerId, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60000,
  });
  assert.equal(init.errorCode, 0);
  const pid = init.producerId;
  const seq = (baseSequence: number, producerEpoch = 0, n = 2) =>
    batch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`r${i}`) })), producerId: pid, producerEpoch, baseSequence });
  const first = await produce(seq(0), { partition: 1 });
  assert.equal(first.errorCode, 0);
  const second = await produce(seq(2), { partition: 1 });
  assert.equal(second.errorCode, 0);
  assert.equal(second.baseOffset, first.baseOffset + 2n);
  const dup = await produce(seq(0), { partition: 1 });
  assert.equal(dup.errorCode, 0);
  assert.equal(dup.baseOffset, first.baseOffset, 'a retried batch is answered with its original offset');
  assert.equal((await produce(seq(7), { partition: 1 })).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // An idempotent producer bumps its epoch itself (KIP-360): the new epoch starts at sequence 0.
  assert.equal((await produce(seq(5, 1), { partition: 1 })).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal((await produce(seq(0, 1), { partition: 1 })).errorCode, 0);
  assert.equal((await produce(seq(4, 0), { partition: 1 })).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  // Presenting its id and epoch gets a new id, as from Kafka: never the same id back.
  const again = await c.request<{ errorCode: number; producerId: bigint; producerEpoch: number }>(InitProducerId, 4, {
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: pid,
    producerEpoch: 1,
  });
  assert.equal(again.errorCode, 0);
  assert.notEqual(again.producerId, pid);
  assert.equal(again.producerEpoch, 0);
});

test('a transactional InitProducerId is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED', async () => {
  const c = await connect();
  const res = await c.request<{ errorCode: number }>(InitProducerId, 4, { transactionalId: 'tx-1', transactionTimeoutMs: 60000 });
  assert.equal(res.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
});
