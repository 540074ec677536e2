import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

/** The longest a Fetch is held (a client's max_wait_ms is normally 0.5-5 s). */
const MAX_HOLD_MS = 5000;

/**
 * Fetch is advertised (librdkafka needs to see it to enable message format v2 and zstd) but
 * consuming is a later issue: every partition is answered with UNSUPPORTED_VERSION rather than
 * left hanging. The answer comes after the request's max_wait_ms, as a long poll that found no
 * data would: some clients re-fetch at once after such an error, and answering at once would
 * let one consumer spin the gateway's event loop. A shutdown answers held fetches at once.
 */
export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  api: Fetch,
  async handle(ctx, req) {
    const holdMs = Math.min(Math.max(req.maxWaitMs, 0), MAX_HOLD_MS);
    // A shutdown aborts the wait (the rejection is that, nothing else).
    if (holdMs > 0) await sleep(holdMs, undefined, { ref: false, signal: ctx.broker.shutdownSignal }).catch(() => undefined);
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

