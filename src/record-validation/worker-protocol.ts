/** Messages between the validation pool (event loop side) and its worker threads. */
import type { ResolvedSchema } from '../schema-registry/types.js';
import type { BatchVerdict } from './check-batch.js';

export interface ValidationTask {
  /** A private copy of the batch (the request's bytes live in a recycled slab). */
  batch: Uint8Array;
  subject: string;
  subjectIds: number[];
  /** Schemas the worker asked for in an earlier round, by id; ids map to immutable content. */
  schemas: Array<{ id: number; schema: ResolvedSchema }>;
  maxUncompressedBytes: number;
}

export type ValidationReply = BatchVerdict;
