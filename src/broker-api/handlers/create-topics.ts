/**
 * CreateTopics with Kafka's validation order: duplicate names in one request, name rules,
 * existence, partitions, replication factor (one node), assignments, then configs.
 * validateOnly answers as if created and creates nothing.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  ConfigSource,
  CreateTopics,
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../protocol/messages/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../handler.js';
import { TOPIC_CONFIGS, checkTopicConfig, combinedConfigProblem } from '../topic-configs.js';
import { MAX_PARTITIONS_PER_REQUEST, topicNameProblem } from '../topic-registry.js';

const ZERO_UUID = Buffer.alloc(16);

function failed(name: string, errorCode: number, errorMessage: string): CreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

/** Returns the validated partition count and configs, or throws the KafkaError to report. */
function validate(broker: Broker, t: CreatableTopic): { partitions: number; configs: Record<string, string> } {
  const nameProblem = topicNameProblem(t.name);
  if (nameProblem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (broker.topic(t.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  let partitions = t.numPartitions;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
    for (const a of t.assignments) {
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== broker.nodeId) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment for partition ${a.partitionIndex} must be [${broker.nodeId}], the only broker`);
      }
    }
    partitions = t.assignments.length;
  } else {
    if (partitions === -1) partitions = broker.config.numPartitions;
    if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    if (t.replicationFactor === 0 || t.replicationFactor < -1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    }
    if (t.replicationFactor > 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${t.replicationFactor} time(s): The target replication factor of ${t.replicationFactor} cannot be reached because only 1 broker(s) are registered.`);
    }
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    const problem = checkTopicConfig(c.name, c.value);
    if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
    configs[c.name] = c.value as string;
  }
  const combined = combinedConfigProblem((name) => broker.configValue({ name: t.name, id: Buffer.alloc(16), partitions, configs, createdAtMs: 0 }, name));
  if (combined) throw new KafkaError(ErrorCode.INVALID_CONFIG, combined);
  return { partitions, configs };
}

function describeCreated(broker: Broker, name: string, topicId: Buffer, partitions: number, configs: Record<string, string>): CreatableTopicResult {
  return {
    name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: partitions,
    replicationFactor: 1,
    configs: [...TOPIC_CONFIGS.keys()].map((key) => ({
      name: key,
      value: configs[key] ?? broker.configValue({ name, id: topicId, partitions, configs, createdAtMs: 0 }, key),
      readOnly: false,
      configSource: key in configs ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
      isSensitive: false,
    })),
  };
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  api: CreateTopics,
  async handle(ctx, req) {
    const { broker } = ctx;
    let partitionsLeft = MAX_PARTITIONS_PER_REQUEST;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = await Promise.all(
      req.topics.map(async (t): Promise<CreatableTopicResult> => {
        if ((counts.get(t.name) ?? 0) > 1) return failed(t.name, ErrorCode.INVALID_REQUEST, 'Create topics request from client contains a duplicate topic name');
        try {
          const { partitions, configs } = validate(broker, t);
          // Validation runs for every topic, in request order, before the first await.
          if (partitions > partitionsLeft) throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Excessively large number of partitions per request: at most ${MAX_PARTITIONS_PER_REQUEST}.`);
          partitionsLeft -= partitions;
          if (req.validateOnly) return describeCreated(broker, t.name, ZERO_UUID, partitions, configs);
          const runtime = await broker.createTopic(t.name, partitions, configs, true);
          return describeCreated(broker, t.name, runtime.topic.id, partitions, configs);
        } catch (err) {
          if (err instanceof KafkaError) return failed(t.name, err.code, err.message);
          throw err;
        }
      }),
    );
    return { throttleTimeMs: 0, topics: results };
  },
};
