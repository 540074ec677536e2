/**
 * One RowBlock to one Parquet data file on disk and its description. The file is fsynced
 * before it is reported: a table commit may reference it as soon as the task returns.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Schema } from 'apache-arrow';
import { buildArrowTable } from './arrow-batch.js';
import { leafPaths } from './arrow-schema.js';
import type { ColumnPlan } from './column-plan.js';
import { columnSizes, encodeParquet } from './parquet-encode.js';
import type { RowBlock } from './row-block.js';
import { computeStats } from './stats.js';
import type { DataFileResult, MaterializeTask } from './task.js';

export interface DataFileContext {
  task: MaterializeTask;
  plan: ColumnPlan;
  arrowSchema: Schema;
  rowGroupSize: number;
  /** Columns without Parquet min/max statistics (default: a JSON topic's document columns). */
  noStatisticsColumns?: string[];
}

async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeDataFile(ctx: DataFileContext, block: RowBlock, file: string): Promise<DataFileResult> {
  const { task, plan } = ctx;
  const bytes = encodeParquet(buildArrowTable(ctx.arrowSchema, plan, block, task.partition), {
    rowGroupSize: ctx.rowGroupSize,
    noStatisticsColumns: ctx.noStatisticsColumns ?? (task.valueFormat === 'json' ? plan.columns.filter((c) => c.source.kind === 'value').map((c) => c.column.name) : []),
  });
  const absolute = path.resolve(file);
  await writeDurably(absolute, bytes);
  const columnStats = computeStats(plan, block, task.partition);
  const sizes = await columnSizes(bytes);
  for (const [leaf, id] of leafPaths(task.schema.columns)) {
    const size = sizes.get(leaf);
    if (size !== undefined && columnStats[id]) columnStats[id].sizeBytes = size;
  }
  return {
    path: absolute,
    sizeBytes: bytes.length,
    recordCount: block.rows,
    partitionValue: block.partitionValue,
    columnStats,
    minOffset: block.minOffset,
    maxOffset: block.maxOffset,
  };
}
