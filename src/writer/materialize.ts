/**
 * A task's byte range of log to Parquet data files: read whole batches, decode them, keep the
 * records in [fromOffset, toOffset], turn each into a row or a bad record, route rows to a
 * block per partition value and write each block as a data file. Bad input never fails the
 * task: a bad record or a corrupt batch is reported with its offsets and the rest flows.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { BatchAttributes, readRecordBatchHeader } from '../protocol/records/batch-header.js';
import { decodeRecordBatch, type KafkaRecord } from '../protocol/records/records.js';
import { arrowSchema } from './arrow-schema.js';
import { planColumns } from './column-plan.js';
import { writeDataFile, type DataFileContext } from './data-file.js';
import { describeError } from './errors.js';
import { DEFAULT_ROW_GROUP_SIZE } from './parquet-encode.js';
import { partitionValueOf } from './partitioning.js';
import { RecordConverter } from './record-converter.js';
import { RowBlock } from './row-block.js';
import { DEFAULT_READ_CHUNK, readBatchRange, type SegmentBatch } from './segment-range.js';
import type { BadRecord, DataFileResult, MaterializeResult, MaterializeTask } from './task.js';

export interface MaterializeOptions {
  /**
   * Bound on the estimated Arrow bytes of one file, and of all open blocks together: the
   * Parquet encoder holds a file's whole data in wasm memory, which never shrinks.
   */
  maxFileBytes?: number;
  /** Decompression-bomb guard per batch. */
  maxBatchBytes?: number;
  readChunkBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_BATCH_BYTES = 256 * 1024 * 1024;

class TaskRun {
  readonly blocks = new Map<number | null, RowBlock>();
  readonly files: DataFileResult[] = [];
  readonly badRecords: BadRecord[] = [];
  openBytes = 0;
  lastOffset: bigint;
  private readonly converter: RecordConverter;
  private readonly ctx: DataFileContext;
  private readonly maxFileBytes: number;

  constructor(
    readonly task: MaterializeTask,
    options: MaterializeOptions,
  ) {
    const plan = planColumns(task);
    this.ctx = { task, plan, arrowSchema: arrowSchema(task.schema), rowGroupSize: task.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE };
    this.converter = new RecordConverter(task, plan);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.lastOffset = task.fromOffset - 1n;
  }

  bad(offset: bigint, reason: string): void {
    this.badRecords.push({ partition: this.task.partition, offset, reason });
  }

  async addRecords(records: KafkaRecord[]): Promise<void> {
    const { task, converter } = this;
    for (const record of records) {
      if (record.offset < task.fromOffset || record.offset > task.toOffset) continue;
      const reason = converter.convert(record);
      if (reason !== undefined) {
        this.bad(record.offset, reason);
        continue;
      }
      const partitionValue = partitionValueOf(task.partitionBy, Number(record.timestamp));
      let block = this.blocks.get(partitionValue);
      if (!block) {
        block = new RowBlock(partitionValue, this.ctx.plan.jsonColumns);
        this.blocks.set(partitionValue, block);
      }
      const before = block.estimatedBytes;
      block.append(record.offset, converter.timestampMicros, record.key, record.headers, record.value, converter.json);
      this.openBytes += block.estimatedBytes - before;
      if (block.estimatedBytes >= this.maxFileBytes) await this.flush(block);
      else if (this.openBytes >= this.maxFileBytes) await this.flush(this.largestBlock());
    }
  }

  private largestBlock(): RowBlock {
    let largest: RowBlock | undefined;
    for (const b of this.blocks.values()) if (!largest || b.estimatedBytes > largest.estimatedBytes) largest = b;
    return largest!;
  }

  async flush(block: RowBlock): Promise<void> {
    this.blocks.delete(block.partitionValue);
    this.openBytes -= block.estimatedBytes;
    const file = path.join(this.task.outputDir, `${this.task.filePrefix}-${this.files.length}.parquet`);
    this.files.push(await writeDataFile(this.ctx, block, file));
  }

  async flushAll(): Promise<void> {
    const ordered = [...this.blocks.values()].sort((a, b) => (a.partitionValue ?? 0) - (b.partitionValue ?? 0));
    for (const block of ordered) await this.flush(block);
  }
}

/** Every offset of a batch that could not be decoded, within the task's range. */
function reportCorruptBatch(run: TaskRun, batch: SegmentBatch, first: bigint, last: bigint, err: unknown): void {
  const from = first > run.task.fromOffset ? first : run.task.fromOffset;
  const to = last < run.task.toOffset ? last : run.task.toOffset;
  const reason = `record batch at byte ${batch.position} (offsets ${first}..${last}) cannot be decoded: ${describeError(err)}`;
  for (let offset = from; offset <= to; offset++) run.bad(offset, reason);
}

async function processBatch(run: TaskRun, batch: SegmentBatch, maxBatchBytes: number): Promise<void> {
  const header = readRecordBatchHeader(batch.bytes);
  const first = header.baseOffset;
  const last = first + BigInt(header.lastOffsetDelta);
  if (last < run.task.fromOffset) return;
  const covered = last < run.task.toOffset ? last : run.task.toOffset;
  if (covered > run.lastOffset) run.lastOffset = covered;
  // Transaction markers are log bookkeeping, not data.
  if ((header.attributes & BatchAttributes.CONTROL) !== 0) return;
  let records: KafkaRecord[];
  try {
    records = decodeRecordBatch(batch.bytes, { maxUncompressedBytes: maxBatchBytes }).records;
  } catch (err) {
    reportCorruptBatch(run, batch, first, last, err);
    return;
  }
  await run.addRecords(records);
}

export async function materialize(task: MaterializeTask, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  const run = new TaskRun(task, options);
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  await mkdir(task.outputDir, { recursive: true });
  try {
    scan: for await (const batches of readBatchRange(task.segmentPath, task.position, task.length, options.readChunkBytes ?? DEFAULT_READ_CHUNK)) {
      for (const batch of batches) {
        // Offsets only grow along a segment: past toOffset nothing more is wanted.
        if (batch.bytes.readBigInt64BE(0) > task.toOffset) break scan;
        await processBatch(run, batch, maxBatchBytes);
      }
    }
    await run.flushAll();
    await syncDirectory(task.outputDir);
  } catch (err) {
    // Nothing references these files yet; leave no orphans behind a failed task.
    await Promise.all(run.files.map((f) => rm(f.path, { force: true })));
    throw err;
  }
  return {
    files: run.files,
    rowCount: run.files.reduce((sum, f) => sum + f.recordCount, 0),
    badRecords: run.badRecords,
    lastOffset: run.lastOffset,
  };
}

/** Makes the new files' directory entries durable too. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
