/**
 * Child process for the sync journal's kill -9 test: replays, checkpoints, then appends from
 * several concurrent writers forever, printing `ACK <index> <batches>` for each acknowledged
 * append and `CKPT <n>` when a checkpoint starts (every append with index < n was made before
 * it). Inert unless started by the test (node --test may load every file in this directory).
 */
import { SyncJournal } from '../../../src/log/journal/sync-journal.js';
import { BatchLayout, computeBatchCrc } from '../../../src/protocol/records/batch-header.js';

export const CHILD_JOURNAL = { fileBytes: 64 * 1024, files: 3 };
export const RUN_STRIDE = 1_000_000;

/**
 * A batch-shaped buffer of `size` bytes (at least a batch header and the label) whose batch
 * CRC is valid, as every batch the log hands the journal is: the label sits after the header.
 */
export function labelledBatch(label: string, size: number): Buffer {
  const b = Buffer.alloc(Math.max(size, BatchLayout.HEADER_SIZE + label.length), '.');
  b.write(label, BatchLayout.HEADER_SIZE, 'latin1');
  b.writeUInt32BE(computeBatchCrc(b), BatchLayout.CRC);
  return b;
}

export function childBatch(index: number, j: number): Buffer {
  return labelledBatch(`${index}:${j}:`, 100 + ((index * 7919 + j * 104729) % 3900));
}

async function appendForever(dir: string, run: number): Promise<void> {
  let next = run * RUN_STRIDE;
  const { journal, replay } = await SyncJournal.open({
    dir,
    ...CHILD_JOURNAL,
    directWrites: process.env.LAKEGATE_JOURNAL_DIRECT !== '0',
    checkpoint: async () => {
      process.stdout.write(`CKPT ${next}\n`);
    },
  });
  for await (const _ of replay());
  await journal.checkpointNow();
  process.stdout.write('READY\n');
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const index = next++;
        const n = 1 + (index % 3);
        const batches = Array.from({ length: n }, (_, j) => childBatch(index, j));
        await journal.append({ logKey: `t-${index % 5}`, batches });
        process.stdout.write(`ACK ${index} ${n}\n`);
      }
    }),
  );
}

if (process.env.LAKEGATE_JOURNAL_CHILD === '1') {
  const [dir, run] = process.argv.slice(2);
  appendForever(dir!, Number(run)).catch((e) => {
    process.stderr.write(`child failed: ${e?.stack ?? e}\n`);
    process.exit(2);
  });
}
