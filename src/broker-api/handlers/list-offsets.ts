/**
 * ListOffsets: latest is the high watermark (what has been made durable and acknowledged),
 * earliest the log start, -3 the batch holding the largest timestamp, and a time the first
 * offset at or after it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  ListOffsets,
  ListOffsetsTimestamp,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/index.js';
import type { PartitionLog } from '../../log/index.js';
import type { ApiHandler } from '../handler.js';

function lookup(log: PartitionLog, partitionIndex: number, timestamp: bigint): ListOffsetsPartitionResponse {
  const ok = (offset: bigint, ts: bigint): ListOffsetsPartitionResponse => ({ partitionIndex, errorCode: ErrorCode.NONE, timestamp: ts, offset, leaderEpoch: 0 });
  switch (timestamp) {
    case ListOffsetsTimestamp.LATEST:
      return ok(log.highWatermark, -1n);
    case ListOffsetsTimestamp.EARLIEST:
    case ListOffsetsTimestamp.EARLIEST_LOCAL:
      return ok(log.logStartOffset, -1n);
    case ListOffsetsTimestamp.MAX_TIMESTAMP: {
      const max = log.maxTimestamp();
      return max ? ok(max.offset, max.timestamp) : ok(-1n, -1n);
    }
    default: {
      if (timestamp < 0n) return { partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
      const found = log.offsetForTimestamp(timestamp);
      return found ? ok(found.offset, found.timestamp) : ok(-1n, -1n);
    }
  }
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  api: ListOffsets,
  handle(ctx, req) {
    const version = ctx.header.apiVersion;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const runtime = ctx.broker.topic(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            const log = runtime?.logs[p.partitionIndex];
            if (!log) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            // -3 arrived in v7 and -4 in v8; older versions must not ask for them.
            if ((p.timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP && version < 7) || (p.timestamp === ListOffsetsTimestamp.EARLIEST_LOCAL && version < 8)) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            }
            return lookup(log, p.partitionIndex, p.timestamp);
          }),
        };
      }),
    };
  },
};
