/**
 * InitProducerId for idempotent producers: a fresh id from the durable allocator, or, when a
 * producer presents its current id (v3+, KIP-360), the same id with the epoch bumped so its
 * sequences restart at 0. Transactional ids are refused: lakegate has no transaction
 * coordinator, and a fatal error is clearer to a client than endless retries.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

const MAX_EPOCH = 32767;

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  api: InitProducerId,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    const producerId = await ctx.broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
};
