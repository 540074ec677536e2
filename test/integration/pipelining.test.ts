/**
 * Responses leave in request order even when an earlier request (a synced produce) finishes
 * after a later one (ApiVersions), and a tiny request memory budget slows large pipelined
 * produces down without losing or reordering any of them, nor stalling on frames that spent
 * the budget while still arriving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.js';
import { ApiVersions, Metadata, Produce } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

let server: LakegateProcess;

before(async () => {
  // 2 MiB budget: the 64 requests of 256 KiB below cannot all be buffered at once.
  server = await startLakegate({ args: ['--queued-max-request-bytes', String(2 * 1024 * 1024)] });
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

test('pipelined requests are answered in order, and the budget holds back without losing any', async () => {
  const c = await RawKafkaConnection.connect(server.port);
  await c.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'pipelined' }], allowAutoTopicCreation: true });
  const value = Buffer.alloc(256 * 1024, 7);
  const sent: Array<{ id: number; api: typeof Produce | typeof ApiVersions }> = [];
  for (let i = 0; i < 64; i++) {
    const records = encodeRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value }] });
    sent.push({ id: c.send(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'pipelined', partitionData: [{ index: 0, records }] }] }), api: Produce });
    sent.push({ id: c.send(ApiVersions, 3, { clientSoftwareName: 'pipeline', clientSoftwareVersion: '1' }), api: ApiVersions });
  }
  let expectedOffset = 0n;
  for (const s of sent) {
    const frame = await c.nextFrame(20_000);
    assert.ok(frame, 'connection stayed open');
    const { correlationId, body } = decodeResponse<Record<string, any>>(s.api, s.api === Produce ? 9 : 3, frame);
    assert.equal(correlationId, s.id, 'responses come back in request order');
    if (s.api === Produce) {
      const p = body.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, 0);
      assert.equal(p.baseOffset, expectedOffset++);
    }
  }
  c.close();
});

test('large frames that together spend the budget while still arriving are all read to the end and answered', async () => {
  // Three 960 KiB produce requests against the 2 MiB budget, each sent up to 720 KiB first:
  // counted as they arrived, their partial bytes spent the budget, every connection stopped
  // reading in the middle of its frame, and none of them (nor any other client) was answered.
  const setup = await RawKafkaConnection.connect(server.port);
  await setup.request(Metadata, 12, { topics: [{ topicId: Buffer.alloc(16), name: 'large-frames' }], allowAutoTopicCreation: true });
  setup.close();
  const records = encodeRecordBatch({ records: [{ value: Buffer.alloc(960 * 1024, 3) }] });
  const frame = encodeRequest(Produce, 9, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'large-frames', partitionData: [{ index: 0, records }] }] });
  const senders = await Promise.all([0, 1, 2].map(() => RawKafkaConnection.connect(server.port)));
  for (const s of senders) s.sendRaw(frame.subarray(0, 720 * 1024));
  await new Promise((r) => setTimeout(r, 500));
  for (const s of senders) s.sendRaw(frame.subarray(720 * 1024));
  const answers = await Promise.all(senders.map((s) => s.nextFrame(15_000)));
  const offsets = answers.map((a) => {
    assert.ok(a, 'answered');
    const p = decodeResponse<Record<string, any>>(Produce, 9, a).body.responses[0].partitionResponses[0];
    assert.equal(p.errorCode, 0);
    return p.baseOffset as bigint;
  });
  assert.deepEqual(offsets.sort((a, b) => (a < b ? -1 : 1)), [0n, 1n, 2n]);
  const other = await RawKafkaConnection.connect(server.port);
  const versions = await other.request<{ errorCode: number }>(ApiVersions, 3, { clientSoftwareName: 'after', clientSoftwareVersion: '1' });
  assert.equal(versions.errorCode, 0, 'the broker still answers other clients');
  for (const c of [...senders, other]) c.close();
});

test('size prefixes of large frames that never come do not hold the budget against other clients', async () => {
  // Three connections announce 1.5 MiB frames (together over the 2 MiB budget) and send nothing more.
  const idle = await Promise.all([0, 1, 2].map(() => RawKafkaConnection.connect(server.port)));
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(1536 * 1024);
  for (const c of idle) c.sendRaw(prefix);
  await new Promise((r) => setTimeout(r, 200));
  const other = await RawKafkaConnection.connect(server.port);
  const versions = await other.request<{ errorCode: number }>(ApiVersions, 3, { clientSoftwareName: 'other', clientSoftwareVersion: '1' });
  assert.equal(versions.errorCode, 0, 'another client is served');
  for (const c of [...idle, other]) c.close();
});
