/**
 * Keeps one file (a meta file such as topics.json) equal to an in-memory state, writing it
 * atomically (writeFileAtomic: temporary file, fsync, rename, fsync of the directory) off the
 * event loop. Changes that happen together share one write: a CreateTopics of 500 topics is one
 * rewrite of the file, not 500 (each a full rewrite, so O(N^2) bytes, and synchronous ones
 * stalled every connection for seconds). A change is durable once a write that started after
 * it has finished; flush() resolves exactly then, so callers answer no sooner.
 */
import { storageError, writeFileAtomic } from '../log/fs-util.js';

export class CoalescedFileWriter {
  /** The write asked for and not started yet: every flush() until it starts shares it. */
  private next: Promise<void> | null = null;
  /** The write under way, settled (never rejecting) so the next one can wait for it. */
  private current: Promise<void> = Promise.resolve();

  /** `contents` renders the state as it is when a write starts. */
  constructor(
    private readonly file: string,
    private readonly contents: () => string,
  ) {}

  /** Resolves once every change made before this call is in the file and durable. */
  flush(): Promise<void> {
    this.next ??= this.writeNext();
    return this.next;
  }

  /** Resolves once no write is under way or asked for; never rejects (the askers see failures). */
  async settled(): Promise<void> {
    while (this.next) await this.next.catch(() => undefined);
    await this.current;
  }

  private async writeNext(): Promise<void> {
    // Changes made by the rest of this turn of the event loop (the other topics of a request,
    // other requests read in the same I/O phase) join this write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // One write at a time: they share the temporary file, and the last rename must be the newest.
    await this.current;
    // From here on a change needs another write: this one renders the state as it is now.
    this.next = null;
    // A KafkaError (KAFKA_STORAGE_ERROR), so that a handler answers it as the request's error
    // instead of closing the connection as it does on an unexpected one (a full disk, say).
    const write = writeFileAtomic(this.file, this.contents()).catch((e: unknown) => {
      throw storageError(`writing ${this.file} failed`, e);
    });
    this.current = write.catch(() => undefined);
    return write;
  }
}
