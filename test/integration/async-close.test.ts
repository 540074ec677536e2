/**
 * A request whose close is decided after it was dispatched (an acks=0 produce whose append
 * fails later) stops the connection from reading as a request closed at once does: frames
 * sent behind it are not run, appended or answered, while the request before it still is.
 * The real Kafka listener on a real TCP socket over a real broker, with one log's appends held
 * back or failed so the order of events is fixed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Broker, type TopicRuntime } from '../../src/broker-api/broker.js';
import { KafkaServer } from '../../src/broker-api/server.js';
import { resolveConfig } from '../../src/config.js';
import { decodeResponse } from '../../src/protocol/frames.js';
import { ApiVersions, Produce } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';
import { freshDataDir, removeDir } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

let dataDir: string;
let broker: Broker;
let server: KafkaServer;
let port: number;

before(async () => {
  dataDir = freshDataDir();
  broker = await Broker.open(resolveConfig({ 'data-dir': dataDir, fsync: 'os' }, {}));
  server = new KafkaServer(broker);
  port = await server.listen('127.0.0.1', 0);
});

after(async () => {
  await server.close();
  await broker.close();
  removeDir(dataDir);
});

type Log = TopicRuntime['logs'][number];

/** Appends to `log` are written at once but answered only when the returned function is called. */
function holdAnswers(log: Log): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const append = log.append.bind(log);
  log.append = (...args) => append(...args).then(async (r) => (await gate, r));
  return release;
}

/** Appends to `log` fail a moment after they are issued, as a failed write would. */
function failAppends(log: Log): void {
  log.append = () => sleep(20).then(() => Promise.reject(new Error('injected write failure')));
}

const batch = (value: string) => encodeRecordBatch({ records: [{ value: Buffer.from(value) }] });
const produce = (topic: string, acks: number, value: string) => ({ transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(value) }] }] });

test('frames behind an acks=0 produce whose append fails later are neither run nor answered', async () => {
  const slow = await broker.createTopic('held', 1, {});
  const failing = await broker.createTopic('failing', 1, {});
  const other = await broker.createTopic('other', 1, {});
  const release = holdAnswers(slow.logs[0]);
  failAppends(failing.logs[0]);

  const c = await RawKafkaConnection.connect(port);
  const first = c.send(Produce, 9, produce('held', -1, 'before')); // answered only once released
  c.send(Produce, 9, produce('failing', 0, 'closes')); // acks=0: its failure closes the connection
  await sleep(200); // the close is decided now, while the first request is still unanswered
  c.send(Produce, 9, produce('other', -1, 'behind'));
  c.send(ApiVersions, 3, { clientSoftwareName: 'behind', clientSoftwareVersion: '1' });
  await sleep(200);
  release();

  const answer = await c.nextFrame();
  assert.ok(answer, 'the request before the closing one is answered');
  const decoded = decodeResponse<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(Produce, 9, answer);
  assert.equal(decoded.correlationId, first);
  assert.equal(decoded.body.responses[0].partitionResponses[0].errorCode, 0);
  assert.equal(await c.closedByServer(), true, 'then the connection closes, with nothing else answered');
  assert.equal(other.logs[0].logEndOffset, 0n, 'the produce sent behind the closing one was not appended');
});
