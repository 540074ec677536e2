/**
 * Acceptance for validation=reject against a real lakegate: schemas registered over the
 * registry's HTTP API, a topic created with kafkajs' admin, raw Produce requests carrying
 * exactly the bytes chosen (good and bad batches in one request), and the unmodified kafkajs
 * producer with the Confluent serializer end to end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ListOffsets, Produce } from '../../src/protocol/messages/index.js';
import { CompressionCodec } from '../../src/protocol/records/compression/index.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';
import { dumpLog, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

const TOPIC = 'orders';
const PLAIN = 'plain';
const orderSchema = { type: 'record', name: 'Order', namespace: 'acme', fields: [{ name: 'id', type: 'long' }, { name: 'item', type: 'string' }] };
const orderType = avro.Type.forSchema(orderSchema as avro.Schema);

let server: LakegateProcess;
let kafka: Kafka;
let registryUrl = '';
let orderId = 0;
let otherSubjectId = 0;

interface PartitionAnswer {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  errorMessage: string | null;
  recordErrors?: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
}
interface ProduceAnswer {
  responses: Array<{ name: string; partitionResponses: PartitionAnswer[] }>;
}

async function register(subject: string, schemaType: string, schema: unknown): Promise<number> {
  const res = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType, schema: JSON.stringify(schema) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: number }).id;
}

const framed = (id: number, payload: Buffer) => {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(id, 1);
  return Buffer.concat([prefix, payload]);
};
const order = (id: number) => framed(orderId, orderType.toBuffer({ id, item: `item-${id}` }));
const batchOf = (values: Buffer[], codec: number = CompressionCodec.None) => encodeRecordBatch({ records: values.map((value) => ({ value })), codec });

async function endOffsets(topic: string, partitions: number[]): Promise<bigint[]> {
  const c = await RawKafkaConnection.connect(server.port);
  try {
    const res = await c.request<{ topics: Array<{ partitions: Array<{ offset: bigint }> }> }>(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
    });
    return res.topics[0].partitions.map((p) => p.offset);
  } finally {
    c.close();
  }
}

before(async () => {
  server = await startLakegate();
  registryUrl = `http://127.0.0.1:${server.httpPort}`;
  kafka = new Kafka({ clientId: 'validation-test', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING });
  orderId = await register(`${TOPIC}-value`, 'AVRO', orderSchema);
  otherSubjectId = await register('elsewhere-value', 'JSON', { type: 'object' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 3, configEntries: [{ name: 'validation', value: 'reject' }, { name: 'table.format', value: 'none' }] },
        { topic: PLAIN, numPartitions: 1, configEntries: [{ name: 'table.format', value: 'none' }] },
      ],
    });
    await assert.rejects(
      admin.createTopics({ topics: [{ topic: 'bad-validation', configEntries: [{ name: 'validation', value: 'strict' }] }] }),
      (err: any) => err.errors?.length === 1 && err.errors[0].type === 'INVALID_CONFIG',
    );
  } finally {
    await admin.disconnect();
  }
});

after(async () => {
  await server?.stop();
  if (server) removeDir(server.dataDir);
});

test('Produce v9: a batch with bad records gets INVALID_RECORD naming them; a good batch to another partition and a plain topic succeed', async () => {
  const truncated = order(4);
  const bad = batchOf(
    [
      order(1),
      orderType.toBuffer({ id: 2, item: 'no magic byte' }),
      framed(424242, orderType.toBuffer({ id: 3, item: 'unknown id' })),
      framed(otherSubjectId, Buffer.from('{}')),
      truncated.subarray(0, truncated.length - 3),
      order(5),
    ],
    CompressionCodec.Lz4,
  );
  const c = await RawKafkaConnection.connect(server.port);
  try {
    const res = await c.request<ProduceAnswer>(Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { name: TOPIC, partitionData: [{ index: 0, records: batchOf([order(10), order(11), order(12)], CompressionCodec.Snappy) }, { index: 1, records: bad }] },
        { name: PLAIN, partitionData: [{ index: 0, records: batchOf([Buffer.from('not framed at all')]) }] },
      ],
    });
    const [good, refused] = res.responses[0].partitionResponses;
    assert.equal(good.errorCode, ErrorCode.NONE);
    assert.equal(good.baseOffset, 0n);
    assert.equal(refused.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(refused.recordErrors?.map((e) => e.batchIndex), [1, 2, 3, 4]);
    const [noMagic, unknown, otherSubject, cut] = refused.recordErrors!.map((e) => e.batchIndexErrorMessage ?? '');
    assert.match(noMagic, /magic byte 0/);
    assert.match(unknown, /schema id 424242 is not registered under subject orders-value/);
    assert.match(otherSubject, new RegExp(`schema id ${otherSubjectId} is not registered under subject orders-value`));
    assert.match(cut, /Avro acme\.Order/);
    assert.match(refused.errorMessage ?? '', /^4 of 6 records are not valid for subject orders-value/);
    assert.equal(res.responses[1].partitionResponses[0].errorCode, ErrorCode.NONE, 'validation is per topic');
  } finally {
    c.close();
  }
  assert.deepEqual(await endOffsets(TOPIC, [0, 1]), [3n, 0n], 'nothing of the refused batch was stored');
});

test('Produce v7 (no RecordErrors in the protocol) still refuses the batch with INVALID_RECORD', async () => {
  const c = await RawKafkaConnection.connect(server.port);
  try {
    const res = await c.request<ProduceAnswer>(Produce, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 2, records: batchOf([order(1), Buffer.from('plain text')]) }] }],
    });
    assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD);
  } finally {
    c.close();
  }
  assert.deepEqual(await endOffsets(TOPIC, [2]), [0n]);
});

test('pipelined requests to one partition are appended in the order sent, a refused batch in between', async () => {
  const c = await RawKafkaConnection.connect(server.port);
  const body = (records: Buffer) => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 2, records }] }] });
  try {
    // Sent back to back without waiting. The first batch uses a schema version the worker has
    // not seen, so its check takes a second round (fetching the schema) while the later ones,
    // using the cached first version, are decided at once: without per-partition ordering
    // they would be appended first.
    const v2Schema = { ...orderSchema, fields: [...orderSchema.fields, { name: 'qty', type: 'int', default: 1 }] };
    const v2Id = await register(`${TOPIC}-value`, 'AVRO', v2Schema);
    const v2Type = avro.Type.forSchema(v2Schema as avro.Schema);
    const first = batchOf(Array.from({ length: 2000 }, (_, i) => framed(v2Id, v2Type.toBuffer({ id: i, item: 'v2', qty: 2 }))), CompressionCodec.Gzip);
    const sent = [first, batchOf([Buffer.from('bad')]), batchOf([order(1), order(2)]), batchOf([order(3)])];
    for (const records of sent) c.send(Produce, 9, body(records));
    const answers: PartitionAnswer[] = [];
    for (let i = 0; i < sent.length; i++) {
      const frame = await c.nextFrame(15_000);
      assert.ok(frame);
      const { decodeResponse } = await import('../../src/protocol/frames.js');
      answers.push(decodeResponse<ProduceAnswer>(Produce, 9, frame).body.responses[0].partitionResponses[0]);
    }
    assert.deepEqual(
      answers.map((a) => [a.errorCode, a.baseOffset]),
      [
        [ErrorCode.NONE, 0n],
        [ErrorCode.INVALID_RECORD, -1n],
        [ErrorCode.NONE, 2000n],
        [ErrorCode.NONE, 2002n],
      ],
    );
  } finally {
    c.close();
  }
  const offsets = dumpLog(server.dataDir, TOPIC, 2).map((r) => r.offset);
  assert.deepEqual(offsets.slice(-3), [2000, 2001, 2002]);
});

test('kafkajs with the Confluent serializer: good records are acknowledged, a bad one is refused, ListOffsets counts exactly the accepted', async () => {
  const before = (await endOffsets(TOPIC, [0, 1, 2])).reduce((a, b) => a + b, 0n);
  const registry = new SchemaRegistry({ host: registryUrl });
  // The first version, which every earlier test registered; a later one added v2.
  const id = await registry.getRegistryIdBySchema(`${TOPIC}-value`, { type: SchemaType.AVRO, schema: JSON.stringify(orderSchema) });
  assert.equal(id, orderId);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
  await producer.connect();
  try {
    const messages = await Promise.all(Array.from({ length: 20 }, async (_, i) => ({ key: `k${i}`, value: await registry.encode(id, { id: i, item: `via-kafkajs-${i}` }) })));
    await producer.send({ topic: TOPIC, messages });
    await assert.rejects(producer.send({ topic: TOPIC, messages: [{ key: 'x', value: Buffer.from('{"id":1}') }] }), (err: any) => /INVALID_RECORD|not valid/i.test(`${err.type ?? ''} ${err.message}`));
  } finally {
    await producer.disconnect();
  }
  const afterCount = (await endOffsets(TOPIC, [0, 1, 2])).reduce((a, b) => a + b, 0n);
  assert.equal(afterCount - before, 20n);
  // dump-log --json gives values in base64; the stored ones decode back with the registry.
  const stored = [0, 1, 2].flatMap((p) => dumpLog(server.dataDir, TOPIC, p));
  const items = await Promise.all(stored.map(async (r) => ((await registry.decode(Buffer.from(r.value ?? '', 'base64'))) as { item: string }).item));
  assert.equal(items.filter((item) => item.startsWith('via-kafkajs-')).length, 20);
});
