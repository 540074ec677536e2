/**
 * Topics and their configs survive restarts with the same ids; a topic deleted while the
 * gateway crashed half-way does not come back with its old records.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;
import { dumpLog, freshDataDir, removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';

const dataDir = freshDataDir('lakegate-topics-');
let server: LakegateProcess | undefined;

after(async () => {
  await server?.stop();
  removeDir(dataDir);
});

function client(port: number): Kafka {
  return new Kafka({ clientId: 'topics', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
}

test('topic ids, partitions and configs persist; DescribeConfigs reports the override and defaults', async () => {
  server = await startLakegate({ dataDir });
  let admin = client(server.port).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: 'kept', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }] }],
  });
  const before = await admin.fetchTopicMetadata({ topics: ['kept'] });
  await admin.disconnect();
  const port = server.port;
  await server.stop();

  server = await startLakegate({ dataDir, port });
  admin = client(server.port).admin();
  await admin.connect();
  const afterMeta = await admin.fetchTopicMetadata({ topics: ['kept'] });
  assert.equal(afterMeta.topics[0].partitions.length, 3);
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kept' }], includeSynonyms: false });
  const entries = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
  assert.equal(entries.get('retention.ms')?.configValue, '3600000');
  assert.equal(entries.get('retention.ms')?.isDefault, false);
  assert.equal(entries.get('message.timestamp.type')?.configValue, 'LogAppendTime');
  assert.equal(entries.get('max.message.bytes')?.configValue, '1048588');
  assert.equal(entries.get('max.message.bytes')?.isDefault, true);
  assert.equal(entries.get('retention.ms')?.readOnly, false);
  // The broker's settings are static: read-only, as Kafka marks what needs a restart.
  const nodeId = String((await admin.describeCluster()).brokers[0]!.nodeId);
  const brokerConfigs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: nodeId }], includeSynonyms: false });
  const brokerEntries = new Map(brokerConfigs.resources[0].configEntries.map((e) => [e.configName, e]));
  assert.equal(brokerEntries.get('node.id')?.readOnly, true);
  assert.equal(brokerEntries.get('num.partitions')?.readOnly, true);
  assert.equal(before.topics[0].name, afterMeta.topics[0].name);
  await admin.disconnect();
});

test('a DeleteTopics interrupted after unregistering does not resurrect old records', async () => {
  assert.ok(server);
  const kafka = client(server.port);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'ghost', messages: [{ value: 'old-1' }, { value: 'old-2' }] });
  await producer.disconnect();
  const port = server.port;
  await server.kill9();
  // The crash struck between the registry update (which records the deletion) and the log deletion.
  const file = path.join(dataDir, 'meta', 'topics.json');
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { topics: Array<{ name: string }> };
  writeFileSync(file, JSON.stringify({ topics: stored.topics.filter((t) => t.name !== 'ghost'), deleting: ['ghost'] }));

  server = await startLakegate({ dataDir, port });
  const admin = client(server.port).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'ghost', numPartitions: 1 }] });
  const offsets = await admin.fetchTopicOffsets('ghost');
  assert.equal(offsets[0].high, '0', 'the re-created topic starts empty');
  await admin.deleteTopics({ topics: ['ghost'] });
  assert.deepEqual((await admin.listTopics()).sort(), ['kept']);
  await admin.disconnect();
});

test('logs that meta/topics.json does not list (it was lost) are kept, and lakegate refuses to start until it is back', async () => {
  assert.ok(server);
  const kafka = client(server.port);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'precious', messages: [{ value: 'p-1' }, { value: 'p-2' }] });
  await producer.disconnect();
  const port = server.port;
  await server.stop();
  const file = path.join(dataDir, 'meta', 'topics.json');
  const saved = readFileSync(file, 'utf8');
  rmSync(file);
  const refused = await startLakegate({ dataDir, port }).then(
    async (started) => {
      await started.stop();
      return null;
    },
    (err: Error) => err,
  );
  assert.ok(refused, 'lakegate started without its topics registry');
  assert.match(refused.message, /log directories of \d+ topic\(s\) that meta\/topics.json does not list: (.+, )?kept, precious\. Restore meta\/topics.json/);
  assert.deepEqual(dumpLog(dataDir, 'precious', 0).map((r) => Buffer.from(r.value as string, 'base64').toString()), ['p-1', 'p-2']);
  writeFileSync(file, saved);
  server = await startLakegate({ dataDir, port });
  const admin = client(server.port).admin();
  await admin.connect();
  assert.equal((await admin.fetchTopicOffsets('precious'))[0].high, '2');
  await admin.disconnect();
});
