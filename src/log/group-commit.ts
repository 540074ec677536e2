/**
 * Group commit: items pushed while a commit is in flight wait and are committed together by
 * the next one, so N concurrent appends cost one write and one fdatasync instead of N.
 * Barriers are operations (segment roll, timed fsync) that must run between the items queued
 * before and after them. The first commit starts on a microtask so that appends issued in the
 * same tick (one produce request touching many partitions, many producers) share it too.
 */
export interface GroupCommitStats {
  /** Commits run (one write of the group, plus one fdatasync under 'before-ack'). */
  commits: number;
  items: number;
  largestGroup: number;
}

type Entry<T> = { kind: 'item'; item: T } | { kind: 'barrier'; run: () => Promise<void> };

export class GroupCommitter<T> {
  private queue: Entry<T>[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: GroupCommitStats = { commits: 0, items: 0, largestGroup: 0 };

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    /** Receives the failure and every item that will now never be committed. */
    private readonly onFailure: (err: unknown, lost: T[]) => void,
  ) {}

  push(item: T): void {
    this.queue.push({ kind: 'item', item });
    this.schedule();
  }

  pushBarrier(run: () => Promise<void>): void {
    this.queue.push({ kind: 'barrier', run });
    this.schedule();
  }

  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** Resolves once everything queued so far (and anything queued meanwhile) has run. */
  drain(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    queueMicrotask(() => void this.loop());
  }

  private async loop(): Promise<void> {
    let inFlight: T[] = [];
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'barrier') {
          this.queue.shift();
          await head.run();
          continue;
        }
        let n = 0;
        while (n < this.queue.length && this.queue[n]!.kind === 'item') n++;
        inFlight = this.queue.splice(0, n).map((e) => (e as { item: T }).item);
        await this.commit(inFlight);
        this.stats.commits++;
        this.stats.items += inFlight.length;
        if (inFlight.length > this.stats.largestGroup) this.stats.largestGroup = inFlight.length;
        inFlight = [];
      }
    } catch (err) {
      const lost = inFlight.concat(
        this.queue.splice(0).flatMap((e) => (e.kind === 'item' ? [e.item] : [])),
      );
      this.onFailure(err, lost);
    } finally {
      this.running = false;
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }
}
