/**
 * Sparse time index of one segment: (largest batch MaxTimestamp seen so far, offset of the
 * batch that carried it). Timestamps strictly increase from entry to entry, so a binary
 * search finds where batches with MaxTimestamp >= t can start. Like the offset index it lives
 * in memory and is written out when the segment is sealed or the log closes cleanly.
 *
 * File format (Kafka's): 12-byte entries, int64 BE timestamp, int32 BE relative offset. As in
 * Kafka, the offset is the batch's LAST offset (the "shallow" offset of the max timestamp).
 */
export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex {
  private timestamps = new BigInt64Array(16);
  private offsets = new Int32Array(16);
  private n = 0;

  get length(): number {
    return this.n;
  }

  last(): { timestamp: bigint; relativeOffset: number } | null {
    if (this.n === 0) return null;
    return { timestamp: this.timestamps[this.n - 1]!, relativeOffset: this.offsets[this.n - 1]! };
  }

  /** Adds an entry only if it raises the maximum; a non-increasing timestamp carries no news. */
  maybeAppend(timestamp: bigint, relativeOffset: number): void {
    const last = this.last();
    if (last && (timestamp <= last.timestamp || relativeOffset < last.relativeOffset)) return;
    if (this.n === this.timestamps.length) {
      const t = new BigInt64Array(this.n * 2);
      t.set(this.timestamps);
      this.timestamps = t;
      const o = new Int32Array(this.n * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.timestamps[this.n] = timestamp;
    this.offsets[this.n] = relativeOffset;
    this.n++;
  }

  /**
   * The last entry whose timestamp is below target: every batch up to and including its offset
   * has MaxTimestamp < target, so a search for target may start after it. Null: start at 0.
   */
  lastBelow(target: bigint): { timestamp: bigint; relativeOffset: number } | null {
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? null : { timestamp: this.timestamps[found]!, relativeOffset: this.offsets[found]! };
  }

  clear(): void {
    this.n = 0;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.n * TIME_INDEX_ENTRY_SIZE);
    for (let i = 0; i < this.n; i++) {
      buf.writeBigInt64BE(this.timestamps[i]!, i * TIME_INDEX_ENTRY_SIZE);
      buf.writeInt32BE(this.offsets[i]!, i * TIME_INDEX_ENTRY_SIZE + 8);
    }
    return buf;
  }

  /** Parses a time index file, or null when its shape or ordering cannot be right. */
  static parse(buf: Buffer, maxRelativeOffset: number): TimeIndex | null {
    if (buf.length % TIME_INDEX_ENTRY_SIZE !== 0) return null;
    const idx = new TimeIndex();
    for (let p = 0; p < buf.length; p += TIME_INDEX_ENTRY_SIZE) {
      const ts = buf.readBigInt64BE(p);
      const off = buf.readInt32BE(p + 8);
      const before = idx.n;
      if (off < 0 || off > maxRelativeOffset) return null;
      idx.maybeAppend(ts, off);
      if (idx.n === before) return null;
    }
    return idx;
  }
}
