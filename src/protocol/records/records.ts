/**
 * The records inside a magic-2 batch: decoding for workers and tools, encoding for tests and
 * future consumers. The produce path never comes here (see produce-validation.ts).
 *
 * Record: varint length, int8 attributes, varlong timestampDelta, varint offsetDelta,
 * varint key length (-1 null) + key, varint value length (-1 null) + value, varint header
 * count, headers (varint key length + UTF-8 key, varint value length (-1 null) + value).
 */
import { ErrorCode, KafkaError } from '../errors.js';
import {
  type Decoded,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from '../varint.js';
import {
  BatchAttributes,
  BatchLayout,
  batchSizeAt,
  compressionCodecOf,
  computeBatchCrc,
  hasValidCrc,
  readRecordBatchHeader,
  stampLogAppendTime,
  type RecordBatchHeader,
} from './batch-header.js';
import { CompressionCodec, compress, decompress } from './compression/index.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** Keys, values and header values are views into the (decompressed) batch: copy to keep them. */
export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodeOptions {
  /** Bound on the decompressed records region (decompression-bomb guard). */
  maxUncompressedBytes?: number;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

/** Walks one batch's records region, checking every length against the bytes left. */
class RecordReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(limit: number, what: string): number {
    return this.bounded(readVarint, limit, what);
  }

  varlong(limit: number, what: string): bigint {
    return this.bounded(readVarlong, limit, what);
  }

  private bounded<T>(read: (buf: Buffer, pos: number) => Decoded<T>, limit: number, what: string): T {
    if (this.pos >= limit) throw corrupt(`record ${what} runs past the end of its record`);
    const { value, next } = read(this.buf, this.pos);
    if (next > limit) throw corrupt(`record ${what} runs past the end of its record`);
    this.pos = next;
    return value;
  }

  /** Length-prefixed bytes; -1 is null when nullable. */
  bytes(limit: number, what: string, nullable: boolean): Buffer | null {
    const length = this.varint(limit, `${what} length`);
    if (length === -1 && nullable) return null;
    if (length < 0) throw corrupt(`record ${what} length ${length} is negative`);
    if (length > limit - this.pos) {
      throw corrupt(`record ${what} of ${length} bytes runs past the end of its record`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

function decodeRecord(reader: RecordReader, header: RecordBatchHeader, logAppendTime: boolean): KafkaRecord {
  const { buf } = reader;
  const length = reader.varint(buf.length, 'length');
  if (length < 0 || length > buf.length - reader.pos) {
    throw corrupt(`record length ${length} does not fit the ${buf.length - reader.pos} bytes left in the batch`);
  }
  const start = reader.pos;
  const end = start + length;
  if (reader.pos >= end) throw corrupt('record is empty');
  reader.pos += 1; // attributes: unused by magic 2
  const timestampDelta = reader.varlong(end, 'timestamp delta');
  const offsetDelta = reader.varint(end, 'offset delta');
  const key = reader.bytes(end, 'key', true);
  const value = reader.bytes(end, 'value', true);
  const headerCount = reader.varint(end, 'header count');
  if (headerCount < 0) throw corrupt(`record header count ${headerCount} is negative`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const headerKey = reader.bytes(end, 'header key', false) as Buffer;
    headers.push({ key: headerKey.toString('utf8'), value: reader.bytes(end, 'header value', true) });
  }
  if (reader.pos !== end) throw corrupt(`record declares ${length} bytes but its fields take ${reader.pos - start}`);
  return {
    offset: header.baseOffset + BigInt(offsetDelta),
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

/** Decodes one whole batch (exactly `batch.length` bytes); the CRC is verified first. */
export function decodeRecordBatch(
  batch: Buffer,
  options: DecodeOptions = {},
): { header: RecordBatchHeader; records: KafkaRecord[] } {
  if (batch.length < BatchLayout.HEADER_SIZE) {
    throw corrupt(`record batch of ${batch.length} bytes is shorter than the ${BatchLayout.HEADER_SIZE}-byte header`);
  }
  const header = readRecordBatchHeader(batch);
  if (header.length + BatchLayout.LOG_OVERHEAD !== batch.length) {
    throw corrupt(`record batch Length field says ${header.length + BatchLayout.LOG_OVERHEAD} bytes, buffer has ${batch.length}`);
  }
  if (header.magic !== 2) throw corrupt(`record batch magic ${header.magic} is not 2`);
  if (!hasValidCrc(batch)) throw corrupt(`record batch CRC 0x${header.crc.toString(16)} does not match its bytes`);
  if (header.recordsCount < 0) throw corrupt(`record batch count ${header.recordsCount} is negative`);
  const region = decompress(
    compressionCodecOf(header.attributes),
    batch.subarray(BatchLayout.RECORDS),
    options.maxUncompressedBytes,
  );
  const logAppendTime = (header.attributes & BatchAttributes.LOG_APPEND_TIME) !== 0;
  const reader = new RecordReader(region);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < header.recordsCount; i++) {
    if (reader.pos >= region.length) {
      throw corrupt(`record batch declares ${header.recordsCount} records but holds ${i}`);
    }
    records.push(decodeRecord(reader, header, logAppendTime));
  }
  if (reader.pos !== region.length) {
    throw corrupt(`record batch has ${region.length - reader.pos} bytes after its ${header.recordsCount} records`);
  }
  return { header, records };
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: bigint;
}

export interface EncodeBatchInput {
  records: RecordInput[];
  baseOffset?: bigint;
  codec?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  /** true stamps the current time as the batch's LogAppendTime; a bigint stamps that time. */
  logAppendTime?: boolean | bigint;
}

function sizeOfBytes(b: Buffer | null | undefined): number {
  return b ? sizeOfVarint(b.length) + b.length : sizeOfVarint(-1);
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (!b) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

/** Uncompressed records region: sized exactly first, then written in one buffer. */
function encodeRecords(records: RecordInput[], timestamps: bigint[], baseTimestamp: bigint): Buffer {
  const headerKeys = records.map((r) => (r.headers ?? []).map((h) => Buffer.from(h.key, 'utf8')));
  const bodySizes = records.map((r, i) => {
    let size = 1 + sizeOfVarlong(timestamps[i] - baseTimestamp) + sizeOfVarint(i);
    size += sizeOfBytes(r.key) + sizeOfBytes(r.value) + sizeOfVarint(headerKeys[i].length);
    (r.headers ?? []).forEach((h, j) => (size += sizeOfBytes(headerKeys[i][j]) + sizeOfBytes(h.value)));
    return size;
  });
  const total = bodySizes.reduce((sum, size) => sum + sizeOfVarint(size) + size, 0);
  const buf = Buffer.alloc(total);
  let pos = 0;
  records.forEach((r, i) => {
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, timestamps[i] - baseTimestamp);
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeVarint(buf, pos, headerKeys[i].length);
    (r.headers ?? []).forEach((h, j) => {
      pos = writeBytes(buf, pos, headerKeys[i][j]);
      pos = writeBytes(buf, pos, h.value);
    });
  });
  return buf;
}

/**
 * A valid magic-2 batch. BaseTimestamp is the first record's timestamp, as the Java client
 * writes it, so an uncompressed batch comes out byte-identical to Java's for the same input.
 */
export function encodeRecordBatch(input: EncodeBatchInput): Buffer {
  const { records } = input;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const codec = input.codec ?? CompressionCodec.None;
  const now = BigInt(Date.now());
  const timestamps = records.map((r) => r.timestamp ?? now);
  const baseTimestamp = timestamps[0];
  const maxTimestamp = timestamps.reduce((max, t) => (t > max ? t : max));
  const body = compress(codec, encodeRecords(records, timestamps, baseTimestamp));
  const batch = Buffer.alloc(BatchLayout.HEADER_SIZE + body.length);
  batch.writeBigInt64BE(input.baseOffset ?? 0n, BatchLayout.BASE_OFFSET);
  batch.writeInt32BE(batch.length - BatchLayout.LOG_OVERHEAD, BatchLayout.LENGTH);
  batch.writeInt32BE(input.partitionLeaderEpoch ?? -1, BatchLayout.PARTITION_LEADER_EPOCH);
  batch.writeInt8(2, BatchLayout.MAGIC);
  batch.writeInt16BE(codec, BatchLayout.ATTRIBUTES);
  batch.writeInt32BE(records.length - 1, BatchLayout.LAST_OFFSET_DELTA);
  batch.writeBigInt64BE(baseTimestamp, BatchLayout.BASE_TIMESTAMP);
  batch.writeBigInt64BE(maxTimestamp, BatchLayout.MAX_TIMESTAMP);
  batch.writeBigInt64BE(input.producerId ?? -1n, BatchLayout.PRODUCER_ID);
  batch.writeInt16BE(input.producerEpoch ?? -1, BatchLayout.PRODUCER_EPOCH);
  batch.writeInt32BE(input.baseSequence ?? -1, BatchLayout.BASE_SEQUENCE);
  batch.writeInt32BE(records.length, BatchLayout.RECORDS_COUNT);
  body.copy(batch, BatchLayout.RECORDS);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchLayout.CRC);
  if (input.logAppendTime !== undefined && input.logAppendTime !== false) {
    stampLogAppendTime(batch, input.logAppendTime === true ? now : input.logAppendTime);
  }
  return batch;
}

/**
 * Positions of the complete batches in concatenated batches (a log segment, a fetch
 * response). Stops at an incomplete trailing batch, which fetch responses legitimately end
 * with; a Length too small for a batch header is corruption, not truncation.
 */
export function* iterateBatches(buf: Buffer): Generator<{ position: number; size: number }> {
  let position = 0;
  for (;;) {
    const size = batchSizeAt(buf, position);
    if (size < 0) return;
    if (size < BatchLayout.HEADER_SIZE) {
      throw corrupt(`record batch at byte ${position} declares ${size} bytes, less than a batch header`);
    }
    if (size > buf.length - position) return;
    yield { position, size };
    position += size;
  }
}
