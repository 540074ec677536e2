/**
 * The Confluent wire format schema-registry serializers put in front of a record value:
 * magic byte 0, the schema id as a 4-byte big-endian int, then (Protobuf only) the list of
 * message indexes that picks the message type inside the .proto file, then the payload.
 * Every length read here is checked against the bytes that are actually there.
 */

/** Why a value is not valid for its topic; the message goes to the producer verbatim. */
export class RecordProblem extends Error {}

export const WIRE_MAGIC = 0;
const PREFIX_BYTES = 5;
/** Deeper message nesting than this is not a real schema; it bounds the index list. */
export const MAX_MESSAGE_INDEXES = 64;

export interface FramedValue {
  schemaId: number;
  /** What follows the id: the payload, or for Protobuf the index list and then the payload. */
  body: Buffer;
}

export function readFramedValue(value: Buffer): FramedValue {
  if (value.length < PREFIX_BYTES) {
    throw new RecordProblem(`value of ${value.length} bytes is too short for the schema registry wire format (magic byte 0 and a 4-byte schema id)`);
  }
  if (value[0] !== WIRE_MAGIC) throw new RecordProblem(`value does not start with the schema registry magic byte 0 (found 0x${value[0].toString(16).padStart(2, '0')})`);
  return { schemaId: value.readInt32BE(1), body: value.subarray(PREFIX_BYTES) };
}

/** Reads one zigzag varint (at most 32 bits) at pos. */
function readZigzagVarint(buf: Buffer, pos: number): { value: number; next: number } {
  let raw = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= buf.length) throw new RecordProblem('Protobuf message index list runs past the end of the value');
    const byte = buf[pos++];
    raw += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      if (raw > 0xffffffff) break;
      return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: pos };
    }
  }
  throw new RecordProblem('Protobuf message index list holds a varint longer than 32 bits');
}

/**
 * Confluent's Protobuf message indexes: a zigzag varint count, then that many zigzag varint
 * indexes (the first into the file's top-level messages, each next one into the nested
 * messages of the previous). A count of 0 (the single byte 0) is the shorthand for [0].
 */
export function readMessageIndexes(body: Buffer): { indexes: number[]; payload: Buffer } {
  const count = readZigzagVarint(body, 0);
  if (count.value === 0) return { indexes: [0], payload: body.subarray(count.next) };
  // Each index takes at least one byte: a count beyond the bytes left (or a negative one) is
  // refused before anything is sized by it.
  if (count.value < 0 || count.value > MAX_MESSAGE_INDEXES || count.value > body.length - count.next) {
    throw new RecordProblem(`Protobuf message index count ${count.value} is not plausible (at most ${MAX_MESSAGE_INDEXES}, one byte each)`);
  }
  const indexes: number[] = [];
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    const index = readZigzagVarint(body, pos);
    if (index.value < 0) throw new RecordProblem(`Protobuf message index ${index.value} is negative`);
    indexes.push(index.value);
    pos = index.next;
  }
  return { indexes, payload: body.subarray(pos) };
}
