import { ErrorCode } from '../../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

/**
 * Fetch is advertised (librdkafka needs to see it to enable message format v2 and zstd) but
 * consuming is a later issue: every partition is answered, promptly, with UNSUPPORTED_VERSION
 * rather than left hanging.
 */
export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  api: Fetch,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition,
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          highWatermark: -1n,
          lastStableOffset: -1n,
          logStartOffset: -1n,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: null,
        })),
      })),
    };
  },
};
