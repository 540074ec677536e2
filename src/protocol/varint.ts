/**
 * Variable-length integers as Kafka encodes them: unsigned LEB128 ("uvarint", used by the
 * flexible-version compact types and tagged fields) and zigzag-signed varint/varlong (used
 * inside record batches). Pure functions over buffers; each read returns the value and the
 * position after it so callers can walk a buffer without allocating a reader.
 */
import { KafkaError, ErrorCode } from './errors.js';

export interface Decoded<T> {
  value: T;
  next: number;
}

function truncated(): never {
  throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'varint runs past the end of the buffer');
}

export function readUnsignedVarint(buf: Uint8Array, pos: number): Decoded<number> {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= buf.length) truncated();
    const byte = buf[pos++];
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: value >>> 0, next: pos };
    shift += 7;
  }
  throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'varint is longer than 5 bytes');
}

export function readVarint(buf: Uint8Array, pos: number): Decoded<number> {
  const { value, next } = readUnsignedVarint(buf, pos);
  return { value: (value >>> 1) ^ -(value & 1), next };
}

export function readVarlong(buf: Uint8Array, pos: number): Decoded<bigint> {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) truncated();
    const byte = buf[pos++];
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      return { value: (value >> 1n) ^ -(value & 1n), next: pos };
    }
    shift += 7n;
  }
  throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'varlong is longer than 10 bytes');
}

export function sizeOfUnsignedVarint(value: number): number {
  let v = value >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

export function sizeOfVarlong(value: bigint): number {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Writes at pos and returns the position after the value. The caller sized the buffer. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  return writeUnsignedVarint(buf, pos, (value << 1) ^ (value >> 31));
}

export function writeVarlong(buf: Uint8Array, pos: number, value: bigint): number {
  let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
  return pos;
}
