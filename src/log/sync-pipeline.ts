/**
 * fdatasyncs of one log in flight at once, under 'before-ack'. A group is written, and its
 * sync starts at once instead of after the previous group's sync has finished, up to `limit`
 * syncs. With one sync at a time a batch that arrived during a sync waited for the rest of it
 * and then for its own (1.5 syncs on average); now it waits for its own.
 *
 * Groups become durable strictly in order, each on its own sync's success: a later sync
 * finishing first proves nothing about an earlier one's pages if the earlier one fails (the
 * kernel reports a writeback error to one fdatasync caller only). When any sync fails, every
 * group in flight is lost and handed to onError.
 */
interface InFlight<G> {
  group: G;
  done: boolean;
  settled: Promise<void>;
}

export class SyncPipeline<G> {
  private readonly inFlight: InFlight<G>[] = [];

  constructor(
    private limit: number,
    private readonly onDurable: (group: G) => void,
    private readonly onError: (err: unknown, lost: G[]) => void,
  ) {}

  get size(): number {
    return this.inFlight.length;
  }

  /** Takes effect from the next add (a log that starts syncing through the journal raises it). */
  setLimit(limit: number): void {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`sync pipeline limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /**
   * Starts `sync` for a group that has just been written; resolves when there is room for the
   * next one (so the caller's queue keeps collecting batches while the pipeline is full).
   */
  async add(group: G, sync: () => Promise<void>): Promise<void> {
    const entry: InFlight<G> = { group, done: false, settled: Promise.resolve() };
    this.inFlight.push(entry);
    entry.settled = sync().then(
      () => this.complete(entry),
      (err) => this.fail(err),
    );
    while (this.inFlight.length >= this.limit) await this.inFlight[0]!.settled;
  }

  /** Resolves once every sync started so far has settled (succeeded or failed). */
  async settle(): Promise<void> {
    // The head settling always removes it (done, or everything failed).
    while (this.inFlight.length > 0) await this.inFlight[0]!.settled;
  }

  private complete(entry: InFlight<G>): void {
    entry.done = true;
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) this.onDurable(this.inFlight.shift()!.group);
  }

  private fail(err: unknown): void {
    const lost = this.inFlight.splice(0).map((e) => e.group);
    if (lost.length > 0) this.onError(err, lost);
  }
}
