/**
 * From a request frame to a response frame: route by API key, check the version, decode,
 * call the handler, encode. Anything Kafka answers by closing the connection (unknown API
 * key, unsupported version of an API other than ApiVersions, an unparseable body) becomes
 * CLOSE_CONNECTION here.
 */
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/errors.js';
import { decodeRequest, encodeResponse } from '../protocol/frames.js';
import { peekRequestHeader } from '../protocol/headers.js';
import { ApiVersions } from '../protocol/messages/index.js';
import { inRange } from '../protocol/schema/versions.js';
import { logger } from '../logger.js';
import type { Broker } from './broker.js';
import { CLOSE_CONNECTION, NO_RESPONSE, type ApiHandler, type HandlerResult } from './handler.js';
import { HANDLERS, supportedApiVersions } from './handlers/index.js';

export type DispatchResult = Buffer | typeof NO_RESPONSE | typeof CLOSE_CONNECTION;

export function dispatch(broker: Broker, frame: Buffer, peer: string): DispatchResult | Promise<DispatchResult> {
  if (frame.length < 8) {
    logger.warn({ peer, size: frame.length }, 'request frame shorter than a header; closing');
    return CLOSE_CONNECTION;
  }
  const { apiKey, apiVersion, correlationId } = peekRequestHeader(frame);
  const handler = HANDLERS.get(apiKey);
  if (!handler) {
    logger.warn({ peer, apiKey, apiVersion }, 'unknown API key; closing');
    return CLOSE_CONNECTION;
  }
  if (!inRange(handler.api.versions, apiVersion)) {
    if (apiKey === ApiKey.ApiVersions) {
      // The client speaks a newer ApiVersions than we do: answer in v0 so it can read the
      // error and retry at a version from the list.
      return encodeResponse(ApiVersions, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions() });
    }
    logger.warn({ peer, apiKey, apiVersion }, 'unsupported API version; closing');
    return CLOSE_CONNECTION;
  }
  let decoded;
  try {
    decoded = decodeRequest(handler.api, frame);
  } catch (err) {
    logger.warn({ peer, apiKey, apiVersion, err: (err as Error).message }, 'malformed request; closing');
    return CLOSE_CONNECTION;
  }
  const ctx = { broker, header: decoded.header, peer };
  let result: HandlerResult<object> | Promise<HandlerResult<object>>;
  try {
    result = handler.handle(ctx, decoded.body);
  } catch (err) {
    return handlerFailed(handler, err, peer);
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => finish(handler, apiVersion, correlationId, r),
      (err) => handlerFailed(handler, err, peer),
    );
  }
  return finish(handler, apiVersion, correlationId, result);
}

function finish(handler: ApiHandler, version: number, correlationId: number, result: HandlerResult<object>): DispatchResult {
  if (result === NO_RESPONSE || result === CLOSE_CONNECTION) return result;
  return encodeResponse(handler.api, version, correlationId, result);
}

function handlerFailed(handler: ApiHandler, err: unknown, peer: string): DispatchResult {
  logger.error({ peer, api: handler.api.name, err }, 'handler failed; closing the connection');
  return CLOSE_CONNECTION;
}
