/**
 * Metadata: this node is every partition's leader and sole replica. Unknown topics are
 * created synchronously when the request allows it and auto.create.topics.enable is on, so
 * the client sees them, with their partitions, in this very response.
 */
import { LEADER_EPOCH } from '../../log/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { Metadata, type MetadataRequest, type MetadataResponse, type MetadataTopic } from '../../protocol/messages/index.js';
import type { Broker, TopicRuntime } from '../broker.js';
import type { ApiHandler } from '../handler.js';
import { topicNameProblem } from '../topic-registry.js';

const ZERO_UUID = Buffer.alloc(16);

export function describeTopic(broker: Broker, runtime: TopicRuntime): MetadataTopic {
  const node = broker.nodeId;
  return {
    errorCode: ErrorCode.NONE,
    name: runtime.topic.name,
    topicId: runtime.topic.id,
    isInternal: false,
    partitions: runtime.logs.map((_, p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p,
      leaderId: node,
      leaderEpoch: LEADER_EPOCH,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
  };
}

function topicError(name: string | null, errorCode: number, topicId: Buffer = ZERO_UUID): MetadataTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

async function resolveTopic(broker: Broker, name: string, autoCreate: boolean): Promise<MetadataTopic> {
  const existing = broker.topic(name);
  if (existing) return describeTopic(broker, existing);
  if (topicNameProblem(name)) return topicError(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!autoCreate || !broker.config.autoCreateTopics) return topicError(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    return describeTopic(broker, await broker.createTopic(name, broker.config.numPartitions, {}));
  } catch (err) {
    // Another request created it between our look-up and our create.
    if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      const created = broker.topic(name);
      if (created) return describeTopic(broker, created);
    }
    throw err;
  }
}

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  api: Metadata,
  async handle(ctx, req) {
    const { broker, header } = ctx;
    // v0 has no null: an empty list means "all topics" there.
    const all = req.topics === null || (header.apiVersion === 0 && req.topics.length === 0);
    // Before v4 the field did not exist and brokers auto-created by default.
    const autoCreate = header.apiVersion < 4 ? true : req.allowAutoTopicCreation;
    let topics: MetadataTopic[];
    if (all) {
      topics = broker.topics().map((t) => describeTopic(broker, t));
    } else {
      topics = await Promise.all(
        (req.topics ?? []).map((t) => {
          if (t.name !== null) return resolveTopic(broker, t.name, autoCreate);
          const byId = broker.registry.byId(t.topicId);
          const runtime = byId && broker.topic(byId.name);
          return Promise.resolve(runtime ? describeTopic(broker, runtime) : topicError(null, ErrorCode.UNKNOWN_TOPIC_ID, t.topicId));
        }),
      );
    }
    return {
      brokers: [{ nodeId: broker.nodeId, host: broker.config.advertisedHost, port: broker.advertisedPort, rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
    };
  },
};
