/**
 * The contract between the connection layer and the per-API handlers. A handler receives a
 * decoded request body and returns the response body, or one of two signals: no response
 * (acks=0 produce) or close the connection (what Kafka does on some errors).
 */
import type { RequestHeader } from '../protocol/headers.js';
import type { ApiSchema } from '../protocol/schema/types.js';
import type { Broker } from './broker.js';

export const NO_RESPONSE = Symbol('no-response');
export const CLOSE_CONNECTION = Symbol('close-connection');

export type HandlerResult<Res> = Res | typeof NO_RESPONSE | typeof CLOSE_CONNECTION;

export interface RequestContext {
  broker: Broker;
  header: RequestHeader;
  /** host:port of the client, for logs. */
  peer: string;
}

export interface ApiHandler<Req = any, Res = any> {
  api: ApiSchema;
  /** Versions answered; ApiVersions advertises api.versions, which may be wider. */
  handle(ctx: RequestContext, request: Req): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}
