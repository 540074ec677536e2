/**
 * Responses leave in request order even when an earlier request (a synced produce) finishes
 * after a later one (ApiVersions), and a tiny request memory budget slows large pipelined
 * produces down without losing or reordering any of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResponse } from '../../src/protocol/frames.js';
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
