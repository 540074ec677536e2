/** The admin API's view of materialization: the materializer's state in the HTTP shapes. */
import type { AdminSource, AdminTableStatus } from './http/admin.js';
import type { Materializer } from './tables/materializer.js';

export function materializerAdminSource(materializer: Materializer): AdminSource {
  return {
    tables(): AdminTableStatus[] {
      return materializer.topics().map((m) => ({
        topic: m.topic,
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
      }));
    },
  };
}
