/** Partition results of a Produce request that did not append anything. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ProducePartitionResponse } from '../../protocol/messages/index.js';

export function failure(index: number, errorCode: number, errorMessage: string | null): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

export function fromError(index: number, err: unknown): ProducePartitionResponse {
  if (err instanceof KafkaError) return failure(index, err.code, err.message);
  return failure(index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message ?? String(err));
}
