import { defineApi, f, struct } from '../schema/types.js';

export interface DeleteTopicsRequest {
  topics: Array<{ name: string | null; topicId: Buffer }>;
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string | null;
  topicId: Buffer;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

export const DeleteTopics = defineApi({
  apiKey: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  flexibleFrom: 4,
  request: struct(
    f.array('topics', '6+', struct(f.string('name', '6+', { nullable: '6+', default: null }), f.uuid('topicId', '6+'))),
    f.array('topicNames', '0-5', 'string'),
    f.int32('timeoutMs', '0+'),
  ),
  response: struct(
    f.int32('throttleTimeMs', '1+'),
    f.array(
      'responses',
      '0+',
      struct(
        f.string('name', '0+', { nullable: '6+' }),
        f.uuid('topicId', '6+'),
        f.int16('errorCode', '0+'),
        f.string('errorMessage', '5+', { nullable: '5+', default: null }),
      ),
    ),
  ),
});
