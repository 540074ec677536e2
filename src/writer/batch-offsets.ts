/**
 * The offsets a task's batches must carry, checked batch by batch before any of their records
 * become rows.
 *
 * lakegate's log is dense: a batch's offsets are assigned right after the previous batch's, a
 * new segment starts at the log end offset, recovery cuts a segment at the first batch whose
 * BaseOffset is not the next offset and drops every segment after a damaged one, journal
 * batches past a gap are dropped rather than appended, and there is no compaction and no
 * transaction marker (producers may not write control batches). So the batches of a task's
 * range, which the materializer locates from fromOffset and cuts at a batch boundary ending
 * at toOffset, hold every offset of [fromOffset, toOffset] once, in order, without a gap.
 *
 * BaseOffset is not under the batch CRC (nor is BatchLength or PartitionLeaderEpoch): a
 * damaged one would put rows under wrong offsets, twice, or skip them, and the table's
 * committed offsets would still claim the whole range. A batch that breaks the sequence, or a
 * range that does not reach toOffset, fails the task with a TaskInputError instead.
 *
 * A batch that does not decode cannot vouch for its LastOffsetDelta (the CRC that covers it
 * failed): the batch after it bounds it, so that one may start anywhere past the broken
 * batch's base up to the offset after its claimed last one.
 */
import { TaskInputError } from './errors.js';

/** Where the next batch may start: exactly one offset, or a span after an undecodable batch. */
interface NextBase {
  min: bigint;
  max: bigint;
}

export class BatchOffsets {
  private next: NextBase | undefined;

  constructor(
    private readonly segmentPath: string,
    private readonly fromOffset: bigint,
    private readonly toOffset: bigint,
  ) {}

  /** Every offset up to toOffset is covered: nothing later in the range is wanted. */
  get complete(): boolean {
    return this.fromOffset > this.toOffset || (this.next !== undefined && this.next.min > this.toOffset);
  }

  /**
   * Checks a batch's BaseOffset against the sequence so far and moves past it. `decoded`
   * says whether its CRC matched (so whether its LastOffsetDelta can be trusted).
   */
  accept(position: number, base: bigint, last: bigint, decoded: boolean): void {
    const allowed = this.next ?? { min: -(1n << 63n), max: this.fromOffset };
    if (base < allowed.min || base > allowed.max) throw this.mismatch(position, base, allowed);
    // A corrupt batch holds at least its base offset, however little its header claims.
    const claimedLast = last > base ? last : base;
    this.next = decoded ? { min: last + 1n, max: last + 1n } : { min: base + 1n, max: claimedLast + 1n };
  }

  /** At the end of the range: it must have reached toOffset (a trailing corrupt batch may claim to). */
  finish(endPosition: number): void {
    if (this.complete || (this.next !== undefined && this.next.max > this.toOffset)) return;
    const reached = this.next === undefined ? 'holds no batch' : `ends after offset ${this.next.max - 1n}`;
    throw new TaskInputError(`segment ${this.segmentPath}: the range ${reached} at byte ${endPosition}, before the task's last offset ${this.toOffset}; the log's offsets are dense, so the segment is corrupt`);
  }

  private mismatch(position: number, found: bigint, allowed: NextBase): TaskInputError {
    const expected =
      this.next === undefined
        ? `a batch holding offset ${this.fromOffset}`
        : allowed.min === allowed.max
          ? `offset ${allowed.min}`
          : `an offset in ${allowed.min}..${allowed.max} (after a batch that does not decode)`;
    return new TaskInputError(
      `segment ${this.segmentPath}: the batch at byte ${position} has BaseOffset ${found}, expected ${expected}; BaseOffset is not under the batch CRC, so the segment is corrupt there`,
    );
  }
}
