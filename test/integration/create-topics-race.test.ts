/**
 * An explicit CreateTopics that arrives while an auto-creation of the same name is under way
 * must not report its own settings for a topic that gets the auto-creation's: it answers
 * TOPIC_ALREADY_EXISTS, and what exists is what Metadata shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResponse } from '../../src/protocol/frames.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopics, Metadata, type CreateTopicsResponse, type MetadataResponse } from '../../src/protocol/messages/index.js';
import { removeDir, startLakegate, type LakegateProcess } from '../support/lakegate-process.js';
import { RawKafkaConnection } from '../support/raw-client.js';

let server: LakegateProcess;

before(async () => {
  server = await startLakegate({ args: ['--num-partitions', '1'] });
});

after(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

test('CreateTopics racing an auto-create of the same name answers TOPIC_ALREADY_EXISTS, not the settings it asked for', async () => {
  const conn = await RawKafkaConnection.connect(server.port);
  try {
    for (let i = 0; i < 5; i++) {
      const name = `raced-${i}`;
      // Both frames leave in one write: the auto-create is under way when CreateTopics runs.
      conn.send(Metadata, 9, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      conn.send(CreateTopics, 5, {
        topics: [{ name, numPartitions: 8, replicationFactor: 1, assignments: [], configs: [{ name: 'table.format', value: 'none' }] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      const metadataFrame = await conn.nextFrame();
      const createFrame = await conn.nextFrame();
      assert.ok(metadataFrame && createFrame);
      const created = decodeResponse<CreateTopicsResponse>(CreateTopics, 5, createFrame).body.topics[0]!;
      assert.equal(created.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, `${name}: ${created.errorMessage}`);
      const described = await conn.request<MetadataResponse>(Metadata, 9, { topics: [{ topicId: Buffer.alloc(16), name }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.equal(described.topics[0]!.partitions.length, 1, `${name} has the auto-created partition count`);
    }
  } finally {
    conn.close();
  }
});
