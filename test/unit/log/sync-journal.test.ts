import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JournalBatchTooLargeError, SyncJournal } from '../../../src/log/journal/sync-journal.js';
import type { ReplayedBatch, SyncJournalOptions } from '../../../src/log/journal/types.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { BatchLayout } from '../../../src/protocol/records/batch-header.js';
import { CHILD_JOURNAL, RUN_STRIDE, childBatch, labelledBatch } from './sync-journal-child.js';
import { tempDir } from './helpers.js';

const KB = 1024;
const HEADER = 18;

/** A batch-shaped buffer (valid batch CRC, which replay checks) with its index after the header. */
function batch(index: number, size = 200): Buffer {
  return labelledBatch(`${index}:`, size);
}

function indexOf(b: Buffer): number {
  return Number(b.toString('latin1', BatchLayout.HEADER_SIZE, b.indexOf(':', BatchLayout.HEADER_SIZE)));
}

/** Batches 6c..6c+5 share a key, so groups of 1, 2 and 3 batches (see groupsOf) do too. */
function keyOf(index: number): string {
  return `topic-${Math.floor(index / 6) % 4}`;
}

/** Batch indexes from..to-1 as groups of 1, 2, 3, 1, 2, 3, ... batches. */
function groupsOf(from: number, to: number): number[][] {
  const groups: number[][] = [];
  for (let i = from; i < to; i += groups[groups.length - 1]!.length) groups.push(range(i, Math.min(to, i + 1 + (groups.length % 3))));
  return groups;
}

/** The journal bytes of batch `index` as appended by appendBatches. */
function recordSize(index: number, size: number): number {
  return HEADER + Buffer.byteLength(keyOf(index)) + size;
}

async function openJournal(dir: string, o: Partial<SyncJournalOptions> = {}) {
  return SyncJournal.open({ dir, fileBytes: 1024 * KB, files: 2, checkpoint: async () => {}, ...o });
}

async function collect(replay: () => AsyncIterable<ReplayedBatch>): Promise<ReplayedBatch[]> {
  const out: ReplayedBatch[] = [];
  for await (const b of replay()) out.push(b);
  return out;
}

async function replayedIndexes(dir: string, o: Partial<SyncJournalOptions> = {}): Promise<number[]> {
  const { journal, replay } = await openJournal(dir, o);
  const got = await collect(replay);
  await journal.close();
  for (const b of got) assert.equal(b.logKey, keyOf(indexOf(b.batch)));
  return got.map((b) => indexOf(b.batch));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Appends batches from..to-1 one group at a time (each awaited), sizes from sizeOf. */
async function appendBatches(journal: SyncJournal, from: number, to: number, sizeOf: (i: number) => number = () => 200) {
  for (let i = from; i < to; i++) await journal.append({ logKey: keyOf(i), batches: [batch(i, sizeOf(i))] });
}

/** How the journal writes (direct-write.ts): the tests below run with each. */
interface WriteMode {
  name: string;
  open: (dir: string, o?: Partial<SyncJournalOptions>) => ReturnType<typeof openJournal>;
  replayed: (dir: string, o?: Partial<SyncJournalOptions>) => Promise<number[]>;
}

const WRITE_MODES: WriteMode[] = [true, false].map((directWrites) => ({
  name: directWrites ? 'direct writes' : 'buffered writes',
  open: (dir, o = {}) => openJournal(dir, { directWrites, ...o }),
  replayed: (dir, o = {}) => replayedIndexes(dir, { directWrites, ...o }),
}));

for (const w of WRITE_MODES) {
  test(`concurrent appends share fdatasyncs; a fresh journal replays nothing; reopening replays them in order (${w.name})`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { journal, replay } = await w.open(dir);
      // Direct writes need the addon (Linux) and a filesystem that takes O_DIRECT (ext4, xfs).
      assert.equal(journal.writeMode, w.name === 'direct writes' && process.platform === 'linux' ? 'direct' : 'buffered');
      assert.deepEqual(await collect(replay), []);
      const N = 300;
      await Promise.all(range(0, N).map((i) => journal.append({ logKey: keyOf(i), batches: [batch(i)] })));
      assert.equal(journal.stats.appends, N);
      assert.ok(journal.stats.syncs <= 3, `${N} concurrent appends took ${journal.stats.syncs} syncs`);
      let bytes = 0;
      for (let i = 0; i < N; i++) bytes += recordSize(i, 200);
      assert.equal(journal.stats.bytes, bytes);

      // Appends arriving while a sync is in flight ride the next one.
      const waves: Promise<void>[] = [];
      for (let wave = 0; wave < 10; wave++) {
        for (let i = 0; i < 20; i++) waves.push(journal.append({ logKey: keyOf(N + wave * 20 + i), batches: [batch(N + wave * 20 + i)] }));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(waves);
      assert.ok(journal.stats.syncs < 3 + 200 / 4, `200 appends in 10 waves took ${journal.stats.syncs} syncs`);
      await journal.close();
      await assert.rejects(journal.append({ logKey: 'x', batches: [batch(0)] }), KafkaError);
      assert.deepEqual(await w.replayed(dir), range(0, N + 200));
    } finally {
      await cleanup();
    }
  });

  test(`replay returns exactly the batches after the checkpoint, in order, across rotations and laps; files are reused (${w.name})`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const sizeOf = (i: number) => 100 + ((i * 7919) % 2900);
      const fileBytes = 64 * KB;
      let journalRef: SyncJournal | null = null;
      let bytesAtCheckpoint: number[] = [];
      const { journal } = await w.open(dir, {
        fileBytes,
        files: 3,
        // The checkpoint's position is taken just before this runs: stats.bytes says where.
        checkpoint: async () => void bytesAtCheckpoint.push(journalRef!.stats.bytes),
      });
      journalRef = journal;
      const inodes = new Map<string, number>();
      const N = 600;
      const groups = groupsOf(0, N);
      for (let w = 0; w < groups.length; w += 10) {
        // Waves of concurrent groups; a group of several batches is several physical records.
        await Promise.all(
          groups.slice(w, w + 10).map((g) => journal.append({ logKey: keyOf(g[0]!), batches: g.map((i) => batch(i, sizeOf(i))) })),
        );
        if (w === 150) for (const f of await readdir(dir)) inodes.set(f, (await stat(join(dir, f))).ino);
      }
      await journal.close();
      assert.ok(journal.stats.rotations >= 6, `only ${journal.stats.rotations} rotations`);
      assert.ok(bytesAtCheckpoint.length >= 3);

      const appended = range(0, N);
      let covered = 0;
      let k = 0;
      const lastCheckpoint = bytesAtCheckpoint[bytesAtCheckpoint.length - 1]!;
      while (k < appended.length && covered + recordSize(appended[k]!, sizeOf(appended[k]!)) <= lastCheckpoint) {
        covered += recordSize(appended[k]!, sizeOf(appended[k]!));
        k++;
      }
      assert.equal(covered, lastCheckpoint, 'a checkpoint position falls between records');
      assert.deepEqual(await w.replayed(dir, { fileBytes, files: 3 }), appended.slice(k));

      const files = (await readdir(dir)).sort();
      assert.deepEqual(files, ['checkpoint', 'journal-0.wal', 'journal-1.wal', 'journal-2.wal']);
      for (const f of files.filter((f) => f.endsWith('.wal'))) {
        const s = await stat(join(dir, f));
        assert.equal(s.size, fileBytes, `${f} keeps its size`);
        assert.equal(s.ino, inodes.get(f), `${f} is reused, not recreated`);
      }
    } finally {
      await cleanup();
    }
  });

  test(`checkpointNow moves the replay start; a restart writes on in a new generation (${w.name})`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const o = { fileBytes: 64 * KB, files: 3 };
      let { journal } = await w.open(dir, o);
      await appendBatches(journal, 0, 50);
      await journal.checkpointNow();
      await journal.close();
      assert.equal(journal.stats.checkpoints, 1);

      let opened = await w.open(dir, o);
      assert.deepEqual(await collect(opened.replay), []);
      journal = opened.journal;
      await journal.checkpointNow(); // as after applying the replay
      await appendBatches(journal, 50, 70);
      await journal.close();
      assert.equal(journal.stats.rotations, 1, 'the first append after a restart starts a new generation');

      assert.deepEqual(await w.replayed(dir, o), range(50, 70));
      opened = await w.open(dir, o);
      assert.deepEqual((await collect(opened.replay)).map((b) => indexOf(b.batch)), range(50, 70));
      await appendBatches(opened.journal, 70, 75); // without a checkpoint: both stay in the journal
      await opened.journal.close();
      assert.deepEqual(await w.replayed(dir, o), range(50, 75));
    } finally {
      await cleanup();
    }
  });

  test(`a torn or garbled tail stops replay there; records before it replay and it is never resurrected (${w.name})`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { journal } = await w.open(dir);
      await appendBatches(journal, 0, 10, () => 500);
      await journal.close();
      const offset = (i: number) => range(0, i).reduce((sum, j) => sum + recordSize(j, 500), 0);
      const path = join(dir, 'journal-0.wal');

      const h = await open(path, 'r+');
      await h.write(Buffer.from('X'), 0, 1, offset(9) + 300);
      await h.close();
      assert.deepEqual(await w.replayed(dir), range(0, 9));

      await truncate(path, offset(8) + 100); // a record running past the end of the file
      assert.deepEqual(await w.replayed(dir), range(0, 8));

      const { journal: again, replay } = await w.open(dir);
      assert.equal((await collect(replay)).length, 8);
      await appendBatches(again, 100, 101);
      await again.close();
      assert.deepEqual(await w.replayed(dir), [...range(0, 8), 100]);
    } finally {
      await cleanup();
    }
  });

  test(`records of an older lap behind the end of the current one are not replayed (${w.name})`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const fileBytes = 64 * KB;
      const size = 1000;
      const R = recordSize(0, size); // every key here is as long, so records line up across laps
      const perFile = Math.floor(fileBytes / R);
      let journalRef: SyncJournal | null = null;
      let coveredBytes = 0;
      const { journal } = await w.open(dir, {
        fileBytes,
        files: 2,
        checkpoint: async () => void (coveredBytes = journalRef!.stats.bytes),
      });
      journalRef = journal;
      const N = 2 * perFile + 3; // generation 3 (slot 0 again) gets three records
      await appendBatches(journal, 0, N, () => size);
      await journal.close();
      assert.equal(journal.stats.rotations, 2);

      // Behind generation 3's last record sits an intact record of generation 1: right after
      // it, or with direct writes (which zero the rest of the last block) the first one past it.
      const at = journal.writeMode === 'direct' ? Math.ceil((Math.ceil((3 * R) / 4096) * 4096) / R) : 3;
      const h = await open(join(dir, 'journal-0.wal'), 'r');
      const stale = Buffer.alloc(R);
      await h.read(stale, 0, R, at * R);
      await h.close();
      assert.equal(stale.readBigUInt64BE(8), 1n);
      assert.equal(indexOf(stale.subarray(HEADER + keyOf(at).length)), at);

      assert.ok(coveredBytes > 0 && coveredBytes % R === 0);
      assert.deepEqual(await w.replayed(dir, { fileBytes, files: 2 }), range(coveredBytes / R, N));
    } finally {
      await cleanup();
    }
  });
}

test('a changed ring size replays with the old one and checkpoints before writing with the new one', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const o = { fileBytes: 64 * KB, files: 3 };
    const { journal } = await openJournal(dir, o);
    await appendBatches(journal, 0, 150, () => 1000); // generations 1-3 (slots 0-2), the last under half full
    await journal.close();
    assert.equal(journal.stats.rotations, 2);
    assert.equal(journal.stats.checkpoints, 0);

    let checkpoints = 0;
    const smaller = { ...o, files: 2, checkpoint: async () => void checkpoints++ };
    const opened = await openJournal(dir, smaller);
    assert.deepEqual((await collect(opened.replay)).map((b) => indexOf(b.batch)), range(0, 150));
    await appendBatches(opened.journal, 200, 210, () => 1000);
    await opened.journal.close();
    assert.equal(checkpoints, 1, 'the first rotation after the change waits for a checkpoint');
    assert.deepEqual(await replayedIndexes(dir, smaller), range(200, 210));
  } finally {
    await cleanup();
  }
});

test('a batch that cannot fit in an empty file rejects with JournalBatchTooLargeError; the journal goes on', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const fileBytes = 64 * KB;
    const { journal } = await openJournal(dir, { fileBytes, files: 3 });
    const key = keyOf(1);
    await assert.rejects(journal.append({ logKey: key, batches: [batch(1, 100), batch(1, fileBytes)] }), JournalBatchTooLargeError);
    await assert.rejects(journal.append({ logKey: key, batches: [batch(1, fileBytes - HEADER - key.length + 1)] }), JournalBatchTooLargeError);
    await journal.append({ logKey: keyOf(0), batches: [batch(0, 100)] });
    await journal.append({ logKey: key, batches: [batch(1, fileBytes - HEADER - key.length)] }); // exactly a file
    await journal.close();
    assert.equal(journal.stats.rotations, 1);
    assert.equal(journal.stats.checkpoints, 0);
    assert.deepEqual(await replayedIndexes(dir, { fileBytes, files: 3 }), [0, 1]);
  } finally {
    await cleanup();
  }
});

test('rotation checkpoints when the next slot still holds live records, and waits for it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const files of [2, 3]) {
      let journalRef: SyncJournal | null = null;
      const rotationsAtCall: number[] = [];
      const violations: string[] = [];
      const { journal } = await openJournal(join(dir, `f${files}`), {
        fileBytes: 64 * KB,
        files,
        checkpoint: async () => {
          const r = journalRef!.stats.rotations;
          rotationsAtCall.push(r);
          await new Promise((res) => setTimeout(res, 30)); // appends keep filling the file meanwhile
          if (journalRef!.stats.rotations > r + (files === 2 ? 0 : 1)) violations.push(`rotated past a live slot at ${r}`);
        },
      });
      journalRef = journal;
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 600; i++) {
        pending.push(journal.append({ logKey: keyOf(i), batches: [batch(i, 1000)] }));
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(pending);
      await journal.close();
      assert.deepEqual(violations, []);
      // The first lap fills fresh files; the first checkpoint is needed while writing the last slot.
      assert.equal(rotationsAtCall[0], files - 1, `files=${files}: ${rotationsAtCall}`);
      assert.ok(journal.stats.rotations >= 8);
      // Each checkpoint frees the slots of every generation before the one it started in.
      assert.ok(rotationsAtCall.length >= (journal.stats.rotations - files + 1) / (files - 1), `${rotationsAtCall}`);
      assert.equal(journal.stats.checkpoints, rotationsAtCall.length);
    }
  } finally {
    await cleanup();
  }
});

test('checkpointBytes starts a checkpoint every so many journal bytes, long before any file is reused', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let calls = 0;
    const { journal } = await openJournal(dir, { fileBytes: 1024 * KB, files: 4, checkpointBytes: 20 * KB, checkpoint: async () => void calls++ });
    await appendBatches(journal, 0, 100, () => 1000); // about 100 KiB of journal: no rotation
    await journal.checkpointNow(); // waits for any running one, then one more
    assert.equal(journal.stats.rotations, 0);
    assert.ok(calls >= 4 && calls <= 6, `about one checkpoint per 20 KiB (${calls})`);
    await journal.close();
    assert.deepEqual(await replayedIndexes(dir), [], 'the last checkpoint covers every append');
  } finally {
    await cleanup();
  }
});

test('a failing checkpoint rejects the appends waiting on it and fails the journal cleanly', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { journal } = await openJournal(dir, {
      fileBytes: 64 * KB,
      files: 2,
      checkpoint: async () => {
        throw new Error('segment sync failed');
      },
    });
    let failure: unknown = null;
    let acked = 0;
    for (let i = 0; i < 200 && failure === null; i++) {
      await journal.append({ logKey: keyOf(i), batches: [batch(i, 1000)] }).then(
        () => acked++,
        (e) => (failure = e),
      );
    }
    assert.ok(failure instanceof KafkaError, String(failure));
    assert.equal(failure.code, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.match(failure.message, /segment sync failed/);
    assert.ok(acked > 30, 'appends before the rotation were acknowledged');
    await assert.rejects(journal.append({ logKey: 'x', batches: [batch(0)] }), (e) => e === failure);
    await assert.rejects(journal.checkpointNow(), (e) => e === failure);
    await journal.close();
  } finally {
    await cleanup();
  }
});

const CHILD = fileURLToPath(new URL('./sync-journal-child.js', import.meta.url));

/** Runs the child until it has acknowledged about `acks` appends, then SIGKILLs it. */
function runAndKill(dir: string, run: number, acks: number, directWrites: boolean): Promise<{ acked: Map<number, number>; checkpoints: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(run)], {
      env: { ...process.env, LAKEGATE_JOURNAL_CHILD: '1', LAKEGATE_JOURNAL_DIRECT: directWrites ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<number, number>();
    const checkpoints: number[] = [];
    let stderr = '';
    const target = acks + Math.floor(Math.random() * acks);
    child.stderr.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ACK') acked.set(Number(a), Number(b));
      if (kind === 'CKPT') checkpoints.push(Number(a));
      if (acked.size === target) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code}: ${stderr}`));
      else setTimeout(() => resolve({ acked, checkpoints }), 50);
    });
  });
}

for (const directWrites of [true, false]) {
  const mode = directWrites ? 'direct writes' : 'buffered writes';
  test(`kill -9 while appending: every acknowledged append is replayed or covered by a checkpoint (${mode})`, { timeout: 120_000 }, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      for (let run = 1; run <= 3; run++) {
        const { acked, checkpoints } = await runAndKill(dir, run, 300, directWrites);
        const { journal, replay } = await SyncJournal.open({ dir, ...CHILD_JOURNAL, checkpoint: async () => {} });
        const replayed = new Map<number, number>();
        let last = -1;
        for await (const { logKey, batch: b } of replay()) {
          const [index, j] = b.toString('latin1', BatchLayout.HEADER_SIZE, BatchLayout.HEADER_SIZE + 24).split(':').map(Number) as [number, number];
          assert.ok(index >= run * RUN_STRIDE && index < (run + 1) * RUN_STRIDE, `batch ${index} of another run`);
          // Replay may start inside a group: a rotation's checkpoint covers the batches before it.
          const inOrder = j === 0 ? index > last : last === -1 || (index === last && j === replayed.get(index));
          assert.ok(inOrder, `out of order: ${index}:${j} after ${last}`);
          assert.equal(logKey, `t-${index % 5}`);
          assert.ok(b.equals(childBatch(index, j)));
          replayed.set(index, j + 1);
          last = index;
        }
        await journal.close();
        // A checkpoint that started may or may not have completed before the kill.
        const covered = Math.max(run * RUN_STRIDE, ...checkpoints);
        for (const [index, n] of acked) {
          if (index < covered) continue;
          assert.equal(replayed.get(index), n, `acknowledged append ${index} is missing`);
        }
        assert.ok(acked.size >= 300);
      }
    } finally {
      await cleanup();
    }
  });
}
