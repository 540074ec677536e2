import { defineApi, f, struct } from '../schema/types.js';

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatableTopicResult {
  name: string;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: Array<{ name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }> | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

export const CreateTopics = defineApi({
  apiKey: 19,
  name: 'CreateTopics',
  versions: '2-7',
  flexibleFrom: 5,
  request: struct(
    f.array(
      'topics',
      '0+',
      struct(
        f.string('name', '0+'),
        f.int32('numPartitions', '0+'),
        f.int16('replicationFactor', '0+'),
        f.array('assignments', '0+', struct(f.int32('partitionIndex', '0+'), f.array('brokerIds', '0+', 'int32'))),
        f.array('configs', '0+', struct(f.string('name', '0+'), f.string('value', '0+', { nullable: '0+' }))),
      ),
    ),
    f.int32('timeoutMs', '0+', { default: 60000 }),
    f.bool('validateOnly', '1+', { default: false }),
  ),
  response: struct(
    f.int32('throttleTimeMs', '2+'),
    f.array(
      'topics',
      '0+',
      struct(
        f.string('name', '0+'),
        f.uuid('topicId', '7+'),
        f.int16('errorCode', '0+'),
        f.string('errorMessage', '1+', { nullable: '0+' }),
        f.int16('topicConfigErrorCode', '5+', { tag: 0 }),
        f.int32('numPartitions', '5+', { default: -1 }),
        f.int16('replicationFactor', '5+', { default: -1 }),
        f.array(
          'configs',
          '5+',
          struct(
            f.string('name', '5+'),
            f.string('value', '5+', { nullable: '5+' }),
            f.bool('readOnly', '5+'),
            f.int8('configSource', '5+', { default: -1 }),
            f.bool('isSensitive', '5+'),
          ),
          { nullable: '5+' },
        ),
      ),
    ),
  ),
});
