/**
 * The sync journal: under fsync=before-ack, every partition's newly written batches are also
 * appended to one shared journal, and an append is acknowledged once the journal is synced.
 * One fdatasync then covers every partition written in the same moment, instead of one per
 * partition, and it lands on pre-zeroed, recycled files, so it writes data pages only (no
 * block allocation, no size change: on ext4 without a journal every such metadata change is
 * another synchronous write). The segments themselves are written to the page cache as
 * before and synced in bulk at checkpoints; after a machine crash, whatever a segment lost is
 * still in the journal and is replayed into it at start-up.
 */

/** One partition log's group of batches, in log order (each batch whole, BaseOffset set). */
export interface JournalRecord {
  /** The partition log's directory name under the data directory (`<topic>-<partition>`). */
  logKey: string;
  batches: Buffer[];
}

/** A batch read back from the journal at start-up, in the order it was appended. */
export interface ReplayedBatch {
  logKey: string;
  batch: Buffer;
}

export interface SyncJournalOptions {
  /** Directory of the journal files (created if missing). */
  dir: string;
  /** Size of each journal file; files are pre-zeroed to it once and then reused. */
  fileBytes: number;
  /** Files in the ring (at least 2): the journal writes one while older ones wait for reuse. */
  files: number;
  /**
   * Start a checkpoint in the background once this many journal bytes were written since the
   * last one started (if none is running), so that it is done before a file must be reused.
   * Each checkpoint costs an fdatasync per segment written (log-manager.ts sets one per file).
   * Without it, checkpoints run only when a file is about to be reused.
   */
  checkpointBytes?: number;
  /**
   * Whether groups may be written O_DIRECT | O_DSYNC (direct-write.ts) where the addon and the
   * filesystem allow it (default true); false writes buffered and fdatasyncs.
   */
  directWrites?: boolean;
  /**
   * Makes every partition log's writes so far durable in the log itself (fdatasync of each
   * log's unsynced segments). The journal calls it before it reuses a file, and only then
   * moves its checkpoint past that file's records; appends meanwhile keep going to the
   * current file. Called at most once at a time.
   */
  checkpoint: () => Promise<void>;
}
