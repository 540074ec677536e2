/**
 * The sync journal (see types.ts for its role): one append-only stream of physical records
 * (journal-record.ts) over a ring of pre-zeroed, reused files (journal-files.ts), with group
 * commit: exactly one durable write of the journal in flight, and every append that arrives
 * meanwhile rides the next one. A group is made durable by one O_DIRECT | O_DSYNC write where
 * the platform allows (direct-write.ts), else by a buffered write and an fdatasync.
 *
 * Invariants replay depends on:
 * - Generation g+1 receives its first record only after every record of generation g is
 *   durable. So a torn or missing record in g means nothing after it was acknowledged, and
 *   replay may stop g there and go on with g+1.
 * - A slot is reused (generation g+files overwrites generation g) only once the checkpoint
 *   has moved past generation g, i.e. every record of g is durable in the partition logs.
 * - A checkpoint's position is taken when it starts: the caller writes a group to its segment
 *   before appending it here, so options.checkpoint() makes every record before it durable.
 *
 * After a restart the journal never writes into the generations it replays: its first append
 * starts a new generation. Writing on after the last valid record could line new records up
 * with a stale but intact record behind a torn one, and replay would bring that record back.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, storageError, writeAllAtSync } from '../fs-util.js';
import { DIRECT_WRITE_ALIGNMENT, writeDirect, type JournalHandle } from './direct-write.js';
import {
  journalFilePath,
  prepareJournalFile,
  readCheckpoint,
  slotOf,
  writeCheckpoint,
  type JournalCheckpoint,
} from './journal-files.js';
import { encodeKey, encodeRecordHeader, recordBytes } from './journal-record.js';
import { generationsToReplay, replayGenerations } from './journal-replay.js';
import type { JournalRecord, ReplayedBatch, SyncJournalOptions } from './types.js';

export class JournalBatchTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalBatchTooLargeError';
  }
}

interface PendingAppend {
  key: Buffer;
  batches: Buffer[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const MIN_FILE_BYTES = 4096;

export class SyncJournal {
  readonly stats = { appends: 0, syncs: 0, bytes: 0, checkpoints: 0, rotations: 0 };
  /** Slot files, opened (created and zeroed if missing) once and kept open. */
  private readonly slots = new Map<number, Promise<JournalHandle>>();
  private queue: PendingAppend[] = [];
  private inFlight: PendingAppend[] = [];
  private writer: Promise<void> = Promise.resolve();
  private writing = false;
  private current: JournalHandle | null = null;
  /** Whether the current file has buffered writes its last fdatasync did not cover. */
  private dirty = false;
  /**
   * Direct writes: the bytes of the current file's partly filled block before writePos, which
   * the next write rewrites (unchanged) in front of its own.
   */
  private tail: Buffer = Buffer.alloc(0);
  private directFiles = 0;
  /**
   * A direct write is reading its group's buffers on the thread pool. The group's appends are
   * then not rejected before it ends, even if the journal fails meanwhile: rejecting answers
   * the request, and its buffers (recycled request memory) could be reused under the copy.
   */
  private directWriting = false;
  /** The generation whose half-full preparations (next file, early checkpoint) have started. */
  private preparedAfter = 0;
  private checkpointRun: Promise<void> | null = null;
  /** Journal bytes written since the last checkpoint started (options.checkpointBytes). */
  private bytesSinceCheckpoint = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly options: SyncJournalOptions,
    private generation: number,
    private writePos: number,
    private checkpointAt: JournalCheckpoint,
  ) {}

  /**
   * Opens (creating if missing) the journal in options.dir. `replay()` yields, in append order,
   * every batch appended after the last checkpoint that is valid on disk (batches already in
   * their segments among them: applying must skip those); consume it before the first append.
   */
  static async open(
    options: SyncJournalOptions,
  ): Promise<{ journal: SyncJournal; replay: () => AsyncIterable<ReplayedBatch> }> {
    const { dir, files, fileBytes } = options;
    if (!Number.isSafeInteger(files) || files < 2) throw new Error(`journal files must be an integer >= 2, got ${files}`);
    if (!Number.isSafeInteger(fileBytes) || fileBytes < MIN_FILE_BYTES) {
      throw new Error(`journal fileBytes must be an integer >= ${MIN_FILE_BYTES}, got ${fileBytes}`);
    }
    try {
      if ((await mkdir(dir, { recursive: true })) !== undefined) await fsyncDir(dirname(dir));
    } catch (e) {
      throw storageError(`creating journal directory ${dir} failed`, e);
    }
    const checkpoint = await readCheckpoint(dir);
    if (checkpoint === null) {
      // Fresh journal: the first file, then a checkpoint, so that from the first append on a
      // restart knows where to replay from (no checkpoint file means nothing to replay).
      const start: JournalCheckpoint = { generation: 1, position: 0, files };
      const journal = new SyncJournal(options, 1, 0, start);
      try {
        journal.current = await journal.slot(0);
        await journal.prepareRing();
        await writeCheckpoint(dir, start);
      } catch (e) {
        await journal.close();
        throw e;
      }
      return { journal, replay: async function* () {} };
    }
    const generations = await generationsToReplay(dir, checkpoint);
    const last = generations[generations.length - 1]!;
    // Positioned at the end of the last replayed generation: the first append rotates.
    const journal = new SyncJournal(options, last, fileBytes, checkpoint);
    try {
      await journal.prepareRing();
    } catch (e) {
      await journal.close();
      throw e;
    }
    return { journal, replay: () => replayGenerations(dir, checkpoint, generations) };
  }

  /** How groups are made durable: 'direct' when every journal file takes O_DIRECT writes. */
  get writeMode(): 'direct' | 'buffered' {
    return this.directFiles === this.options.files ? 'direct' : 'buffered';
  }

  /** The error that failed the journal for good (every later append rejects with it), or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Appends one partition log's group; resolves once it is durable in the journal. Rejects
   * with JournalBatchTooLargeError (the journal stays usable) when one batch cannot fit in an
   * empty file; any I/O or checkpoint failure rejects every unacknowledged append and fails
   * the journal for good.
   */
  append(record: JournalRecord): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(this.closedError());
    let key: Buffer;
    try {
      key = encodeKey(record.logKey);
    } catch (e) {
      return Promise.reject(e);
    }
    for (const batch of record.batches) {
      const size = recordBytes(key, batch);
      if (size > this.options.fileBytes) {
        return Promise.reject(
          new JournalBatchTooLargeError(`a ${size}-byte journal record does not fit in a ${this.options.fileBytes}-byte journal file`),
        );
      }
    }
    this.stats.appends++;
    return new Promise((resolve, reject) => {
      this.queue.push({ key, batches: record.batches, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.writer = this.writeLoop();
      }
    });
  }

  /**
   * Runs options.checkpoint() (after the one running, if any) and moves the durable checkpoint
   * to the write position as of its start, which is at or past the position at this call.
   */
  checkpointNow(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(this.closedError());
    return this.checkpoint();
  }

  /** Waits for queued appends and a running checkpoint; later appends reject. No checkpoint. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writer;
    while (this.checkpointRun) await this.checkpointRun.catch(() => {});
    const handles = await Promise.allSettled([...this.slots.values()]);
    this.slots.clear();
    this.current = null;
    for (const h of handles) if (h.status === 'fulfilled') await h.value.handle.close().catch(() => {});
  }

  /** Writes and syncs queued appends, group by group, until the queue is empty. */
  private async writeLoop(): Promise<void> {
    await null; // appends made in the same tick join the first group
    try {
      while (this.queue.length > 0 && !this.failure) {
        const group = this.queue.splice(0);
        this.inFlight = group;
        let buffers: Buffer[] = [];
        let end = this.writePos;
        for (const append of group) {
          for (const batch of append.batches) {
            const size = recordBytes(append.key, batch);
            if (end + size > this.options.fileBytes) {
              await this.write(buffers);
              buffers = [];
              await this.rotate();
              end = 0;
            }
            buffers.push(encodeRecordHeader(this.generation, append.key, batch), batch);
            end += size;
          }
        }
        await this.write(buffers);
        await this.syncCurrent();
        this.inFlight = [];
        for (const append of group) {
          if (this.failure) append.reject(this.failure);
          else append.resolve();
        }
      }
    } catch (err) {
      this.fail(err);
    } finally {
      // No await since the loop's last check of the queue: an append now starts a new loop.
      this.writing = false;
    }
  }

  /** Writes at writePos: durably if the file takes direct writes, else buffered (dirty). */
  private async write(buffers: Buffer[]): Promise<void> {
    if (buffers.length === 0) return;
    const current = this.current!;
    let n = 0;
    for (const b of buffers) n += b.length;
    try {
      if (current.direct) {
        const start = this.writePos - this.tail.length;
        const end = this.writePos + n;
        const pieces = this.tail.length > 0 ? [this.tail, ...buffers] : buffers;
        const length = Math.ceil((end - start) / DIRECT_WRITE_ALIGNMENT) * DIRECT_WRITE_ALIGNMENT;
        this.directWriting = true;
        try {
          await writeDirect(current.handle, pieces, start, length);
        } finally {
          this.directWriting = false;
        }
        this.tail = lastBytes(pieces, end % DIRECT_WRITE_ALIGNMENT);
        this.stats.syncs++;
      } else {
        writeAllAtSync(current.handle.fd, buffers, this.writePos);
        this.dirty = true;
      }
    } catch (e) {
      throw storageError(`write to ${this.currentPath()} failed`, e);
    }
    this.writePos += n;
    this.stats.bytes += n;
    this.bytesSinceCheckpoint += n;
    if (this.writePos * 2 >= this.options.fileBytes && this.preparedAfter !== this.generation) {
      // Half full: get the next file and, if it still holds live records, a checkpoint going
      // now, so that the rotation finds both ready.
      this.preparedAfter = this.generation;
      const next = this.generation + 1;
      void this.slot(slotOf(next, this.options.files));
      if (this.holdsLiveRecords(next) && !this.checkpointRun) this.checkpoint().catch(() => {});
    }
    const every = this.options.checkpointBytes;
    if (every !== undefined && this.bytesSinceCheckpoint >= every && !this.checkpointRun) this.checkpoint().catch(() => {});
  }

  private async syncCurrent(): Promise<void> {
    if (!this.dirty) return;
    try {
      await this.current!.handle.datasync();
    } catch (e) {
      throw storageError(`fdatasync of ${this.currentPath()} failed`, e);
    }
    this.dirty = false;
    this.stats.syncs++;
  }

  /** Moves writing to position 0 of the next generation's slot (see the invariants above). */
  private async rotate(): Promise<void> {
    await this.syncCurrent();
    const next = this.generation + 1;
    while (this.holdsLiveRecords(next)) {
      // One already running started at half-full of this generation, which is enough.
      if (this.checkpointRun) await this.checkpointRun.catch(() => {});
      else await this.checkpoint();
      if (this.failure) throw this.failure;
    }
    const handle = await this.slot(slotOf(next, this.options.files));
    if (this.failure) throw this.failure;
    this.current = handle;
    this.generation = next;
    this.writePos = 0;
    this.tail = Buffer.alloc(0);
    this.stats.rotations++;
  }

  /** Whether the slot of `generation` still holds records the checkpoint has not passed. */
  private holdsLiveRecords(generation: number): boolean {
    const cp = this.checkpointAt;
    // With another ring size the old lap's slots are unknown: only a new checkpoint clears them.
    return cp.files !== this.options.files || cp.generation <= generation - this.options.files;
  }

  /** Runs a checkpoint after the one running, if any. Its failure fails the journal. */
  private checkpoint(): Promise<void> {
    const run = (this.checkpointRun ?? Promise.resolve()).catch(() => {}).then(() => this.runCheckpoint());
    this.checkpointRun = run;
    const clear = () => {
      if (this.checkpointRun === run) this.checkpointRun = null;
    };
    run.then(clear, clear);
    return run;
  }

  private async runCheckpoint(): Promise<void> {
    if (this.failure) throw this.failure;
    const at: JournalCheckpoint = { generation: this.generation, position: this.writePos, files: this.options.files };
    this.bytesSinceCheckpoint = 0;
    try {
      await this.options.checkpoint();
      await writeCheckpoint(this.options.dir, at);
    } catch (e) {
      const err = storageError('sync journal checkpoint failed', e);
      this.fail(err);
      throw err;
    }
    this.checkpointAt = at;
    this.stats.checkpoints++;
  }

  /** Rejects every append not yet acknowledged, and every later one, with the same error. */
  private fail(err: unknown): void {
    this.failure ??= storageError(`sync journal in ${this.options.dir} failed`, err);
    // A group being written directly is rejected by the write loop once the write ends.
    const lost = this.directWriting ? this.queue : this.inFlight.concat(this.queue);
    if (!this.directWriting) this.inFlight = [];
    this.queue = [];
    for (const append of lost) append.reject(this.failure);
  }

  /**
   * Opens every file of the ring, creating (zero-filling and syncing) the missing ones now:
   * zero-filling a 32 MiB file while acknowledgements wait on the journal's syncs queued the
   * disk behind it and stalled them for hundreds of milliseconds.
   */
  private async prepareRing(): Promise<void> {
    for (let i = 0; i < this.options.files; i++) if ((await this.slot(i)).direct) this.directFiles++;
  }

  private slot(slot: number): Promise<JournalHandle> {
    let handle = this.slots.get(slot);
    if (!handle) {
      handle = prepareJournalFile(this.options.dir, slot, this.options.fileBytes, this.options.directWrites ?? true);
      handle.catch(() => {}); // seen by the rotation that needs it
      this.slots.set(slot, handle);
    }
    return handle;
  }

  private currentPath(): string {
    return journalFilePath(this.options.dir, slotOf(this.generation, this.options.files));
  }

  private closedError(): Error {
    return storageError(`sync journal in ${this.options.dir}`, new Error('closed'));
  }
}

/** A copy of the last `count` bytes of the concatenated buffers. */
function lastBytes(buffers: Buffer[], count: number): Buffer {
  const out = Buffer.allocUnsafe(count);
  let at = count;
  for (let i = buffers.length - 1; i >= 0 && at > 0; i--) {
    const b = buffers[i]!;
    const take = Math.min(at, b.length);
    b.copy(out, at - take, b.length - take);
    at -= take;
  }
  return out;
}
