import { defineApi, f, struct } from '../schema/types.js';

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
}

export interface ProduceResponse {
  responses: Array<{ name: string; partitionResponses: ProducePartitionResponse[] }>;
  throttleTimeMs: number;
}

/**
 * v12 (Kafka 4.0) is byte-identical to v11; v13 would address topics by id, so lakegate stops
 * at 12. v0-2 are advertised (librdkafka disables codecs otherwise) but answered with an error.
 */
export const Produce = defineApi({
  apiKey: 0,
  name: 'Produce',
  versions: '0-12',
  flexibleFrom: 9,
  request: struct(
    f.string('transactionalId', '3+', { nullable: '3+', default: null }),
    f.int16('acks', '0+'),
    f.int32('timeoutMs', '0+'),
    f.array(
      'topicData',
      '0+',
      struct(f.string('name', '0+'), f.array('partitionData', '0+', struct(f.int32('index', '0+'), f.records('records', '0+', { nullable: '0+' })))),
    ),
  ),
  response: struct(
    f.array(
      'responses',
      '0+',
      struct(
        f.string('name', '0+'),
        f.array(
          'partitionResponses',
          '0+',
          struct(
            f.int32('index', '0+'),
            f.int16('errorCode', '0+'),
            f.int64('baseOffset', '0+'),
            f.int64('logAppendTimeMs', '2+', { default: -1n }),
            f.int64('logStartOffset', '5+', { default: -1n }),
            f.array('recordErrors', '8+', struct(f.int32('batchIndex', '8+'), f.string('batchIndexErrorMessage', '8+', { nullable: '8+', default: null }))),
            f.string('errorMessage', '8+', { nullable: '8+', default: null }),
            f.struct('currentLeader', '10+', struct(f.int32('leaderId', '10+', { default: -1 }), f.int32('leaderEpoch', '10+', { default: -1 })), {
              tag: 0,
            }),
          ),
        ),
      ),
    ),
    f.int32('throttleTimeMs', '1+', { default: 0 }),
    f.array(
      'nodeEndpoints',
      '10+',
      struct(f.int32('nodeId', '10+'), f.string('host', '10+'), f.int32('port', '10+'), f.string('rack', '10+', { nullable: '10+', default: null })),
      { tag: 0 },
    ),
  ),
});
