/**
 * One client connection: splits the byte stream into frames, dispatches each in arrival
 * order, and writes responses strictly in request order even when later requests finish
 * first (pipelining). Frame sizes are checked against socket.request.max.bytes from the
 * 4-byte prefix, before any of the frame is buffered.
 */
import type { Socket } from 'node:net';
import { logger } from '../logger.js';
import type { Broker } from './broker.js';
import { dispatch, type DispatchResult } from './dispatch.js';
import { CLOSE_CONNECTION, NO_RESPONSE } from './handler.js';
import type { RequestMemoryBudget } from './memory-budget.js';

interface Slot {
  done: boolean;
  result: DispatchResult | null;
  /** Bytes of the request frame, returned to the budget when the slot leaves the queue. */
  bytes: number;
}

/** More outstanding requests than this on one connection pauses reading from it. */
const MAX_PIPELINED = 512;

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;
  private readonly slots: Slot[] = [];
  private closed = false;
  private writePaused = false;
  readonly peer: string;

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    private readonly budget: RequestMemoryBudget,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writePaused = false;
      this.updateFlow();
    });
    socket.on('error', (err) => logger.debug({ peer: this.peer, err: err.message }, 'socket error'));
    socket.on('close', () => this.onClose());
  }

  get isPaused(): boolean {
    return this.socket.isPaused();
  }

  /** Called by the server when the shared budget changes. */
  updateFlow(): void {
    if (this.closed) return;
    const stop = this.writePaused || this.slots.length >= MAX_PIPELINED || this.budget.exhausted;
    if (stop && !this.socket.isPaused()) this.socket.pause();
    else if (!stop && this.socket.isPaused()) this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.budget.acquire(chunk.length);
    while (!this.closed) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        const max = this.broker.config.socketRequestMaxBytes;
        if (size <= 0 || size > max) {
          // Kafka closes without reading: the size may be a TLS ClientHello or an HTTP verb.
          logger.warn({ peer: this.peer, size, max }, 'request size out of bounds; closing');
          this.close();
          return;
        }
        this.frameSize = size;
      }
      if (this.buffered < 4 + this.frameSize) break;
      const frame = this.take(4 + this.frameSize).subarray(4);
      this.frameSize = -1;
      this.handleFrame(frame);
    }
    this.updateFlow();
  }

  private peekInt32(): number {
    if (this.chunks[0].length >= 4) return this.chunks[0].readInt32BE(0);
    return Buffer.concat(this.chunks).readInt32BE(0);
  }

  /** Removes n bytes from the front of the buffered chunks, copying only across chunks. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  private handleFrame(frame: Buffer): void {
    const slot: Slot = { done: false, result: null, bytes: frame.length + 4 };
    this.slots.push(slot);
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = dispatch(this.broker, frame, this.peer);
    } catch (err) {
      logger.error({ peer: this.peer, err }, 'dispatch failed');
      result = CLOSE_CONNECTION;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r),
        (err) => {
          logger.error({ peer: this.peer, err }, 'request failed');
          this.complete(slot, CLOSE_CONNECTION);
        },
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, result: DispatchResult): void {
    slot.done = true;
    slot.result = result;
    while (this.slots.length > 0 && this.slots[0].done) {
      const head = this.slots.shift() as Slot;
      this.budget.release(head.bytes);
      if (this.closed) continue;
      if (head.result === CLOSE_CONNECTION) {
        this.close();
        continue;
      }
      if (head.result !== NO_RESPONSE && head.result !== null) {
        if (!this.socket.write(head.result)) this.writePaused = true;
      }
    }
    this.updateFlow();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.release(this.buffered);
    this.chunks = [];
    this.buffered = 0;
    // end() flushes responses already written before the FIN.
    this.socket.end();
    this.socket.destroySoon();
  }

  private onClose(): void {
    if (!this.closed) {
      this.closed = true;
      this.budget.release(this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
  }
}
