import { defineApi, f, struct } from '../schema/types.js';

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint }> }>;
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: ListOffsetsPartitionResponse[] }>;
}

/** Special timestamps a client sends instead of a time. */
export const ListOffsetsTimestamp = {
  LATEST: -1n,
  EARLIEST: -2n,
  MAX_TIMESTAMP: -3n,
  EARLIEST_LOCAL: -4n,
} as const;

export const ListOffsets = defineApi({
  apiKey: 2,
  name: 'ListOffsets',
  versions: '1-8',
  flexibleFrom: 6,
  request: struct(
    f.int32('replicaId', '0+'),
    f.int8('isolationLevel', '2+'),
    f.array(
      'topics',
      '0+',
      struct(
        f.string('name', '0+'),
        f.array(
          'partitions',
          '0+',
          struct(
            f.int32('partitionIndex', '0+'),
            f.int32('currentLeaderEpoch', '4+', { default: -1 }),
            f.int64('timestamp', '0+'),
            f.int32('maxNumOffsets', '0', { default: 1 }),
          ),
        ),
      ),
    ),
    f.int32('timeoutMs', '10+'),
  ),
  response: struct(
    f.int32('throttleTimeMs', '2+'),
    f.array(
      'topics',
      '0+',
      struct(
        f.string('name', '0+'),
        f.array(
          'partitions',
          '0+',
          struct(
            f.int32('partitionIndex', '0+'),
            f.int16('errorCode', '0+'),
            f.array('oldStyleOffsets', '0', 'int64'),
            f.int64('timestamp', '1+', { default: -1n }),
            f.int64('offset', '1+', { default: -1n }),
            f.int32('leaderEpoch', '4+', { default: -1 }),
          ),
        ),
      ),
    ),
  ),
});
