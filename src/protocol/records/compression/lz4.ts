/**
 * LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), which is
 * what Kafka's codec id 3 means for magic 2. The Java client writes one frame of independent
 * 64 KB blocks without checksums; other clients may use linked blocks, 4 MB blocks, block or
 * content checksums, a content size, several frames or skippable frames.
 *
 * lz4-napi's frame decoder stops after the first frame, rejects skippable frames and cannot
 * bound its output, so the frames are walked here and only the block codec is lz4-napi's. The
 * xxHash32 checksums are skipped, not verified: the batch's CRC-32C, checked when the batch
 * was produced, already covers every byte of the frame.
 */
import { compressFrameSync, uncompressSync } from 'lz4-napi';
import { corrupt, outputTooLarge, reason } from './limits.js';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC = 0x184d2a50; // low nibble is free
const LINKED_WINDOW = 64 * 1024;

const Flg = {
  VERSION_SHIFT: 6,
  BLOCK_INDEPENDENCE: 0x20,
  BLOCK_CHECKSUM: 0x10,
  CONTENT_SIZE: 0x08,
  CONTENT_CHECKSUM: 0x04,
  RESERVED: 0x02,
  DICT_ID: 0x01,
} as const;

function need(data: Buffer, pos: number, n: number, what: string): void {
  if (data.length - pos < n) throw corrupt(`lz4 ${what} is truncated`);
}

/** BD bits 6-4 pick the block maximum size: 4 -> 64 KB ... 7 -> 4 MB. */
function blockMaxSize(bd: number): number {
  const id = (bd >> 4) & 0x07;
  if ((bd & 0x8f) !== 0 || id < 4) throw corrupt(`lz4 frame descriptor byte 0x${bd.toString(16)} is invalid`);
  return 1 << (8 + 2 * id);
}

/**
 * lz4-napi's block decoder wants the block prefixed with its uncompressed size; an upper
 * bound works, and the block maximum is one. A linked block may copy from the previous 64 KB
 * of output, passed as the dictionary.
 */
function decodeBlock(block: Buffer, maxSize: number, window: Buffer | null): Buffer {
  const prefixed = Buffer.allocUnsafe(4 + block.length);
  prefixed.writeUInt32LE(maxSize, 0);
  block.copy(prefixed, 4);
  try {
    return window && window.length > 0 ? uncompressSync(prefixed, window) : uncompressSync(prefixed);
  } catch (err) {
    throw corrupt(`lz4 block does not inflate: ${reason(err)}`);
  }
}

function lastWindow(window: Buffer | null, plain: Buffer): Buffer {
  const joined = window && plain.length < LINKED_WINDOW ? Buffer.concat([window, plain]) : plain;
  return joined.length > LINKED_WINDOW ? joined.subarray(joined.length - LINKED_WINDOW) : joined;
}

class Output {
  readonly parts: Buffer[] = [];
  total = 0;
  constructor(private readonly limit: number) {}

  /** Fails before inflating when the bytes still to come cannot fit. */
  reserve(bytes: number): void {
    if (this.total + bytes > this.limit) throw outputTooLarge('lz4', this.limit);
  }

  push(part: Buffer): void {
    this.reserve(part.length);
    this.total += part.length;
    this.parts.push(part);
  }
}

/** Decodes the frame whose magic ends at pos; returns the position after the frame. */
function decodeFrame(data: Buffer, pos: number, out: Output): number {
  need(data, pos, 3, 'frame header');
  const flg = data[pos];
  if (flg >> Flg.VERSION_SHIFT !== 1 || flg & Flg.RESERVED) throw corrupt(`lz4 frame flags 0x${flg.toString(16)} are invalid`);
  if (flg & Flg.DICT_ID) throw corrupt('lz4 frames that need a dictionary are not supported');
  const maxSize = blockMaxSize(data[pos + 1]);
  pos += 2;
  let contentSize = -1;
  if (flg & Flg.CONTENT_SIZE) {
    need(data, pos, 9, 'frame header');
    const declared = data.readBigUInt64LE(pos);
    if (declared > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('lz4 frame declares an impossible content size');
    contentSize = Number(declared);
    out.reserve(contentSize);
    pos += 8;
  }
  pos += 1; // header checksum
  const linked = (flg & Flg.BLOCK_INDEPENDENCE) === 0;
  const checksumSize = flg & Flg.BLOCK_CHECKSUM ? 4 : 0;
  const frameStart = out.total;
  let window: Buffer | null = null;
  for (;;) {
    need(data, pos, 4, 'block size');
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break; // end mark
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > maxSize) throw corrupt(`lz4 block of ${size} bytes exceeds the frame's ${maxSize}-byte block size`);
    need(data, pos, size + checksumSize, 'block');
    const block = data.subarray(pos, pos + size);
    pos += size + checksumSize;
    const plain: Buffer = stored ? block : decodeBlock(block, maxSize, window);
    out.push(plain);
    if (linked) window = lastWindow(window, plain);
  }
  if (flg & Flg.CONTENT_CHECKSUM) {
    need(data, pos, 4, 'content checksum');
    pos += 4;
  }
  if (contentSize >= 0 && out.total - frameStart !== contentSize) {
    throw corrupt(`lz4 frame declares ${contentSize} bytes but holds ${out.total - frameStart}`);
  }
  return pos;
}

export function lz4Decompress(data: Buffer, maxOutputBytes?: number): Buffer {
  const out = new Output(maxOutputBytes ?? Number.MAX_SAFE_INTEGER);
  let pos = 0;
  if (data.length === 0) throw corrupt('lz4 payload is empty');
  while (pos < data.length) {
    need(data, pos, 4, 'frame magic');
    const magic = data.readUInt32LE(pos);
    pos += 4;
    if (((magic & 0xfffffff0) >>> 0) === SKIPPABLE_MAGIC) {
      need(data, pos, 4, 'skippable frame');
      const size = data.readUInt32LE(pos);
      pos += 4;
      need(data, pos, size, 'skippable frame');
      pos += size;
    } else if (magic === FRAME_MAGIC) {
      pos = decodeFrame(data, pos, out);
    } else {
      throw corrupt(`lz4 frame magic 0x${magic.toString(16)} is not 0x184d2204`);
    }
  }
  return Buffer.concat(out.parts, out.total);
}

/** Independent blocks and no checksums: the frame shape Java's Lz4BlockInputStream requires. */
export function lz4Compress(data: Buffer): Buffer {
  return compressFrameSync(data, { blockChecksums: false, contentChecksum: false });
}
