/**
 * Zstandard. Clients send one or more standard frames (skippable frames allowed), often
 * without a content size: the Java client streams through zstd-jni's ZstdOutputStream. The
 * streaming decoder handles all of those and lets us stop at the output limit, whereas the
 * one-shot path would trust a frame's declared content size for its allocation.
 */
import { compress as zstdCompressSimple } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { KafkaError } from '../../errors.js';
import { corrupt, outputTooLarge, reason } from './limits.js';

const OUT_CHUNK = binding.dStreamOutSize();
let dctx: InstanceType<typeof binding.DCtx> | undefined;

export function zstdDecompress(data: Buffer, maxOutputBytes?: number): Buffer {
  dctx ??= new binding.DCtx();
  const limit = maxOutputBytes ?? Number.MAX_SAFE_INTEGER;
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  let frameOpen = false;
  try {
    for (;;) {
      const out = Buffer.allocUnsafe(OUT_CHUNK);
      const [remaining, produced, consumed] = dctx.decompressStream(out, input);
      input = input.subarray(consumed);
      total += produced;
      if (total > limit) throw outputTooLarge('zstd', limit);
      if (produced > 0) chunks.push(out.subarray(0, produced));
      frameOpen = remaining !== 0;
      if (input.length === 0 && !frameOpen) break;
      // With all input in hand, a call that moves nothing means the frame is cut short.
      if (produced === 0 && consumed === 0) break;
    }
  } catch (err) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    if (err instanceof KafkaError) throw err;
    throw corrupt(`zstd payload does not inflate: ${reason(err)}`);
  }
  if (frameOpen || input.length > 0) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    throw corrupt('zstd payload ends inside a frame');
  }
  return Buffer.concat(chunks, total);
}

export function zstdCompress(data: Buffer): Buffer {
  return zstdCompressSimple(data);
}
