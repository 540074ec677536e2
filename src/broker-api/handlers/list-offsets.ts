/**
 * ListOffsets: latest is the high watermark (what has been made durable and acknowledged),
 * earliest the log start, -3 the record holding the largest timestamp, and a time the first
 * record at or after it. The last two read the log, so partitions are answered concurrently
 * and a read that fails answers its partition with KAFKA_STORAGE_ERROR.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  ListOffsets,
  ListOffsetsTimestamp,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/index.js';
import { LEADER_EPOCH, type PartitionLog } from '../../log/index.js';
import { logger } from '../../logger.js';
import type { ApiHandler } from '../handler.js';

async function lookup(log: PartitionLog, partitionIndex: number, timestamp: bigint): Promise<ListOffsetsPartitionResponse> {
  const ok = (offset: bigint, ts: bigint): ListOffsetsPartitionResponse => ({ partitionIndex, errorCode: ErrorCode.NONE, timestamp: ts, offset, leaderEpoch: LEADER_EPOCH });
  switch (timestamp) {
    case ListOffsetsTimestamp.LATEST:
      return ok(log.highWatermark, -1n);
    case ListOffsetsTimestamp.EARLIEST:
    case ListOffsetsTimestamp.EARLIEST_LOCAL:
      return ok(log.logStartOffset, -1n);
    case ListOffsetsTimestamp.MAX_TIMESTAMP: {
      const max = await log.maxTimestamp();
      return max ? ok(max.offset, max.timestamp) : ok(-1n, -1n);
    }
    default: {
      if (timestamp < 0n) return { partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
      const found = await log.offsetForTimestamp(timestamp);
      return found ? ok(found.offset, found.timestamp) : ok(-1n, -1n);
    }
  }
}

/** `partition:topic` keys named more than once in the request. */
function duplicatePartitions(req: ListOffsetsRequest): Set<string> {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const key = `${p.partitionIndex}:${t.name}`;
      if (seen.has(key)) duplicates.add(key);
      seen.add(key);
    }
  }
  return duplicates;
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  api: ListOffsets,
  async handle(ctx, req) {
    const version = ctx.header.apiVersion;
    const failed = (partitionIndex: number, errorCode: number): ListOffsetsPartitionResponse => ({ partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 });
    const duplicates = duplicatePartitions(req);
    const topics = req.topics.map(async (t) => {
      const runtime = ctx.broker.topic(t.name);
      const partitions = t.partitions.map(async (p) => {
        // Kafka answers every copy of a partition asked for twice with INVALID_REQUEST.
        if (duplicates.has(`${p.partitionIndex}:${t.name}`)) return failed(p.partitionIndex, ErrorCode.INVALID_REQUEST);
        const log = runtime?.logs[p.partitionIndex];
        if (!log) return failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        // -3 arrived in v7 and -4 in v8; older versions must not ask for them.
        if ((p.timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP && version < 7) || (p.timestamp === ListOffsetsTimestamp.EARLIEST_LOCAL && version < 8)) {
          return failed(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
        }
        try {
          return await lookup(log, p.partitionIndex, p.timestamp);
        } catch (err) {
          logger.warn({ err, topic: t.name, partition: p.partitionIndex }, 'ListOffsets could not read the log');
          return failed(p.partitionIndex, ErrorCode.KAFKA_STORAGE_ERROR);
        }
      });
      return { name: t.name, partitions: await Promise.all(partitions) };
    });
    return { throttleTimeMs: 0, topics: await Promise.all(topics) };
  },
};
