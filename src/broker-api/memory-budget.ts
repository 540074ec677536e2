/**
 * A byte budget shared by all connections for request bytes that are buffered or in flight
 * (queued.max.request.bytes). When it runs out every connection stops reading at its next
 * frame boundary until half of it is free again, so many large pipelined requests cannot
 * exhaust memory (connection.ts: a frame under way is read to its end).
 */
export class RequestMemoryBudget {
  private used = 0;
  private paused = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly limit: number) {}

  get exhausted(): boolean {
    return this.paused;
  }

  get inUse(): number {
    return this.used;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  acquire(bytes: number): void {
    this.used += bytes;
    if (!this.paused && this.used >= this.limit) {
      this.paused = true;
      this.notify();
    }
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.paused && this.used <= this.limit / 2) {
      this.paused = false;
      this.notify();
    }
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
