/**
 * Producer ids for InitProducerId. An id must never be handed out twice, even across kill -9,
 * or a new producer could inherit another's idempotence state. Ids are reserved in blocks: the
 * end of the block is made durable (atomic replace + directory fsync) before any id of it is
 * used, and a restart starts after the last reserved block. A crash wastes at most one block.
 *
 * File: <dataDir>/producer-id-block.json = {"nextBlockStart": "<decimal>"}.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, storageError, writeFileAtomic } from './fs-util.js';

export const PRODUCER_ID_FILE = 'producer-id-block.json';
export const PRODUCER_ID_BLOCK_SIZE = 1000n;

export class ProducerIdAllocator {
  private next: bigint;
  private limit: bigint;
  private reserving: Promise<void> | null = null;

  private constructor(
    private readonly path: string,
    start: bigint,
    private readonly blockSize: bigint,
  ) {
    this.next = start;
    this.limit = start;
  }

  static async open(dataDir: string, blockSize: bigint = PRODUCER_ID_BLOCK_SIZE): Promise<ProducerIdAllocator> {
    const path = join(dataDir, PRODUCER_ID_FILE);
    let start = 0n;
    try {
      await mkdir(dataDir, { recursive: true });
      const raw = JSON.parse(await readFile(path, 'utf8')) as { nextBlockStart: string };
      start = BigInt(raw.nextBlockStart);
      if (start < 0n) throw new Error(`negative nextBlockStart ${start}`);
    } catch (e) {
      // Guessing after a corrupt file could reuse ids; only a missing file means "fresh".
      if (!isNotFound(e)) throw storageError(`cannot read ${path}`, e);
    }
    return new ProducerIdAllocator(path, start, blockSize);
  }

  async allocate(): Promise<bigint> {
    while (this.next >= this.limit) {
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return this.next++;
  }

  private async reserveBlock(): Promise<void> {
    const end = this.limit + this.blockSize;
    try {
      await writeFileAtomic(this.path, JSON.stringify({ nextBlockStart: end.toString() }));
    } catch (e) {
      throw storageError(`cannot reserve producer ids in ${this.path}`, e);
    }
    this.limit = end;
  }
}
