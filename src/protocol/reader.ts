/**
 * Bounds-checked cursor over one request frame. Every length read from the wire is checked
 * against the bytes actually remaining before anything is sliced or allocated, so a hostile
 * length can cost at most an exception, never memory.
 */
import { ErrorCode, KafkaError } from './errors.js';
import { readUnsignedVarint } from './varint.js';

export class MalformedMessageError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.INVALID_REQUEST, message);
    this.name = 'MalformedMessageError';
  }
}

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new MalformedMessageError(`${what}: needs ${n} bytes, ${this.remaining} remain`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    if (this.pos >= this.end) throw new MalformedMessageError('uvarint: no bytes remain');
    try {
      const { value, next } = readUnsignedVarint(this.buf.subarray(0, this.end), this.pos);
      this.pos = next;
      return value;
    } catch (err) {
      throw new MalformedMessageError(`uvarint: ${(err as Error).message}`);
    }
  }
  /** A slice of the frame (no copy); the frame outlives the request. */
  raw(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uuid(): Buffer {
    return this.raw(16, 'uuid');
  }

  /** Length prefix of a string/bytes/array: int16/int32 classic or uvarint(n+1) compact; -1 = null. */
  length(compact: boolean, classic: 'int16' | 'int32'): number {
    if (compact) return this.uvarint() - 1;
    return classic === 'int16' ? this.int16() : this.int32();
  }
}
