/**
 * Record-precise lookups inside one stored batch, for ListOffsets. A batch header only carries
 * its MaxTimestamp, while Kafka answers a time query with the first record at or after the
 * time (FileRecords.searchForTimestamp) and -3 with the record holding the largest timestamp.
 * Decoding the one batch that qualifies is what it costs to give the same answer.
 */
import { decodeRecordBatch, type DecodeOptions } from './records.js';

export interface TimestampAndOffset {
  offset: bigint;
  timestamp: bigint;
}

/** The first record of `batch` with a timestamp >= ts, or null if none (a MaxTimestamp that lies). */
export function firstRecordAtOrAfter(batch: Buffer, ts: bigint, options: DecodeOptions = {}): TimestampAndOffset | null {
  return firstRecordWhere(batch, (t) => t >= ts, options);
}

/** The first record of `batch` whose timestamp is exactly ts (ties go to the earliest, as in Kafka). */
export function firstRecordAt(batch: Buffer, ts: bigint, options: DecodeOptions = {}): TimestampAndOffset | null {
  return firstRecordWhere(batch, (t) => t === ts, options);
}

function firstRecordWhere(batch: Buffer, wanted: (timestamp: bigint) => boolean, options: DecodeOptions): TimestampAndOffset | null {
  for (const r of decodeRecordBatch(batch, options).records) {
    if (wanted(r.timestamp)) return { offset: r.offset, timestamp: r.timestamp };
  }
  return null;
}
