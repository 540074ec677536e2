/**
 * Whole frames: size prefix, header and body, for requests and responses, in both
 * directions (the server decodes requests; tests and tools encode them).
 */
import { readRequestHeader, responseHeaderIsFlexible, writeRequestHeader, writeResponseHeader, type RequestHeader } from './headers.js';
import { Reader } from './reader.js';
import { decodeStruct, encodeStruct, type Message } from './schema/codec.js';
import type { ApiSchema } from './schema/types.js';
import { Writer } from './writer.js';

export function isFlexible(api: ApiSchema, version: number): boolean {
  return version >= api.flexibleFrom;
}

/** Decodes a request frame (without its size prefix) whose version the caller has checked. */
export function decodeRequest<T = Message>(api: ApiSchema, frame: Buffer): { header: RequestHeader; body: T } {
  const r = new Reader(frame);
  const peekVersion = frame.readInt16BE(2);
  const flexible = isFlexible(api, peekVersion);
  const header = readRequestHeader(r, flexible);
  const body = decodeStruct(api.request, r, header.apiVersion, flexible) as T;
  return { header, body };
}

/** Encodes a response frame including its int32 size prefix, ready for the socket. */
export function encodeResponse(api: ApiSchema, version: number, correlationId: number, body: object): Buffer {
  const w = new Writer(512);
  w.int32(0); // size, patched below
  const flexible = isFlexible(api, version);
  writeResponseHeader(w, correlationId, responseHeaderIsFlexible(api.apiKey, flexible));
  encodeStruct(api.response, w, body as Message, version, flexible);
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

export function encodeRequest(api: ApiSchema, version: number, correlationId: number, body: object, clientId: string | null = 'lakegate'): Buffer {
  const w = new Writer(512);
  w.int32(0);
  const flexible = isFlexible(api, version);
  writeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId }, flexible);
  encodeStruct(api.request, w, body as Message, version, flexible);
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** Decodes a response frame (without its size prefix). */
export function decodeResponse<T = Message>(api: ApiSchema, version: number, frame: Buffer): { correlationId: number; body: T } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  const flexible = isFlexible(api, version);
  if (responseHeaderIsFlexible(api.apiKey, flexible)) {
    const tags = r.uvarint();
    for (let i = 0; i < tags; i++) {
      r.uvarint();
      r.raw(r.uvarint());
    }
  }
  return { correlationId, body: decodeStruct(api.response, r, version, flexible) as T };
}
