/**
 * The record-batch compression codecs, by Kafka's codec id (batch attributes bits 0-2).
 * Synchronous on purpose: they run in worker threads and tools, never on the produce path,
 * which stores batches still compressed.
 *
 * maxOutputBytes bounds what a payload may inflate to (a few KB of zstd can claim gigabytes);
 * each codec enforces it while inflating rather than after.
 */
import { ErrorCode, KafkaError } from '../../errors.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { outputTooLarge } from './limits.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

export const CompressionCodec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

function unknownCodec(codec: number): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `unknown compression codec id ${codec}`);
}

export function decompress(codec: number, data: Buffer, maxOutputBytes?: number): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      if (maxOutputBytes !== undefined && data.length > maxOutputBytes) throw outputTooLarge('uncompressed', maxOutputBytes);
      return data;
    case CompressionCodec.Gzip:
      return gzipDecompress(data, maxOutputBytes);
    case CompressionCodec.Snappy:
      return snappyDecompress(data, maxOutputBytes);
    case CompressionCodec.Lz4:
      return lz4Decompress(data, maxOutputBytes);
    case CompressionCodec.Zstd:
      return zstdDecompress(data, maxOutputBytes);
    default:
      throw unknownCodec(codec);
  }
}

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.None:
      return data;
    case CompressionCodec.Gzip:
      return gzipCompress(data);
    case CompressionCodec.Snappy:
      return snappyCompress(data);
    case CompressionCodec.Lz4:
      return lz4Compress(data);
    case CompressionCodec.Zstd:
      return zstdCompress(data);
    default:
      throw unknownCodec(codec);
  }
}
