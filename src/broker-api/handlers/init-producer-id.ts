/**
 * InitProducerId for idempotent producers: a fresh id from the durable allocator, epoch 0, on
 * every call, as Kafka's coordinator answers a request without a transactional id. A producer
 * that presents its current id and epoch (v3+) gets a new id too: echoing the id it sent
 * back with the epoch bumped let any client take over, and fence, another producer's id. An
 * idempotent Java producer bumps its epoch itself (KIP-360) and asks for a new id only when
 * the epoch runs out. Transactional ids are refused: lakegate has no transaction
 * coordinator, and a fatal error is clearer to a client than endless retries.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/index.js';
import type { ApiHandler } from '../handler.js';

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponse> = {
  api: InitProducerId,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    const producerId = await ctx.broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
};
