/**
 * Child process for the crash tests: appends (or allocates producer ids) forever and prints
 * each acknowledgement, until the parent kills it with SIGKILL. Inert unless started by the
 * test (node --test may load every file in this directory).
 */
import { DEFAULT_LOG_OPTIONS, LogManager, ProducerIdAllocator } from '../../../src/log/index.js';
import { readRecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records/records.js';

export const CRASH_LOG_OPTIONS = {
  ...DEFAULT_LOG_OPTIONS,
  fsync: 'before-ack' as const,
  segmentBytes: 48 * 1024,
  indexIntervalBytes: 512,
};
export const CRASH_PRODUCERS = 6;

export function producerIdFor(run: number, p: number): bigint {
  return p === 0 ? -1n : BigInt(run * 100 + p);
}

async function appendForever(dataDir: string, run: number): Promise<void> {
  const logs = await LogManager.open(dataDir, CRASH_LOG_OPTIONS);
  const log = await logs.getOrCreate('crash', 0);
  process.stdout.write(`READY ${log.logEndOffset}\n`);
  await Promise.all(
    Array.from({ length: CRASH_PRODUCERS }, async (_, p) => {
      let seq = 0;
      for (let i = 0; ; i++) {
        const n = 1 + (i % 4);
        const tag = `r${run}p${p}i${i}`;
        const pid = producerIdFor(run, p);
        const buf = encodeRecordBatch({
          records: Array.from({ length: n }, (_, j) => ({ value: Buffer.from(`${tag}-${j}`.padEnd(40 + 30 * p, '.')) })),
          producerId: pid,
          producerEpoch: pid < 0n ? -1 : 0,
          baseSequence: pid < 0n ? -1 : seq,
        });
        const r = await log.append(buf, readRecordBatchHeader(buf), {});
        process.stdout.write(`ACK ${tag} ${r.baseOffset} ${n} ${pid} ${seq}\n`);
        seq += n;
      }
    }),
  );
}

async function allocateForever(dataDir: string): Promise<void> {
  const ids = await ProducerIdAllocator.open(dataDir, 50n);
  for (;;) process.stdout.write(`PID ${await ids.allocate()}\n`);
}

if (process.env.LAKEGATE_CRASH_CHILD === '1') {
  const [mode, dataDir, run] = process.argv.slice(2);
  const main = mode === 'ids' ? allocateForever(dataDir!) : appendForever(dataDir!, Number(run));
  main.catch((e) => {
    process.stderr.write(`child failed: ${e?.stack ?? e}\n`);
    process.exit(2);
  });
}
