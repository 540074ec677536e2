/**
 * Request header v1/v2 and response header v0/v1. The header version follows from whether
 * the API version is flexible; ApiVersions is the exception whose response header is always
 * v0, because a client must be able to read it before it knows what the broker speaks.
 */
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { ApiKey } from './api-keys.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Just the first 8 bytes: enough to route, or to answer a version we cannot parse. */
export function peekRequestHeader(frame: Buffer): Omit<RequestHeader, 'clientId'> {
  const r = new Reader(frame);
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** Reads a full header; the reader is left at the start of the request body. */
export function readRequestHeader(r: Reader, flexible: boolean): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  // client_id keeps its classic int16 length even in header v2.
  const len = r.int16();
  const clientId = len < 0 ? null : r.raw(len, 'client_id').toString('utf8');
  if (flexible) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.raw(r.uvarint(), 'header tagged field');
  }
}

export function responseHeaderIsFlexible(apiKey: number, flexibleRequest: boolean): boolean {
  return flexibleRequest && apiKey !== ApiKey.ApiVersions;
}

/** Size prefix + response header; the caller appends the body. */
export function writeResponseHeader(w: Writer, correlationId: number, flexible: boolean): void {
  w.int32(correlationId);
  if (flexible) w.uvarint(0);
}

export function writeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId);
  if (h.clientId === null) w.int16(-1);
  else {
    const id = Buffer.from(h.clientId, 'utf8');
    w.int16(id.length).raw(id);
  }
  if (flexible) w.uvarint(0);
}
