/**
 * Cuts a connection's byte stream into Kafka request frames (a 4-byte size prefix, then the
 * body). Each received byte is copied once, into a slab, and every frame is handed out as one
 * contiguous view of its slab, so the produce path can checksum and write a record batch
 * without assembling it from socket chunks or allocating per request. No sockets here: the
 * connection feeds bytes in, and tests feed byte vectors.
 *
 * The size prefix is checked against the limit before any of the body is buffered, and a
 * frame larger than a slab is grown geometrically as its bytes arrive rather than allocated
 * up front from a size a client claims.
 */
import type { Slab, SlabPool } from './slab-pool.js';

export interface FrameHandler {
  /**
   * A complete frame body (without the prefix). `release` must be called exactly once, when
   * nothing refers to the body any more; the memory is reused after that. Returning false
   * stops the reader (the connection is closing).
   */
  frame(body: Buffer, release: () => void): boolean;
  /** The prefix announced a size outside 1..maxFrameBytes; the reader stops. */
  badSize(size: number): void;
}

const PREFIX = 4;

export class FrameReader {
  private slab: Slab | null = null;
  /** First byte of the frame being received, in slab. */
  private start = 0;
  /** End of the bytes received, in slab. */
  private end = 0;
  /** Size of the frame being received including its prefix, once the prefix is complete. */
  private need = -1;
  private stopped = false;

  constructor(
    private readonly pool: SlabPool,
    private readonly maxFrameBytes: number,
    private readonly handler: FrameHandler,
  ) {}

  /** Bytes received that are not part of a complete frame yet. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Size of the frame being received, prefix included, as its prefix announced it; 0 between frames. */
  get frameInProgress(): number {
    return this.need > 0 ? this.need : 0;
  }

  /** Feeds received bytes (copied; the caller may reuse chunk). False once the reader stopped. */
  push(chunk: Uint8Array): boolean {
    let off = 0;
    while (off < chunk.length && !this.stopped) {
      if (this.need < 0) {
        const buf = this.reserve(PREFIX, PREFIX);
        const k = Math.min(PREFIX - (this.end - this.start), chunk.length - off);
        buf.set(chunk.subarray(off, off + k), this.end);
        this.end += k;
        off += k;
        if (this.end - this.start < PREFIX) break;
        const size = buf.readInt32BE(this.start);
        if (size <= 0 || size > this.maxFrameBytes) {
          this.stop();
          this.handler.badSize(size);
          return false;
        }
        this.need = PREFIX + size;
      }
      const have = this.end - this.start;
      const k = Math.min(this.need - have, chunk.length - off);
      const buf = this.reserve(this.need, have + k);
      buf.set(chunk.subarray(off, off + k), this.end);
      this.end += k;
      off += k;
      if (this.end - this.start === this.need) this.cut();
    }
    this.dropSlabIfIdle();
    return !this.stopped;
  }

  /** Stops reading and gives back the partial frame's memory; frames handed out stay valid until released. */
  stop(): void {
    this.stopped = true;
    this.need = -1;
    this.dropSlab();
  }

  private cut(): void {
    const slab = this.slab!;
    const body = slab.buf.subarray(this.start + PREFIX, this.end);
    this.start = this.end;
    this.need = -1;
    slab.retain();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slab.release();
      if (slab === this.slab && slab.inUse === 0 && this.start === this.end) this.dropSlab();
    };
    if (!this.handler.frame(body, release)) this.stop();
  }

  /**
   * Makes room for a frame of `total` bytes from `start` (or, for a frame larger than a slab,
   * for `willHave` bytes of it with room to double), moving the partial frame to a new slab
   * when the current one is too small. Returns the slab's buffer.
   */
  private reserve(total: number, willHave: number): Buffer {
    const target = total <= this.pool.slabSize ? total : Math.min(total, Math.max(this.pool.slabSize, 2 * willHave));
    const slab = this.slab;
    if (slab) {
      if (this.start + target <= slab.buf.length) return slab.buf;
      if (this.start === this.end && slab.inUse === 0 && target <= slab.buf.length) {
        this.start = this.end = 0;
        return slab.buf;
      }
    }
    const next = this.pool.acquire(target);
    if (slab) {
      slab.buf.copy(next.buf, 0, this.start, this.end);
      slab.retire();
    }
    this.end -= this.start;
    this.start = 0;
    this.slab = next;
    return next.buf;
  }

  /**
   * A connection with nothing pending keeps no slab of its own, so idle connections cost no
   * memory; a busy one keeps appending to its slab while its earlier frames are in flight.
   */
  private dropSlabIfIdle(): void {
    const slab = this.slab;
    if (!slab || this.start !== this.end) return;
    if (slab.inUse === 0 || slab.buf.length !== this.pool.slabSize) this.dropSlab();
  }

  private dropSlab(): void {
    this.slab?.retire();
    this.slab = null;
    this.start = this.end = 0;
  }
}
