/** DeleteTopics by name (v0-5) or by name or id (v6). Deletion is synchronous here. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DeleteTopics, type DeletableTopicResult, type DeleteTopicsRequest, type DeleteTopicsResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

const ZERO_UUID = Buffer.alloc(16);

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  api: DeleteTopics,
  async handle(ctx, req) {
    const { broker } = ctx;
    const targets = ctx.header.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeletableTopicResult[] = [];
    for (const target of targets) {
      const byId = target.name === null || target.name === '';
      const topic = byId ? broker.registry.byId(target.topicId) : broker.registry.get(target.name as string);
      if (!topic) {
        responses.push({
          name: target.name,
          topicId: target.topicId,
          errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: 'This server does not host this topic.',
        });
        continue;
      }
      try {
        await broker.deleteTopic(topic.name);
        responses.push({ name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        responses.push({ name: topic.name, topicId: topic.id, errorCode: err.code, errorMessage: err.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
