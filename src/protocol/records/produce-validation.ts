/**
 * What the produce path checks in one partition's records before appending them: header
 * fields and one CRC-32C, no decompression, no per-record work.
 *
 * The checks and their error codes follow Apache Kafka 3.9, in Kafka's order:
 * - ProduceRequest.validateRecords (request version >= 3), with batch framing from
 *   ByteBufferLogInputStream.nextBatchSize;
 * - UnifiedLog.analyzeAndValidateRecords (baseOffset, CRC via DefaultRecordBatch.isValid);
 * - LogValidator.validateBatch (offset range, count, control batches, sequence).
 * Deviations are marked "lakegate:".
 */
import { ErrorCode, KafkaError } from '../errors.js';
import {
  BatchAttributes,
  BatchLayout,
  compressionCodecOf,
  hasValidCrc,
  readRecordBatchHeader,
  type RecordBatchHeader,
} from './batch-header.js';
import { CompressionCodec } from './compression/index.js';

/** Kafka's LegacyRecord.RECORD_OVERHEAD_V0: the smallest Length its batch reader accepts. */
const MIN_LENGTH_FIELD = 14;
/** Bytes up to and including the magic byte (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
const HEADER_SIZE_UP_TO_MAGIC = BatchLayout.MAGIC + 1;
const CURRENT_MAGIC = 2;

function invalidRecord(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, message);
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

/**
 * Kafka's ByteBufferLogInputStream.nextBatchSize + nextBatch: the size of the complete batch
 * at pos, or null when the bytes there do not hold one (which Kafka's iterator reports as "no
 * more batches"). A Length below 14 or a magic outside 0..2 is corruption.
 */
function completeBatchSizeAt(buf: Buffer, pos: number): number | null {
  const remaining = buf.length - pos;
  if (remaining < BatchLayout.LOG_OVERHEAD) return null;
  const length = buf.readInt32BE(pos + BatchLayout.LENGTH);
  if (length < MIN_LENGTH_FIELD) {
    throw corrupt(`record batch Length ${length} is less than the minimum record overhead (${MIN_LENGTH_FIELD})`);
  }
  if (remaining < HEADER_SIZE_UP_TO_MAGIC) return null;
  const magic = buf.readInt8(pos + BatchLayout.MAGIC);
  if (magic < 0 || magic > CURRENT_MAGIC) throw corrupt(`invalid magic found in record batch: ${magic}`);
  const size = length + BatchLayout.LOG_OVERHEAD;
  return remaining < size ? null : size;
}

export function validateProducedRecords(records: Buffer, apiVersion: number): RecordBatchHeader {
  // ProduceRequest.validateRecords. Kafka only runs it from version 3; lakegate stores magic 2
  // only, so older versions get the same checks.
  const size = completeBatchSizeAt(records, 0);
  if (size === null) {
    // A truncated batch included: Kafka's iterator sees no complete batch and says so with
    // InvalidRecordException (INVALID_RECORD), not CorruptRecordException.
    throw invalidRecord(`produce requests with version ${apiVersion} must have at least one complete record batch per partition`);
  }
  const magic = records.readInt8(BatchLayout.MAGIC);
  if (magic !== CURRENT_MAGIC) {
    throw invalidRecord(`produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2`);
  }
  const codec = size >= BatchLayout.HEADER_SIZE ? compressionCodecOf(records.readInt16BE(BatchLayout.ATTRIBUTES)) : -1;
  if (apiVersion < 7 && codec === CompressionCodec.Zstd) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      `produce requests with version ${apiVersion} are not allowed to use ZStandard compression`,
    );
  }
  if (size !== records.length) {
    if (completeBatchSizeAt(records, size) !== null) {
      throw invalidRecord(`produce requests with version ${apiVersion} are only allowed to contain exactly one record batch per partition`);
    }
    // lakegate: Kafka silently trims trailing bytes that are not a whole batch
    // (UnifiedLog.trimInvalidBytes); since the log stores what it gets, reject them instead.
    throw corrupt(`record batch Length says ${size} bytes but the partition data has ${records.length}`);
  }

  // UnifiedLog.analyzeAndValidateRecords.
  const baseOffset = records.readBigInt64BE(BatchLayout.BASE_OFFSET);
  if (baseOffset !== 0n) throw invalidRecord(`the baseOffset of the record batch should be 0, but it is ${baseOffset}`);
  if (size < BatchLayout.HEADER_SIZE) {
    throw corrupt(`record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${BatchLayout.HEADER_SIZE})`);
  }
  const header = readRecordBatchHeader(records);
  if (!hasValidCrc(records)) throw corrupt(`record is corrupt (stored crc = ${header.crc})`);
  if (codec > CompressionCodec.Zstd) {
    // lakegate: Kafka's CompressionType.forId throws IllegalArgumentException here, which
    // surfaces as UNKNOWN_SERVER_ERROR; the batch is what is wrong, so say so.
    throw corrupt(`unknown compression codec id ${codec}`);
  }

  // LogValidator.validateBatch.
  const countFromOffsets = header.lastOffsetDelta + 1;
  if (countFromOffsets <= 0) throw invalidRecord(`batch has an invalid offset range: [0, ${header.lastOffsetDelta}]`);
  if (header.recordsCount <= 0) throw invalidRecord(`invalid reported count for record batch: ${header.recordsCount}`);
  if (countFromOffsets !== header.recordsCount) {
    throw invalidRecord(`inconsistent batch offset range [0, ${header.lastOffsetDelta}] and count of records ${header.recordsCount}`);
  }
  if (header.attributes & BatchAttributes.CONTROL) throw invalidRecord('clients are not allowed to write control records');
  if (header.producerId >= 0n && header.baseSequence < 0) {
    throw invalidRecord(`invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}`);
  }
  if (header.attributes & BatchAttributes.TRANSACTIONAL) {
    // lakegate: Kafka accepts these within a transaction; lakegate has no transactions yet.
    throw invalidRecord('transactional record batches are not supported: lakegate does not implement transactions yet');
  }
  return header;
}
