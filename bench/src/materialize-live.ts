/**
 * Tables built while ingest runs: a producer sends JSON at a fixed rate into a materialized
 * topic (acks=1) while the table's committed offsets (admin API) are polled. The figures are
 * the rate at which records reached the table during the ingest (from its first commit to its
 * last one before the ingest ended) and the lag left when the ingest stopped (how long the
 * table took to hold the last acknowledged record).
 *
 * The producer replays one pre-encoded request (replay-producer.ts), so that the rate is set
 * by the server and not by a client's CPU: on this 2-core machine kafkajs itself tops out near
 * 20 MB/s of these documents. The producer, the produce path and the worker pool still share
 * the machine, as in production; materialize.ts's drain measures the pool alone.
 */
import { committed, createTopic, doc, kafkaClient, PARTITIONS, type Server } from './materialize-server.js';
import { machineCpu } from './procstat.js';
import { ReplayProducer } from './replay-producer.js';

export interface LiveResult {
  /** JSON MB/s the producer asked for */
  targetMbPerS: number;
  /** what the server acknowledged: JSON MB/s and records/s over the ingest */
  ingestMbPerS: number;
  ingestRecordsPerS: number;
  ingestSeconds: number;
  /** reaching the table during the ingest, from its first commit to its last one (0 with fewer than 2) */
  tableMbPerS: number;
  tableRecordsPerS: number;
  /** table commits seen while the ingest ran */
  commitsDuringIngest: number;
  /** seconds from the last acknowledgement until the table held every record */
  lagSeconds: number;
  /**
   * The hypervisor's steal over the ingest and the catch-up, as a share of the machine: this
   * figure needs every core, and runs of the same code moved from 31 to 54 MB/s with it.
   */
  stealShare: number;
}

/** Documents per partition in each request (about 150 KB of JSON per batch). */
const DOCS_PER_BATCH = 500;
/** Requests in flight on the producer's connection. */
const IN_FLIGHT = 8;

export async function liveIngest(server: Server, seconds: number, rateMb: number): Promise<LiveResult> {
  const topic = 'live';
  const kafka = kafkaClient(server);
  await createTopic(kafka, topic, { 'table.format': 'iceberg' });
  const docs = Array.from({ length: DOCS_PER_BATCH }, (_, i) => Buffer.from(doc(i)));
  const producer = await ReplayProducer.connect(server.kafka, topic, PARTITIONS, docs);
  const recordsPerRequest = DOCS_PER_BATCH * PARTITIONS;
  const requestsPerSecond = (rateMb * 1e6) / producer.valueBytesPerRequest;

  const ends = Array.from({ length: PARTITIONS }, () => -1);
  const counted = (c: Array<number | null>) => c.reduce<number>((n, o) => n + (o ?? -1) + 1, 0);
  let acked = 0;
  // When the table's record count changed (seen by polling): the commits.
  const commits: { at: number; records: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const n = counted(await committed(server.http, topic));
      if (n > (commits[commits.length - 1]?.records ?? 0)) commits.push({ at: Date.now(), records: n });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  poller.catch(() => {}); // awaited below; this keeps a failed poll from counting as unhandled meanwhile

  const inFlight: Promise<void>[] = [];
  const machineBefore = machineCpu();
  const t0 = Date.now();
  let ingestEnd: number;
  let caughtUp: number;
  try {
    try {
      for (let i = 0; Date.now() - t0 < seconds * 1000; i++) {
        const due = t0 + (i * 1000) / requestsPerSecond;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        inFlight.push(
          producer.send().then((last) => {
            last.forEach((o, p) => (ends[p] = Math.max(ends[p]!, o)));
            acked++;
          }),
        );
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      }
      await Promise.all(inFlight);
    } finally {
      producer.close();
    }
    ingestEnd = Date.now();
    caughtUp = await untilCommitted(server, topic, ends, ingestEnd);
  } finally {
    polling = false;
    await poller;
  }
  const machineAfter = machineCpu();
  const docBytes = producer.valueBytesPerRequest / recordsPerRequest;
  const ackedRecords = acked * recordsPerRequest;
  const ackedBytes = acked * producer.valueBytesPerRequest;

  const ingestSeconds = (ingestEnd - t0) / 1000;
  // From the first commit to the last one during the ingest: both ends are commit instants,
  // so a commit cycle cut off by the end of the ingest does not count against the rate.
  const during = commits.filter((c) => c.at <= ingestEnd);
  const first = during[0];
  const last = during[during.length - 1];
  const window = first && last ? (last.at - first.at) / 1000 : 0;
  const tableRecordsPerS = window > 0 ? (last!.records - first!.records) / window : 0;
  return {
    targetMbPerS: rateMb,
    ingestMbPerS: ackedBytes / 1e6 / ingestSeconds,
    ingestRecordsPerS: ackedRecords / ingestSeconds,
    ingestSeconds,
    tableMbPerS: (tableRecordsPerS * docBytes) / 1e6,
    tableRecordsPerS,
    commitsDuringIngest: during.length,
    lagSeconds: (caughtUp - ingestEnd) / 1000,
    stealShare: (machineAfter.steal - machineBefore.steal) / Math.max(1e-9, machineAfter.total - machineBefore.total),
  };
}

/** When the table first holds every offset up to `ends` (polled every 25 ms, for at most 300 s). */
async function untilCommitted(server: Server, topic: string, ends: number[], since: number): Promise<number> {
  for (;;) {
    const c = await committed(server.http, topic);
    if (ends.every((e, p) => (c[p] ?? -1) >= e)) return Date.now();
    if (Date.now() - since > 300_000) throw new Error(`the table of ${topic} did not catch up within 300 s of the ingest's end`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
