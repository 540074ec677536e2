/**
 * Growable output buffer for responses. Encoders append; `finish()` returns the bytes
 * written. Sizes are doubled on growth so encoding a response is amortized O(n).
 */
import { writeUnsignedVarint, sizeOfUnsignedVarint } from './varint.js';

export class Writer {
  private buf: Buffer;
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
    return this;
  }
  uvarint(v: number): this {
    this.ensure(sizeOfUnsignedVarint(v));
    this.pos = writeUnsignedVarint(this.buf, this.pos, v);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  /** Length prefix matching Reader.length: -1 = null. */
  length(n: number, compact: boolean, classic: 'int16' | 'int32'): this {
    if (compact) return this.uvarint(n + 1);
    return classic === 'int16' ? this.int16(n) : this.int32(n);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
