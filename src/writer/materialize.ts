/**
 * A task's byte range of log to Parquet data files: read whole batches, decode them, keep the
 * records in [fromOffset, toOffset], turn each into a row or a bad record, route rows to a
 * block per partition value and write each block as a data file. Bad records never fail the
 * task: a bad record or a batch that does not decode is reported with its offsets and the rest
 * flows. Batches whose offsets do not follow one another (batch-offsets.ts) do fail it: their
 * records' offsets cannot be known, and a row under a wrong offset would be silent.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { BatchAttributes, hasValidCrc, readRecordBatchHeader } from '../protocol/records/batch-header.js';
import { decodeRecordBatch, type KafkaRecord } from '../protocol/records/records.js';
import { arrowSchema } from './arrow-schema.js';
import { BatchOffsets } from './batch-offsets.js';
import { deadLetterPlan, wireSchemaId } from './dead-letters.js';
import { planColumns } from './column-plan.js';
import { writeDataFile, type DataFileContext } from './data-file.js';
import { describeError, TaskInputError } from './errors.js';
import { DEFAULT_ROW_GROUP_SIZE } from './parquet-encode.js';
import { comparePartitionValues, identityColumnName, partitionDirectory, rowPartitioner, type RowPartitioner } from './partitioning.js';
import { RecordConverter } from './record-converter.js';
import { fitsInt64 } from './temporal.js';
import { releaseBlock, RowBlock } from './row-block.js';
import { DEFAULT_READ_CHUNK, readBatchRange, type SegmentBatch } from './segment-range.js';
import { TypedValueDecoder } from './typed-value-decoder.js';
import { isTypedValueFormat } from './typed-formats.js';
import type { BadRecord, DataFileResult, JsonColumnSpec, MaterializeResult, MaterializeTask, PartitionValue, TypedValueFormat } from './task.js';

export interface MaterializeOptions {
  /**
   * Bound on the estimated Arrow bytes of one file, and of all open blocks together: the
   * Parquet encoder holds a file's whole data in wasm memory, which never shrinks.
   */
  maxFileBytes?: number;
  /** Decompression-bomb guard per batch. */
  maxBatchBytes?: number;
  readChunkBytes?: number;
  /**
   * Blocks (partition values) open at once. identity:<column> on a column with many distinct
   * values would otherwise open a block per value and run the worker out of memory; past the
   * bound the largest open block is written out first (smaller files, bounded memory).
   */
  maxOpenBlocks?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_BATCH_BYTES = 256 * 1024 * 1024;
/** Range of an Iceberg int: an hour or day partition value must fit. */
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
export const DEFAULT_MAX_OPEN_BLOCKS = 256;

class TaskRun {
  readonly blocks = new Map<PartitionValue, RowBlock>();
  /** Directories files were written into (each needs its entries synced). */
  readonly directories = new Set<string>();
  readonly files: DataFileResult[] = [];
  readonly badRecords: BadRecord[] = [];
  readonly deadLetterFiles: DataFileResult[] = [];
  openBytes = 0;
  lastOffset: bigint;
  pendingCorrupt: CorruptBatch | undefined;
  private readonly converter: RecordConverter;
  private readonly typed: TypedValueDecoder | undefined;
  private readonly ctx: DataFileContext;
  private readonly maxFileBytes: number;
  private readonly maxOpenBlocks: number;
  private readonly partitionOf: RowPartitioner;
  private readonly timePartitioned: boolean;
  private readonly partitionColumnType: JsonColumnSpec['type'] | undefined;
  /** The dead-letter file's writer context and its open block (task.deadLetters only). */
  private readonly deadLetterCtx: DataFileContext | undefined;
  private deadLetterBlock: RowBlock | undefined;
  private readonly isTyped: boolean;

  constructor(
    readonly task: MaterializeTask,
    options: MaterializeOptions,
  ) {
    this.isTyped = isTypedValueFormat(task.valueFormat);
    if (this.isTyped !== (task.typed !== undefined)) throw new TaskInputError(`schemas go with a schema-backed value format, and only with one (value format ${task.valueFormat})`);
    this.typed = task.typed ? new TypedValueDecoder(task.valueFormat as TypedValueFormat, task.typed) : undefined;
    const plan = planColumns(task, this.typed?.bind(task));
    this.ctx = { task, plan, arrowSchema: arrowSchema(task.schema), rowGroupSize: task.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE };
    this.converter = new RecordConverter(task, plan, this.typed);
    this.partitionOf = rowPartitioner(task, plan);
    this.timePartitioned = task.partitionBy === 'hour' || task.partitionBy === 'day';
    const column = identityColumnName(task.partitionBy);
    this.partitionColumnType = plan.jsonColumns.find((c) => c.name === column)?.type;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.maxOpenBlocks = options.maxOpenBlocks ?? DEFAULT_MAX_OPEN_BLOCKS;
    this.lastOffset = task.fromOffset - 1n;
    if (task.deadLetters) {
      const { schema, outputDir } = task.deadLetters;
      const dlqTask: MaterializeTask = { ...task, schema, outputDir, valueFormat: 'raw', jsonColumns: [], typed: undefined, partitionBy: 'none', deadLetters: undefined };
      // Raw values can be large and are never filtered on: no Parquet min/max for them.
      this.deadLetterCtx = { task: dlqTask, plan: deadLetterPlan(schema), arrowSchema: arrowSchema(schema), rowGroupSize: this.ctx.rowGroupSize, noStatisticsColumns: ['value'] };
    }
  }

  /** Reports a pending corrupt batch now that the next batch's base offset (or the end) is known. */
  async settleCorrupt(nextBase: bigint | undefined): Promise<void> {
    if (!this.pendingCorrupt) return;
    const corrupt = this.pendingCorrupt;
    this.pendingCorrupt = undefined;
    const covered = await reportCorruptBatch(this, corrupt, nextBase);
    if (covered > this.lastOffset) this.lastOffset = covered;
  }

  /**
   * Reports a record that is not a row and, with task.deadLetters, makes it a dead letter:
   * `record` when it decoded (its raw key, value and headers are kept), else only its offset,
   * the timestamp of its batch and the reason (a corrupt batch has no records to keep).
   */
  async bad(offset: bigint, reason: string, record?: KafkaRecord, batchTimestampMs?: bigint): Promise<void> {
    this.badRecords.push({ partition: this.task.partition, offset, reason });
    const target = this.task.deadLetters;
    if (!target || !this.deadLetterCtx || (target.committedThrough !== null && offset <= target.committedThrough)) return;
    const block = (this.deadLetterBlock ??= new RowBlock(null, this.deadLetterCtx.plan.jsonColumns, undefined, true));
    // The timestamp column is required: one out of range for micros (itself a reason) is 0.
    const micros = fitsInt64((record?.timestamp ?? batchTimestampMs ?? 0n) * 1000n) ?? 0n;
    const value = record?.value ?? null;
    const schemaId = this.isTyped ? wireSchemaId(value) : null;
    block.append(offset, micros, record?.key ?? null, record?.headers ?? [], value, [schemaId, reason]);
    // Bounded like table files: past the bound the dead letters so far become a file.
    if (block.estimatedBytes >= this.maxFileBytes) await this.flushDeadLetters();
  }

  async flushDeadLetters(): Promise<void> {
    const block = this.deadLetterBlock;
    const ctx = this.deadLetterCtx;
    if (!block || !ctx || block.rows === 0) return;
    this.deadLetterBlock = undefined;
    const directory = ctx.task.outputDir;
    if (!this.directories.has(directory)) {
      await mkdir(directory, { recursive: true });
      this.directories.add(directory);
    }
    const file = path.join(directory, `${this.task.filePrefix}-dlq-${this.deadLetterFiles.length}.parquet`);
    this.deadLetterFiles.push(await writeDataFile(ctx, block, file));
    releaseBlock(block);
  }

  async addRecords(records: KafkaRecord[]): Promise<void> {
    const { task, converter } = this;
    for (const record of records) {
      if (record.offset < task.fromOffset || record.offset > task.toOffset) continue;
      const reason = converter.convert(record);
      if (reason !== undefined) {
        await this.bad(record.offset, reason, record);
        continue;
      }
      const partitionValue = this.partitionOf(Number(record.timestamp), converter.json);
      if (this.timePartitioned && ((partitionValue as number) > INT32_MAX || (partitionValue as number) < INT32_MIN)) {
        // Iceberg's hour of a timestamp is an int: the manifest could not hold this file's
        // partition, and the commit would fail for this record at every retry.
        await this.bad(record.offset, `timestamp ${record.timestamp} ms is beyond what the table's ${task.partitionBy} partition (an int) can hold`, record);
        continue;
      }
      let block = this.blocks.get(partitionValue);
      if (!block) {
        if (this.blocks.size >= this.maxOpenBlocks) await this.flush(this.largestBlock());
        block = new RowBlock(partitionValue, this.ctx.plan.jsonColumns, this.typed, this.ctx.plan.hasValue);
        this.blocks.set(partitionValue, block);
      }
      const before = block.estimatedBytes;
      block.append(record.offset, converter.timestampMicros, record.key, record.headers, record.value, converter.json, converter.typedRow);
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
    const directory = path.join(this.task.outputDir, partitionDirectory(this.task.partitionBy, this.partitionColumnType, block.partitionValue));
    if (!this.directories.has(directory)) {
      await mkdir(directory, { recursive: true });
      this.directories.add(directory);
    }
    const file = path.join(directory, `${this.task.filePrefix}-${this.files.length}.parquet`);
    this.files.push(await writeDataFile(this.ctx, block, file));
    releaseBlock(block);
  }

  async flushAll(): Promise<void> {
    const ordered = [...this.blocks.values()].sort((a, b) => comparePartitionValues(a.partitionValue, b.partitionValue));
    for (const block of ordered) await this.flush(block);
    await this.flushDeadLetters();
  }
}

/**
 * A batch that could not be decoded: every offset of it in the task's range is a bad record.
 * Its first offset is checked like any batch's (BatchOffsets); its last one comes from its own
 * LastOffsetDelta, under the CRC that failed, so the next batch's base offset bounds it: the
 * report waits until the next batch (or the end) is seen.
 */
interface CorruptBatch {
  first: bigint;
  last: bigint;
  reason: string;
  /** The batch header's base timestamp (ms), the only time a corrupt batch still tells. */
  timestampMs: bigint;
}

/** Reports the batch's bad records; returns the last offset it can be taken to cover. */
async function reportCorruptBatch(run: TaskRun, corrupt: CorruptBatch, nextBase: bigint | undefined): Promise<bigint> {
  const from = corrupt.first > run.task.fromOffset ? corrupt.first : run.task.fromOffset;
  // It holds at least its first offset, and (BatchOffsets checked) ends before the next batch.
  const last = nextBase !== undefined ? nextBase - 1n : corrupt.last > corrupt.first ? corrupt.last : corrupt.first;
  const to = last < run.task.toOffset ? last : run.task.toOffset;
  for (let offset = from; offset <= to; offset++) await run.bad(offset, corrupt.reason, undefined, corrupt.timestampMs);
  return to;
}

/** The batch's records, or why they cannot be read (nothing is decoded below fromOffset). */
function decodeBatch(batch: SegmentBatch, wanted: boolean, control: boolean, maxBatchBytes: number): { records: KafkaRecord[]; error?: unknown } {
  // Transaction markers are log bookkeeping, not data; a batch not wanted only needs its CRC
  // to say whether its LastOffsetDelta can be trusted.
  if (!wanted || control) return hasValidCrc(batch.bytes) ? { records: [] } : { records: [], error: new Error('CRC mismatch') };
  try {
    const { header, records } = decodeRecordBatch(batch.bytes, { maxUncompressedBytes: maxBatchBytes });
    const misplaced = misplacedRecord(header.baseOffset, header.lastOffsetDelta, records);
    return misplaced === undefined ? { records } : { records: [], error: new Error(misplaced) };
  } catch (err) {
    return { records: [], error: err };
  }
}

/**
 * Why a decoded batch's records do not sit at offsets base..base+lastOffsetDelta, one each, in
 * order; undefined when they do. Kafka refuses such a batch at produce time ("inner record
 * offsets not in sequence"); lakegate's produce path does not decode records, so the writer is
 * where duplicate or skipped offset deltas are caught, before rows land under wrong offsets.
 */
function misplacedRecord(base: bigint, lastOffsetDelta: number, records: readonly KafkaRecord[]): string | undefined {
  if (records.length !== lastOffsetDelta + 1) return `it holds ${records.length} records but its LastOffsetDelta says ${lastOffsetDelta + 1}`;
  for (let i = 0; i < records.length; i++) {
    if (records[i]!.offset !== base + BigInt(i)) return `record ${i} has offset delta ${records[i]!.offset - base}, not ${i}`;
  }
  return undefined;
}

async function processBatch(run: TaskRun, offsets: BatchOffsets, batch: SegmentBatch, maxBatchBytes: number): Promise<void> {
  const header = readRecordBatchHeader(batch.bytes);
  const first = header.baseOffset;
  const last = first + BigInt(header.lastOffsetDelta);
  const wanted = last >= run.task.fromOffset;
  const decoded = decodeBatch(batch, wanted, (header.attributes & BatchAttributes.CONTROL) !== 0, maxBatchBytes);
  // Before any of its records (or the corrupt batch before it) is reported under an offset.
  offsets.accept(batch.position, first, last, decoded.error === undefined);
  await run.settleCorrupt(first);
  if (!wanted) return;
  if (decoded.error !== undefined) {
    const reason = `record batch at byte ${batch.position} (offsets ${first}..${last}) cannot be decoded: ${describeError(decoded.error)}`;
    run.pendingCorrupt = { first, last, reason, timestampMs: header.baseTimestamp };
    return;
  }
  const covered = last < run.task.toOffset ? last : run.task.toOffset;
  if (covered > run.lastOffset) run.lastOffset = covered;
  await run.addRecords(decoded.records);
}

export async function materialize(task: MaterializeTask, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  const run = new TaskRun(task, options);
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  await mkdir(task.outputDir, { recursive: true });
  const offsets = new BatchOffsets(task.segmentPath, task.fromOffset, task.toOffset);
  try {
    scan: for await (const batches of readBatchRange(task.segmentPath, task.position, task.length, options.readChunkBytes ?? DEFAULT_READ_CHUNK)) {
      for (const batch of batches) {
        // Past toOffset nothing more is wanted.
        if (offsets.complete) break scan;
        await processBatch(run, offsets, batch, maxBatchBytes);
      }
    }
    offsets.finish(task.position + task.length);
    await run.settleCorrupt(undefined);
    await run.flushAll();
    // New files' entries, then the new partition directories' entries in outputDir.
    for (const directory of run.directories) await syncDirectory(directory);
    await syncDirectory(task.outputDir);
    // The dead-letter data directory may be new in its table's directory too.
    if (run.deadLetterFiles.length > 0 && task.deadLetters) await syncDirectory(path.dirname(task.deadLetters.outputDir));
  } catch (err) {
    // Nothing references these files yet; leave no orphans behind a failed task.
    await Promise.all([...run.files, ...run.deadLetterFiles].map((f) => rm(f.path, { force: true })));
    throw err;
  }
  return {
    files: run.files,
    rowCount: run.files.reduce((sum, f) => sum + f.recordCount, 0),
    badRecords: run.badRecords,
    deadLetterFiles: run.deadLetterFiles,
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
