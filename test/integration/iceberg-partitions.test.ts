/**
 * table.partition.by=identity and identity:<column> end to end: records from kafkajs land in
 * files whose manifest partition value, data directory and rows all agree, under the
 * partition spec the table metadata declares; a transform that does not exist is refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { createTopic, kafkaClient } from '../support/kafka-client.js';
import { readIcebergTable, waitForTableCaughtUp } from '../support/iceberg-table-reader.js';

const servers: LakegateProcess[] = [];

after(async () => {
  for (const s of servers) {
    await s.stop();
    removeDir(s.dataDir);
  }
});

test('identity partitions: manifest values, spec, directories and rows agree', async () => {
  const server = await startLakegate({});
  servers.push(server);
  await createTopic(kafkaClient(server.port, 0), 'by_region', 2, { 'value.format': 'json', 'value.json.columns': 'region:string,n:long', 'table.partition.by': 'identity:region' });
  await createTopic(kafkaClient(server.port, 0), 'by_kafka', 3, { 'value.format': 'json', 'table.partition.by': 'identity' });
  const producer = kafkaClient(server.port, 0).producer();
  await producer.connect();
  const regions = ['eu', 'us', 'ap south', null];
  const messages = Array.from({ length: 400 }, (_, n) => {
    const region = regions[n % regions.length];
    return { partition: n % 2, value: JSON.stringify(region === null ? { n } : { region, n }) };
  });
  await producer.send({ topic: 'by_region', acks: -1, messages });
  await producer.send({ topic: 'by_kafka', acks: -1, messages: messages.map((m, n) => ({ ...m, partition: n % 3 })) });
  await producer.disconnect();
  await waitForTableCaughtUp(server.httpPort, 'by_region');
  await waitForTableCaughtUp(server.httpPort, 'by_kafka');

  const byRegion = await readIcebergTable(server.httpPort, 'by_region');
  const regionId = byRegion.metadata.schemas[0].fields.find((f) => f.name === 'region')!.id;
  assert.deepEqual(byRegion.metadata['partition-specs'][0].fields, [{ name: 'region', transform: 'identity', 'source-id': regionId, 'field-id': 1000 }]);
  assert.equal(byRegion.rows.length, 400);
  const seen = new Set<string | null>();
  for (const file of byRegion.dataFiles) {
    const value = byRegion.partitions.get(file)!.region as string | null;
    seen.add(value);
    assert.equal(path.basename(path.dirname(file)), `region=${value === null ? 'null' : encodeURIComponent(value)}`);
  }
  assert.deepEqual([...seen].sort(), ['ap south', 'eu', null, 'us'].sort());
  for (const row of byRegion.rows) {
    const doc = JSON.parse(row.value as string) as { region?: string };
    assert.equal(row.columns.region ?? null, doc.region ?? null);
  }
  // Every row sits in the file of its own region.
  const rowsPerRegion = new Map<string | null, number>();
  for (const row of byRegion.rows) rowsPerRegion.set((row.columns.region as string | null) ?? null, (rowsPerRegion.get((row.columns.region as string | null) ?? null) ?? 0) + 1);
  assert.deepEqual([...rowsPerRegion.values()], [100, 100, 100, 100]);

  const byKafka = await readIcebergTable(server.httpPort, 'by_kafka');
  assert.deepEqual(byKafka.metadata['partition-specs'][0].fields, [{ name: '_kafka_partition', transform: 'identity', 'source-id': 1, 'field-id': 1000 }]);
  assert.equal(byKafka.rows.length, 400);
  const kafkaPartitions = new Set<number>();
  for (const file of byKafka.dataFiles) {
    const value = byKafka.partitions.get(file)!._kafka_partition as number;
    kafkaPartitions.add(value);
    assert.equal(path.basename(path.dirname(file)), `_kafka_partition=${value}`);
  }
  assert.deepEqual([...kafkaPartitions].sort(), [0, 1, 2]);
});

test('an unknown partition transform, or identity:<column> without such a JSON column, is refused when the topic is created', async () => {
  const server = await startLakegate({});
  servers.push(server);
  const invalidConfig = (err: { errors?: Array<{ type?: string }> }) => {
    assert.equal(err.errors?.[0]?.type, 'INVALID_CONFIG');
    return true;
  };
  await assert.rejects(createTopic(kafkaClient(server.port, 0), 'weekly', 1, { 'table.partition.by': 'week' }), invalidConfig);
  await assert.rejects(createTopic(kafkaClient(server.port, 0), 'by_ghost', 1, { 'value.format': 'json', 'value.json.columns': 'region:string', 'table.partition.by': 'identity:ghost' }), invalidConfig);
  await assert.rejects(createTopic(kafkaClient(server.port, 0), 'by_amount', 1, { 'value.format': 'json', 'value.json.columns': 'amount:double', 'table.partition.by': 'identity:amount' }), invalidConfig);
  await createTopic(kafkaClient(server.port, 0), 'daily', 1, { 'table.partition.by': 'day' });
});
