/**
 * Sparse offset index of one segment: (offset relative to the segment base, file position) of
 * a batch start every indexIntervalBytes. Held in memory while the segment is active and
 * written out whole when the segment is sealed or the log closes cleanly; after a crash it is
 * rebuilt from the log, so it never needs an fsync on the append path.
 *
 * File format (Kafka's): 8-byte entries, int32 BE relative offset, int32 BE position.
 */
import { GrowableInt32Pairs } from './growable.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export class OffsetIndex {
  private readonly entries = new GrowableInt32Pairs();

  get length(): number {
    return this.entries.length;
  }

  /** Entries must arrive in increasing offset and position order (they do: the log only appends). */
  append(relativeOffset: number, position: number): void {
    this.entries.push(relativeOffset, position);
  }

  /**
   * Position of the last indexed batch starting at or before relativeOffset (0 when none is):
   * the place to start a forward scan for the batch holding that offset.
   */
  lookup(relativeOffset: number): { relativeOffset: number; position: number } {
    const i = this.entries.floorIndexOfA(relativeOffset);
    if (i < 0) return { relativeOffset: 0, position: 0 };
    return { relativeOffset: this.entries.a(i), position: this.entries.b(i) };
  }

  /** The last indexed batch starting at or before file position `position`, if any. */
  floorByPosition(position: number): { relativeOffset: number; position: number } | null {
    const i = this.entries.floorIndexOfB(position);
    return i < 0 ? null : { relativeOffset: this.entries.a(i), position: this.entries.b(i) };
  }

  /** The first indexed batch starting after file position `position`, if any. */
  firstAfterPosition(position: number): { relativeOffset: number; position: number } | null {
    const i = this.entries.floorIndexOfB(position) + 1;
    return i < this.entries.length ? { relativeOffset: this.entries.a(i), position: this.entries.b(i) } : null;
  }

  last(): { relativeOffset: number; position: number } | null {
    const n = this.entries.length;
    return n === 0 ? null : { relativeOffset: this.entries.a(n - 1), position: this.entries.b(n - 1) };
  }

  clear(): void {
    this.entries.clear();
  }

  toBuffer(): Buffer {
    const n = this.entries.length;
    const buf = Buffer.allocUnsafe(n * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = 0; i < n; i++) {
      buf.writeInt32BE(this.entries.a(i), i * 8);
      buf.writeInt32BE(this.entries.b(i), i * 8 + 4);
    }
    return buf;
  }

  /**
   * Parses an index file, or returns null if it cannot be right for a segment of segmentSize
   * bytes (torn size, offsets or positions not strictly increasing, position past the end).
   * The caller still checks that the last entry points at a batch with the right offset.
   */
  static parse(buf: Buffer, segmentSize: number): OffsetIndex | null {
    if (buf.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return null;
    const idx = new OffsetIndex();
    let prevOff = -1;
    let prevPos = -1;
    for (let p = 0; p < buf.length; p += OFFSET_INDEX_ENTRY_SIZE) {
      const off = buf.readInt32BE(p);
      const pos = buf.readInt32BE(p + 4);
      if (off <= prevOff || pos <= prevPos || pos >= segmentSize || off < 0) return null;
      idx.append(off, pos);
      prevOff = off;
      prevPos = pos;
    }
    return idx;
  }
}
