/**
 * Record batch v2 header: the 61 bytes in front of every batch (see the table in
 * shared/reference/kafka-protocol-notes.md). The produce path and the log only ever look at
 * this header; records stay opaque bytes until a worker or a tool decodes them.
 */
import { crc32c } from './crc32c.js';

export const BatchLayout = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
  RECORDS: 61,
  /** Bytes before the Length field's coverage starts: BaseOffset + Length. */
  LOG_OVERHEAD: 12,
  HEADER_SIZE: 61,
} as const;

export const BatchAttributes = {
  COMPRESSION_MASK: 0x07,
  LOG_APPEND_TIME: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
} as const;

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Length field: bytes after itself, so the batch occupies length + 12 bytes. */
  length: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export function compressionCodecOf(attributes: number): number {
  return attributes & BatchAttributes.COMPRESSION_MASK;
}

/** Total bytes the batch starting at pos occupies, or -1 when fewer than 12 bytes remain. */
export function batchSizeAt(buf: Buffer, pos: number): number {
  if (buf.length - pos < BatchLayout.LOG_OVERHEAD) return -1;
  return buf.readInt32BE(pos + BatchLayout.LENGTH) + BatchLayout.LOG_OVERHEAD;
}

/** Reads the header fields at pos. The caller has checked that 61 bytes are there. */
export function readRecordBatchHeader(buf: Buffer, pos = 0): RecordBatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BatchLayout.BASE_OFFSET),
    length: buf.readInt32BE(pos + BatchLayout.LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchLayout.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + BatchLayout.MAGIC),
    crc: buf.readUInt32BE(pos + BatchLayout.CRC),
    attributes: buf.readInt16BE(pos + BatchLayout.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BatchLayout.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + BatchLayout.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + BatchLayout.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + BatchLayout.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BatchLayout.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BatchLayout.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + BatchLayout.RECORDS_COUNT),
  };
}

/** CRC-32C the batch should carry: over attributes..end (bytes 21 to the batch's end). */
export function computeBatchCrc(batch: Buffer): number {
  return crc32c(batch.subarray(BatchLayout.ATTRIBUTES));
}

export function hasValidCrc(batch: Buffer): boolean {
  return batch.readUInt32BE(BatchLayout.CRC) === computeBatchCrc(batch);
}

/** BaseOffset lies outside the CRC, so assigning offsets is a plain overwrite. */
export function setBaseOffset(batch: Buffer, baseOffset: bigint): void {
  batch.writeBigInt64BE(baseOffset, BatchLayout.BASE_OFFSET);
}

export function setPartitionLeaderEpoch(batch: Buffer, epoch: number): void {
  batch.writeInt32BE(epoch, BatchLayout.PARTITION_LEADER_EPOCH);
}

/**
 * For topics with message.timestamp.type=LogAppendTime: mark the batch and stamp the broker's
 * time as MaxTimestamp. Both fields are under the CRC, so it is recomputed.
 */
export function stampLogAppendTime(batch: Buffer, timestampMs: bigint): void {
  const attrs = batch.readInt16BE(BatchLayout.ATTRIBUTES) | BatchAttributes.LOG_APPEND_TIME;
  batch.writeInt16BE(attrs, BatchLayout.ATTRIBUTES);
  batch.writeBigInt64BE(timestampMs, BatchLayout.MAX_TIMESTAMP);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchLayout.CRC);
}
