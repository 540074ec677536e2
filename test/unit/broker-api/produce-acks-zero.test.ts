/**
 * Produce with acks=0 where one partition fails at once (an unknown topic) and another one's
 * append is still being written: the request's result, which lets the connection give the
 * request's memory back to the pool, must not settle before that append is done. It used to
 * be CLOSE_CONNECTION at once, and the pending append then wrote whatever the next request
 * put into the reused memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Broker } from '../../../src/broker-api/broker.js';
import { CLOSE_CONNECTION, NO_RESPONSE } from '../../../src/broker-api/handler.js';
import { produceHandler } from '../../../src/broker-api/handlers/produce.js';
import type { ProduceRequest } from '../../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';

function slowLog() {
  let finish!: () => void;
  const written = new Promise<void>((resolve) => (finish = resolve));
  const log = {
    appended: 0,
    append() {
      log.appended++;
      return written.then(() => ({ baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n }));
    },
  };
  return { log, finish };
}

function brokerWith(log: object): Broker {
  const runtime = { logs: [log], maxMessageBytes: 1 << 20, rejectInvalidRecords: false, logAppendTime: false };
  return { topic: (name: string) => (name === 'good' ? runtime : undefined) } as unknown as Broker;
}

const batch = encodeRecordBatch({ records: [{ value: Buffer.from('v') }] });
const request = (names: string[]): ProduceRequest =>
  ({ transactionalId: null, acks: 0, timeoutMs: 1000, topicData: names.map((name) => ({ name, partitionData: [{ index: 0, records: batch }] })) }) as ProduceRequest;
const ctx = (broker: Broker) => ({ broker, header: { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: null }, peer: 'test' }) as never;

test('acks=0: a partition that fails at once closes the connection only after the other appends are written', async () => {
  const { log, finish } = slowLog();
  const result = produceHandler.handle(ctx(brokerWith(log)), request(['good', 'gone']));
  assert.equal(log.appended, 1, 'the good partition was appended');
  assert.ok(result instanceof Promise, 'the result waits for the append');
  let settled = false;
  void result.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, 'not settled while the append is being written');
  finish();
  assert.equal(await result, CLOSE_CONNECTION);
});

test('acks=0: nothing pending and nothing failed is no response; a failure alone closes at once', async () => {
  const { log, finish } = slowLog();
  finish();
  assert.equal(await produceHandler.handle(ctx(brokerWith(log)), request(['good'])), NO_RESPONSE);
  assert.equal(produceHandler.handle(ctx(brokerWith(log)), request(['gone'])), CLOSE_CONNECTION);
});
