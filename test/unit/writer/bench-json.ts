/**
 * Throughput of JSON values into Parquet on one thread (what one pool worker sustains):
 * `node dist/test/unit/writer/bench-json.js [MB] [codec] [workers] [rounds] [shape]`, shape one
 * of orders (7 typed columns, the default), events (the bench:materialize document: 4 typed
 * columns and a long text) or untyped (orders documents, no typed columns). Not a test: prints MB/s
 * of JSON value bytes, end to end from the segment file to fsynced Parquet files, per wall
 * second and per CPU second of this process (what counts on a shared, busy machine). With
 * workers > 0 the range is split into that many tasks run on a WriterPool of that size.
 */
import { rmSync } from 'node:fs';
import { CompressionCodec } from '../../../src/protocol/records/compression/index.js';
import type { EncodeBatchInput } from '../../../src/protocol/records/records.js';
import { materialize } from '../../../src/writer/materialize.js';
import { WriterPool } from '../../../src/writer/pool.js';
import type { JsonColumnSpec } from '../../../src/writer/task.js';
import { jsonSchema, prng, task, tempDir, writeSegment } from './support.js';

const targetMB = Number(process.argv[2] ?? 100);
const codec = CompressionCodec[(process.argv[3] ?? 'Lz4') as keyof typeof CompressionCodec];
const workers = Number(process.argv[4] ?? 0);
/** On a shared machine the least CPU time of several rounds is the steadiest figure. */
const rounds = Number(process.argv[5] ?? 3);

const shape = process.argv[6] ?? 'orders';
const orderSpecs: JsonColumnSpec[] = [
  { fieldId: 10, name: 'order_id', path: 'order_id', type: 'long' },
  { fieldId: 11, name: 'customer', path: 'customer', type: 'string' },
  { fieldId: 12, name: 'amount', path: 'amount', type: 'double' },
  { fieldId: 13, name: 'paid', path: 'paid', type: 'boolean' },
  { fieldId: 14, name: 'created_at', path: 'created_at', type: 'timestamptz' },
  { fieldId: 15, name: 'quantity', path: 'quantity', type: 'int' },
  { fieldId: 16, name: 'ship_date', path: 'ship_date', type: 'date' },
];
const eventSpecs: JsonColumnSpec[] = [
  { fieldId: 10, name: 'id', path: 'id', type: 'long' },
  { fieldId: 11, name: 'customer', path: 'customer', type: 'string' },
  { fieldId: 12, name: 'amount', path: 'amount', type: 'double' },
  { fieldId: 13, name: 'ts', path: 'ts', type: 'timestamptz' },
];
const specs = shape === 'events' ? eventSpecs : shape === 'untyped' ? [] : orderSpecs;

const rand = prng(42);
const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
const pick = () => words[Math.floor(rand() * words.length)];
const T0 = 1_700_000_000_000;

/** The same document as bench/src/materialize-server.ts (doc) produces; the unit build cannot import bench/. */
function eventDoc(i: number): unknown {
  return {
    id: i,
    customer: `customer-${i % 997}`,
    amount: (i % 10_000) / 100,
    ts: new Date(1_700_000_000_000 + i).toISOString(),
    tags: ['alpha', 'beta', i % 2 ? 'gamma' : 'delta'],
    note: 'the quick brown fox jumps over the lazy dog '.repeat(4),
  };
}

const dir = tempDir();
const batches: EncodeBatchInput[] = [];
let bytes = 0;
let offset = 0;
while (bytes < targetMB * 1e6) {
  const records = [];
  for (let i = 0; i < 500; i++, offset++) {
    const doc = shape === 'events' ? eventDoc(offset) : {
      order_id: offset,
      customer: `${pick()}-${pick()}-${Math.floor(rand() * 1e6)}`,
      amount: Math.round(rand() * 1e6) / 100,
      paid: rand() < 0.5,
      created_at: new Date(T0 + offset * 7).toISOString(),
      quantity: Math.floor(rand() * 100),
      ship_date: '2024-03-01',
      items: [{ sku: `${pick()}-${Math.floor(rand() * 1000)}`, qty: 1, note: `${pick()} ${pick()} ${pick()}` }],
      address: { street: `${Math.floor(rand() * 999)} ${pick()} street`, city: pick(), zip: String(Math.floor(rand() * 99999)) },
      tags: [pick(), pick()],
    };
    const value = Buffer.from(JSON.stringify(doc));
    bytes += value.length;
    records.push({ value, key: Buffer.from(String(offset)), timestamp: BigInt(T0 + offset * 7) });
  }
  batches.push({ baseOffset: BigInt(offset - 500), codec, records });
}
const segment = writeSegment(dir, batches);
const t = task(segment, `${dir}/out`, { valueFormat: 'json', jsonColumns: specs, schema: jsonSchema(specs), partitionBy: 'hour' });

// Calibration on a shared machine: JSON.parse alone over the same values, per CPU second.
{
  const cpuStart = process.cpuUsage();
  let parsed = 0;
  for (const batch of batches) for (const r of batch.records) parsed += JSON.parse(r.value!.toString('utf8')) ? 1 : 0;
  const cpu = process.cpuUsage(cpuStart);
  console.log(`calibration: JSON.parse alone = ${(bytes / 1e6 / ((cpu.user + cpu.system) / 1e6)).toFixed(1)} MB/CPU-s (${parsed} docs)`);
}

if (workers > 0) {
  const pool = new WriterPool({ size: workers });
  const per = Math.ceil(segment.batches.length / workers);
  const tasks = Array.from({ length: workers }, (_, w) => {
    const group = segment.batches.slice(w * per, (w + 1) * per);
    const first = group[0];
    const last = group[group.length - 1];
    return { ...t, position: first.position, length: last.position + last.size - first.position };
  });
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    const results = await Promise.all(tasks.map((task, w) => pool.run({ ...task, filePrefix: `p${round}-${w}` })));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const rows = results.reduce((s, r) => s + r.rowCount, 0);
    console.log(`pool of ${workers}, round ${round}: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB JSON in ${seconds.toFixed(2)} s wall = ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
  }
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

let bestCpuSeconds = Infinity;
for (let round = 0; round < rounds; round++) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const result = await materialize({ ...t, filePrefix: `r${round}` });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  bestCpuSeconds = Math.min(bestCpuSeconds, cpuSeconds);
  const out = result.files.reduce((s, f) => s + f.sizeBytes, 0);
  console.log(
    `round ${round}: ${result.rowCount} rows, ${(bytes / 1e6).toFixed(1)} MB JSON in ${seconds.toFixed(2)} s wall = ${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ` +
      `${cpuSeconds.toFixed(2)} s CPU = ${(bytes / 1e6 / cpuSeconds).toFixed(1)} MB/CPU-s; ` +
      `${result.files.length} files, ${(out / 1e6).toFixed(1)} MB Parquet`,
  );
}
console.log(`best of ${rounds}: ${(bytes / 1e6 / bestCpuSeconds).toFixed(1)} MB/CPU-s`);
rmSync(dir, { recursive: true, force: true });
