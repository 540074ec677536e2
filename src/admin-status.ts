/** The admin API's view of materialization: the materializer's state in the HTTP shapes. */
import type { AdminSource, AdminTableStatus } from './http/admin.js';
import type { Materializer, WaitingTopic } from './tables/materializer.js';
import type { TopicMaterializer } from './tables/topic-materializer.js';

export function materializerAdminSource(materializer: Materializer): AdminSource {
  return {
    tables(): AdminTableStatus[] {
      return [...materializer.topics().map(runningStatus), ...materializer.waiting().map(waitingStatus)];
    },
  };
}

function runningStatus(m: TopicMaterializer): AdminTableStatus {
  return {
    topic: m.topic,
    state: 'running',
    tables: [
      { format: m.table.format, name: m.table.name, location: m.table.dataDir },
      ...(m.deadLetterTable ? [{ format: m.deadLetterTable.format, name: m.deadLetterTable.name, location: m.deadLetterTable.dataDir, deadLetter: true }] : []),
    ],
    partitions: m.progress().map((p) => ({
      partition: p.partition,
      logEndOffset: p.logEndOffset,
      logStartOffset: m.runtime.logs[p.partition].logStartOffset,
      committedOffset: p.committedOffset,
    })),
    badRecordCount: m.badRecords.count,
    recentBadRecords: m.badRecords
      .latest()
      .reverse()
      .map((b) => ({ partition: b.partition, offset: b.offset, reason: b.reason })),
    deadLetterCount: m.deadLetterCount,
    lastCommitTime: m.lastCommitAtMs,
    lastError: m.lastError,
  };
}

/**
 * A topic without a running materializer: its tables are not open, so none is listed and no
 * committed offset is known (lag counts from the log start); the log's own offsets are.
 */
function waitingStatus(w: WaitingTopic): AdminTableStatus {
  return {
    topic: w.runtime.topic.name,
    state: w.state,
    tables: [],
    partitions: w.runtime.logs.map((log, partition) => ({
      partition,
      logEndOffset: log.highWatermark,
      logStartOffset: log.logStartOffset,
      committedOffset: null,
    })),
    badRecordCount: 0,
    recentBadRecords: [],
    deadLetterCount: 0,
    lastCommitTime: null,
    lastError: w.lastError,
  };
}
