import { defineApi, f, struct } from '../schema/types.js';

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

/** v6 (transactions v2) is deliberately absent: Java switches protocols when it is advertised. */
export const InitProducerId = defineApi({
  apiKey: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexibleFrom: 2,
  request: struct(
    f.string('transactionalId', '0+', { nullable: '0+' }),
    f.int32('transactionTimeoutMs', '0+'),
    f.int64('producerId', '3+', { default: -1n }),
    f.int16('producerEpoch', '3+', { default: -1 }),
  ),
  response: struct(
    f.int32('throttleTimeMs', '0+'),
    f.int16('errorCode', '0+'),
    f.int64('producerId', '0+', { default: -1n }),
    f.int16('producerEpoch', '0+'),
  ),
});
