/**
 * Snappy as Kafka clients send it. The Java client (snappy-java) and sarama wrap raw snappy
 * blocks in xerial framing: an 8-byte magic, int32 version, int32 minimum compatible version,
 * then chunks of int32 BE length + raw block. librdkafka and franz-go send one raw block.
 * Decoding sniffs the magic, as snappy-java's own SnappyInputStream does.
 */
import { compressSync, uncompressSync } from 'snappy';
import { readUnsignedVarint } from '../../varint.js';
import { corrupt, outputTooLarge, reason } from './limits.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size, so our chunks look like the Java client's. */
const XERIAL_CHUNK_SIZE = 32 * 1024;

function startsWithXerialMagic(data: Buffer, pos: number): boolean {
  return data.length - pos >= XERIAL_HEADER_SIZE && data.subarray(pos, pos + XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** A raw block starts with its uncompressed length, so the limit is checked before inflating. */
function rawBlock(block: Buffer, budget: number, maxOutputBytes: number | undefined): Buffer {
  const declared = readUnsignedVarint(block, 0).value;
  if (declared > budget) throw outputTooLarge('snappy', maxOutputBytes ?? budget);
  try {
    return uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw corrupt(`snappy block does not inflate: ${reason(err)}`);
  }
}

export function snappyDecompress(data: Buffer, maxOutputBytes?: number): Buffer {
  const limit = maxOutputBytes ?? Number.MAX_SAFE_INTEGER;
  if (!startsWithXerialMagic(data, 0)) return rawBlock(data, limit, maxOutputBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    // snappy-java accepts concatenated xerial streams: a header may reappear between chunks.
    if (startsWithXerialMagic(data, pos)) {
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (data.length - pos < 4) throw corrupt('xerial snappy chunk length is truncated');
    const size = data.readInt32BE(pos);
    pos += 4;
    if (size < 0 || size > data.length - pos) throw corrupt(`xerial snappy chunk of ${size} bytes overruns the payload`);
    const chunk = rawBlock(data.subarray(pos, pos + size), limit - total, maxOutputBytes);
    pos += size;
    total += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Writes xerial framing like the Java client rather than a raw block: the Java consumer's
 * SnappyInputStream, sarama, librdkafka and franz-go all read it, and a batch we write then
 * looks byte-for-byte like one a Java producer would have sent.
 */
export function snappyCompress(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += XERIAL_CHUNK_SIZE) {
    const block = compressSync(data.subarray(pos, pos + XERIAL_CHUNK_SIZE));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}
