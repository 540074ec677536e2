/**
 * The validation=reject check of one record batch: decompress, walk the records, and name
 * every record whose value is not valid for the topic's value subject. Pure (no pool, no
 * registry): the caller says which schema ids the subject holds and supplies decoders.
 */
import { decodeRecordBatch } from '../protocol/records/records.js';
import { RecordProblem, readFramedValue } from './wire-format.js';
import type { ValueDecoder } from './value-decoders.js';

/** A refused record: its index in the batch and why, as Produce v8+ RecordErrors carry them. */
export interface BadRecord {
  batchIndex: number;
  message: string;
}

export type BatchVerdict =
  | { kind: 'checked'; badRecords: BadRecord[] }
  /** Decoders for these ids are needed before the batch can be judged. */
  | { kind: 'needs-schemas'; schemaIds: number[] }
  /** The records region does not decode at all (the header and CRC were fine). */
  | { kind: 'corrupt'; message: string };

export interface CheckContext {
  subject: string;
  /** Ids registered under the subject (any version, soft-deleted included). */
  subjectIds: ReadonlySet<number>;
  /** The decoder for an id, undefined when the caller has not supplied it yet. */
  decoder(id: number): ValueDecoder | undefined;
  /** Decompression-bomb guard for the records region. */
  maxUncompressedBytes: number;
}

export function checkBatch(batch: Buffer, ctx: CheckContext): BatchVerdict {
  let records;
  try {
    records = decodeRecordBatch(batch, { maxUncompressedBytes: ctx.maxUncompressedBytes }).records;
  } catch (err) {
    return { kind: 'corrupt', message: err instanceof Error ? err.message : String(err) };
  }
  const badRecords: BadRecord[] = [];
  const missing = new Set<number>();
  records.forEach((record, batchIndex) => {
    try {
      // A tombstone carries no schema id, so it cannot be shown to match the subject.
      if (record.value === null) throw new RecordProblem('value is null (a tombstone); validation=reject requires a schema-framed value');
      const { schemaId, body } = readFramedValue(record.value);
      if (!ctx.subjectIds.has(schemaId)) throw new RecordProblem(`schema id ${schemaId} is not registered under subject ${ctx.subject}`);
      const decode = ctx.decoder(schemaId);
      if (decode) decode(body);
      else missing.add(schemaId);
    } catch (err) {
      if (!(err instanceof RecordProblem)) throw err;
      badRecords.push({ batchIndex, message: err.message });
    }
  });
  if (missing.size > 0) return { kind: 'needs-schemas', schemaIds: [...missing] };
  return { kind: 'checked', badRecords };
}
