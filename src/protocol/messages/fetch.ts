import { defineApi, f, struct } from '../schema/types.js';

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{
    topic: string;
    topicId: Buffer;
    partitions: Array<{ partition: number; currentLeaderEpoch: number; fetchOffset: bigint; logStartOffset: bigint; partitionMaxBytes: number }>;
  }>;
}

export interface FetchPartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: Array<{ topic: string; topicId: Buffer; partitions: FetchPartitionData[] }>;
}

/**
 * Advertised 4-12 because librdkafka only enables message format v2 and zstd when Fetch
 * covers those versions. v13+ addresses topics by id and is not offered.
 */
export const Fetch = defineApi({
  apiKey: 1,
  name: 'Fetch',
  versions: '4-12',
  flexibleFrom: 12,
  request: struct(
    f.string('clusterId', '12+', { nullable: '12+', tag: 0, default: null }),
    f.int32('replicaId', '0-14', { default: -1 }),
    f.int32('maxWaitMs', '0+'),
    f.int32('minBytes', '0+'),
    f.int32('maxBytes', '3+', { default: 0x7fffffff }),
    f.int8('isolationLevel', '4+', { default: 0 }),
    f.int32('sessionId', '7+', { default: 0 }),
    f.int32('sessionEpoch', '7+', { default: -1 }),
    f.array(
      'topics',
      '0+',
      struct(
        f.string('topic', '0-12'),
        f.uuid('topicId', '13+'),
        f.array(
          'partitions',
          '0+',
          struct(
            f.int32('partition', '0+'),
            f.int32('currentLeaderEpoch', '9+', { default: -1 }),
            f.int64('fetchOffset', '0+'),
            f.int32('lastFetchedEpoch', '12+', { default: -1 }),
            f.int64('logStartOffset', '5+', { default: -1n }),
            f.int32('partitionMaxBytes', '0+'),
          ),
        ),
      ),
    ),
    f.array('forgottenTopicsData', '7+', struct(f.string('topic', '7-12'), f.uuid('topicId', '13+'), f.array('partitions', '7+', 'int32'))),
    f.string('rackId', '11+', { default: '' }),
  ),
  response: struct(
    f.int32('throttleTimeMs', '1+'),
    f.int16('errorCode', '7+'),
    f.int32('sessionId', '7+', { default: 0 }),
    f.array(
      'responses',
      '0+',
      struct(
        f.string('topic', '0-12'),
        f.uuid('topicId', '13+'),
        f.array(
          'partitions',
          '0+',
          struct(
            f.int32('partitionIndex', '0+'),
            f.int16('errorCode', '0+'),
            f.int64('highWatermark', '0+'),
            f.int64('lastStableOffset', '4+', { default: -1n }),
            f.int64('logStartOffset', '5+', { default: -1n }),
            f.struct('divergingEpoch', '12+', struct(f.int32('epoch', '12+', { default: -1 }), f.int64('endOffset', '12+', { default: -1n })), { tag: 0 }),
            f.struct('currentLeader', '12+', struct(f.int32('leaderId', '12+', { default: -1 }), f.int32('leaderEpoch', '12+', { default: -1 })), { tag: 1 }),
            f.struct('snapshotId', '12+', struct(f.int64('endOffset', '0+', { default: -1n }), f.int32('epoch', '0+', { default: -1 })), { tag: 2 }),
            f.array('abortedTransactions', '4+', struct(f.int64('producerId', '4+'), f.int64('firstOffset', '4+')), { nullable: '4+' }),
            f.int32('preferredReadReplica', '11+', { default: -1 }),
            f.records('records', '0+', { nullable: '0+' }),
          ),
        ),
      ),
    ),
  ),
});
