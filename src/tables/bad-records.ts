/**
 * Records that could not become rows: counted per topic since start-up and the most recent
 * kept with their offsets and reasons for the admin API. The records themselves (raw bytes
 * and all) are in the topic's dead-letter table.
 */
import type { BadRecord } from '../writer/task.js';

const KEEP = 100;

export class BadRecordLog {
  count = 0;
  private readonly recent: BadRecord[] = [];

  add(records: BadRecord[]): void {
    this.count += records.length;
    this.recent.push(...records.slice(-KEEP));
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
  }

  latest(): BadRecord[] {
    return [...this.recent];
  }
}
