/** gzip (RFC 1952), what Java's GZIPOutputStream and every other client write. */
import { gunzipSync, gzipSync } from 'node:zlib';
import { corrupt, outputTooLarge, reason } from './limits.js';

export function gzipDecompress(data: Buffer, maxOutputBytes?: number): Buffer {
  let out: Buffer;
  try {
    // zlib stops inflating at maxOutputLength itself, so a bomb is never allocated.
    out = gunzipSync(data, maxOutputBytes === undefined ? {} : { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw outputTooLarge('gzip', maxOutputBytes ?? 0);
    throw corrupt(`gzip payload does not inflate: ${reason(err)}`);
  }
  if (maxOutputBytes !== undefined && out.length > maxOutputBytes) throw outputTooLarge('gzip', maxOutputBytes);
  return out;
}

export function gzipCompress(data: Buffer): Buffer {
  return gzipSync(data);
}
