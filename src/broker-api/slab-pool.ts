/**
 * Reusable request memory. Frames are views into large slabs (see FrameReader), and a slab
 * goes back to the pool only when its reader has moved on and every frame cut from it has
 * been released (its request answered and its batches written).
 *
 * Why not let Node allocate: a socket read allocates a fresh 64 KiB ArrayBuffer, and V8
 * schedules a full mark-compact for every few megabytes of fresh ArrayBuffer memory. At
 * 100 MB/s of produce traffic that was ~10 full GCs a second and a fifth of the server's CPU;
 * recycled slabs make ingest allocate nothing in proportion to the bytes it moves.
 */
export class Slab {
  private refs = 0;
  private retired = false;
  private recycled = false;

  constructor(
    readonly buf: Buffer,
    private readonly pool: SlabPool,
  ) {}

  /** Frames cut from this slab that are not released yet. */
  get inUse(): number {
    return this.refs;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (this.refs <= 0) throw new Error('slab released more often than retained');
    this.refs--;
    if (this.refs === 0 && this.retired) this.recycle();
  }

  /** The reader is done with it: it is reused once its last frame is released. */
  retire(): void {
    this.retired = true;
    if (this.refs === 0) this.recycle();
  }

  private recycle(): void {
    if (this.recycled) return;
    this.recycled = true;
    this.pool.recycle(this.buf);
  }
}

export class SlabPool {
  private readonly free: Buffer[] = [];
  /** Slabs allocated over the pool's life (a test and a diagnostic: steady traffic stops it growing). */
  allocations = 0;

  constructor(
    /** The standard slab; larger frames get a buffer of their own that is not pooled. */
    readonly slabSize = 1024 * 1024,
    /** Free slabs kept for reuse; more are left to the garbage collector. */
    private readonly maxFree = 32,
  ) {}

  get freeCount(): number {
    return this.free.length;
  }

  acquire(minBytes: number): Slab {
    if (minBytes <= this.slabSize) {
      const reused = this.free.pop();
      if (reused) return new Slab(reused, this);
      this.allocations++;
      // allocUnsafeSlow: a buffer of its own, never a view of Node's shared 8 KiB pool.
      return new Slab(Buffer.allocUnsafeSlow(this.slabSize), this);
    }
    this.allocations++;
    return new Slab(Buffer.allocUnsafeSlow(minBytes), this);
  }

  recycle(buf: Buffer): void {
    if (buf.length === this.slabSize && this.free.length < this.maxFree) this.free.push(buf);
  }
}
