/**
 * `lakegate dump-log`: prints a partition's batches and records straight from its segment
 * files, like Kafka's kafka-dump-log. It opens files read-only and never repairs anything, so
 * it is safe beside a running gateway; an incomplete tail batch (a write in progress, or a
 * crash's leftovers before recovery) ends the listing.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BatchAttributes, batchSizeAt, compressionCodecOf, hasValidCrc, BatchLayout } from '../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../protocol/records/records.js';

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface DumpOptions {
  dataDir: string;
  topic: string;
  partition: number;
  json: boolean;
  out: (line: string) => void;
}

export function partitionDir(dataDir: string, topic: string, partition: number): string {
  return path.join(dataDir, 'log', `${topic}-${partition}`);
}

function b64(buf: Buffer | null): string | null {
  return buf === null ? null : buf.toString('base64');
}

function printable(buf: Buffer | null): string {
  return buf === null ? 'null' : JSON.stringify(buf.toString('utf8'));
}

export function dumpLog(opts: DumpOptions): { batches: number; records: number } {
  const dir = partitionDir(opts.dataDir, opts.topic, opts.partition);
  if (!existsSync(dir)) throw new Error(`no log for ${opts.topic}-${opts.partition} under ${opts.dataDir}`);
  const segments = readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort();
  let batches = 0;
  let records = 0;
  for (const segment of segments) {
    const data = readFileSync(path.join(dir, segment));
    if (!opts.json) opts.out(`Dumping ${path.join(dir, segment)}`);
    let pos = 0;
    while (pos < data.length) {
      const size = batchSizeAt(data, pos);
      if (size < BatchLayout.HEADER_SIZE || pos + size > data.length) break;
      const bytes = data.subarray(pos, pos + size);
      const { header, records: recs } = decodeRecordBatch(bytes);
      const logAppendTime = (header.attributes & BatchAttributes.LOG_APPEND_TIME) !== 0;
      if (!opts.json) {
        opts.out(
          `baseOffset: ${header.baseOffset} lastOffset: ${header.baseOffset + BigInt(header.lastOffsetDelta)} count: ${header.recordsCount} ` +
            `baseSequence: ${header.baseSequence} producerId: ${header.producerId} producerEpoch: ${header.producerEpoch} ` +
            `position: ${pos} ${logAppendTime ? 'LogAppendTime' : 'CreateTime'}: ${header.maxTimestamp} size: ${size} ` +
            `magic: ${header.magic} compresscodec: ${CODEC_NAMES[compressionCodecOf(header.attributes)] ?? 'unknown'} crc: ${header.crc} isvalid: ${hasValidCrc(bytes)}`,
        );
      }
      for (const r of recs) {
        if (opts.json) {
          opts.out(
            JSON.stringify({
              offset: Number(r.offset),
              timestamp: Number(r.timestamp),
              timestampType: logAppendTime ? 'LogAppendTime' : 'CreateTime',
              key: b64(r.key),
              value: b64(r.value),
              headers: r.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
            }),
          );
        } else {
          const headers = r.headers.map((h) => `${h.key}:${h.value === null ? 'null' : h.value.toString('utf8')}`).join(',');
          opts.out(`| offset: ${r.offset} ${logAppendTime ? 'LogAppendTime' : 'CreateTime'}: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1} headerKeys: [${headers}] key: ${printable(r.key)} payload: ${printable(r.value)}`);
        }
      }
      batches++;
      records += recs.length;
      pos += size;
    }
  }
  return { batches, records };
}
