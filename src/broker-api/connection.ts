/**
 * One client connection: cuts the byte stream into frames (FrameReader, sizes checked against
 * socket.request.max.bytes from the 4-byte prefix before the body is buffered), dispatches
 * each in arrival order, and writes responses strictly in request order even when later
 * requests finish first (pipelining). Closed after connections.max.idle.ms without traffic.
 */
import type { Socket } from 'node:net';
import { logger } from '../logger.js';
import type { Broker } from './broker.js';
import { dispatch, type DispatchResult } from './dispatch.js';
import { FrameReader } from './frame-reader.js';
import { CLOSE_CONNECTION, NO_RESPONSE } from './handler.js';
import type { RequestMemoryBudget } from './memory-budget.js';
import type { SlabPool } from './slab-pool.js';
import { readIntoSharedBuffer } from './user-buffer-socket.js';

interface Slot {
  done: boolean;
  result: DispatchResult | null;
  /** Bytes of the request frame, returned to the budget when the slot leaves the queue. */
  bytes: number;
  /** Gives the frame's memory back; nothing may refer to the request's bytes afterwards. */
  release: () => void;
}

/** More outstanding requests than this on one connection pauses reading from it. */
const MAX_PIPELINED = 512;

export class Connection {
  private readonly reader: FrameReader;
  private readonly socket: Socket;
  private readonly slots: Slot[] = [];
  private closed = false;
  /** A request closes the connection once the ones before it are answered: read nothing more. */
  private closing = false;
  /** Shutting down: close once every request already read is answered (see drain). */
  private draining = false;
  private writePaused = false;
  /** The socket is corked until the next tick (see send). */
  private corked = false;
  /** Bytes of the frame being received currently counted in the budget. */
  private partialBytes = 0;
  readonly peer: string;

  constructor(
    accepted: Socket,
    private readonly broker: Broker,
    private readonly budget: RequestMemoryBudget,
    slabs: SlabPool,
  ) {
    this.peer = `${accepted.remoteAddress}:${accepted.remotePort}`;
    this.reader = new FrameReader(slabs, broker.config.socketRequestMaxBytes, {
      frame: (body, release) => this.handleFrame(body, release),
      badSize: (size) => {
        // Kafka closes without reading: the size may be a TLS ClientHello or an HTTP verb.
        logger.warn({ peer: this.peer, size, max: broker.config.socketRequestMaxBytes }, 'request size out of bounds; closing');
        this.close();
      },
    });
    const socket = readIntoSharedBuffer(accepted, (bytes) => this.onBytes(bytes));
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('drain', () => {
      this.writePaused = false;
      this.updateFlow();
    });
    socket.on('error', (err) => logger.debug({ peer: this.peer, err: err.message }, 'socket error'));
    socket.on('close', () => this.onClose());
    const idleMs = broker.config.connectionsMaxIdleMs;
    if (idleMs > 0) {
      // Node restarts the timer on every read and write of the socket.
      socket.setTimeout(idleMs);
      socket.on('timeout', () => this.onIdle(idleMs));
    }
  }

  /** The socket the connection reads and writes (not the one the server accepted). */
  get transport(): Socket {
    return this.socket;
  }

  get isPaused(): boolean {
    return this.socket.isPaused();
  }

  /**
   * Called by the server when the shared budget changes. A spent budget stops reading between
   * frames only: a frame under way is read to its end, so it can be answered and give its
   * bytes back. Pausing in the middle of frames, a few large ones that together spent the
   * budget waited for each other forever, and every connection with them. (Reserving a whole
   * frame at its size prefix instead would let a few 4-byte prefixes of 100 MB frames spend
   * the budget without sending anything.)
   */
  updateFlow(): void {
    if (this.closed) return;
    const betweenFrames = this.reader.frameInProgress === 0;
    const stop = this.closing || this.writePaused || this.slots.length >= MAX_PIPELINED || (this.budget.exhausted && betweenFrames);
    if (stop && !this.socket.isPaused()) this.socket.pause();
    else if (!stop && this.socket.isPaused()) this.socket.resume();
  }

  private onBytes(bytes: Buffer): void {
    // A read already under way when a close was decided: nothing behind the close is run.
    if (this.closed || this.closing) return;
    this.reader.push(bytes);
    this.countPartial();
    this.updateFlow();
  }

  /**
   * A partial frame counts in the budget as its bytes arrive, so many connections sending
   * large frames stop starting new ones once the bytes they buffer have spent the budget.
   */
  private countPartial(): void {
    const now = this.closed ? 0 : this.reader.buffered;
    if (now > this.partialBytes) this.budget.acquire(now - this.partialBytes);
    else if (now < this.partialBytes) this.budget.release(this.partialBytes - now);
    this.partialBytes = now;
  }

  private handleFrame(frame: Buffer, release: () => void): boolean {
    // The budget counts a whole frame from the moment it is cut until it is answered (and
    // partial frames as they arrive, see countPartial).
    const slot: Slot = { done: false, result: null, bytes: frame.length + 4, release };
    this.budget.acquire(slot.bytes);
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
        (r) => this.settle(slot, r),
        (err) => {
          logger.error({ peer: this.peer, err }, 'request failed');
          this.settle(slot, CLOSE_CONNECTION);
        },
      );
    } else {
      this.settle(slot, result);
    }
    return !this.closed && !this.closing;
  }

  /** A request has its result; one that closes the connection stops reading at once. */
  private settle(slot: Slot, result: DispatchResult): void {
    if (result === CLOSE_CONNECTION) this.stopReading();
    this.complete(slot, result);
  }

  /**
   * Kafka reads nothing after a request it closes the connection for. Frames received behind
   * it are not run either, whether the close was decided at once or later (an acks=0 produce
   * whose append fails, a handler that throws): they would never be answered, and a
   * producer's retry of them would append them twice. The connection closes once the requests
   * before the closing one are answered; the frame being received is dropped now, and its
   * bytes go back to the budget.
   */
  private stopReading(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.pause();
    this.reader.stop();
    this.countPartial();
  }

  private complete(slot: Slot, result: DispatchResult): void {
    slot.done = true;
    slot.result = result;
    while (this.slots.length > 0 && this.slots[0].done) {
      const head = this.slots.shift() as Slot;
      this.budget.release(head.bytes);
      head.release();
      if (this.closed) continue;
      if (head.result === CLOSE_CONNECTION) {
        this.close();
        continue;
      }
      if (head.result !== NO_RESPONSE && head.result !== null) this.send(head.result);
    }
    if (this.draining && this.slots.length === 0) this.closeAfterPeer();
    this.updateFlow();
  }

  /**
   * Answers that become ready in the same turn of the event loop leave in one writev: a group
   * commit completes every produce request of one connection that waited on it at once, and
   * written one by one each answer was its own syscall and TCP segment, which the producer then
   * woke for. Uncorked in the next tick, after the promise callbacks of that turn have run;
   * end() uncorks on its own.
   */
  private send(response: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    if (!this.socket.write(response)) this.writePaused = true;
  }

  /**
   * The node is shutting down: read nothing more, answer every request already read, then
   * close after the answers are sent. Cutting the connection instead lost the answers of
   * appends already made, and a producer without idempotence that retried them appended them
   * twice. A frame still arriving is dropped unread (its client resends it elsewhere or
   * later). Resolves when the socket has closed; the server bounds the wait.
   */
  drain(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
    this.draining = true;
    this.stopReading();
    if (this.slots.length === 0) this.closeAfterPeer();
    return closed;
  }

  /**
   * Sends the answers and a FIN, then reads and drops whatever the client still sends until it
   * closes its side too. Closing the socket with unread bytes in it sends a reset instead, and
   * the client's kernel then discards answers its application had not read yet.
   */
  private closeAfterPeer(): void {
    if (!this.markClosed()) return;
    this.socket.end();
    // Node ends and destroys the socket when the client's FIN arrives (allowHalfOpen is off).
    this.socket.resume();
  }

  /**
   * Nothing came in or went out for connections.max.idle.ms, as Kafka's idle expiry counts
   * it. A client that stopped halfway through a frame held that part of the request budget
   * until it disconnected; one that stopped reading its answers held their bytes. A silence
   * the server causes is not the client's: while a request is being answered, or reading is
   * paused because the shared budget is spent, the timer starts over (it does not repeat).
   */
  private onIdle(idleMs: number): void {
    if (this.closed) return;
    const pausedByBudget = this.budget.exhausted && this.reader.frameInProgress === 0;
    if (this.slots.length > 0 || pausedByBudget) {
      this.socket.setTimeout(idleMs);
      return;
    }
    logger.debug({ peer: this.peer, idleMs, partialFrameBytes: this.reader.buffered }, 'connection idle; closing');
    this.close({ flush: false });
  }

  /**
   * Reads nothing more and gives the partial frame's budget back. `flush` sends the responses
   * already written before the FIN; an idle connection's peer may not be reading at all, and
   * waiting for it to take them would keep the socket open.
   */
  close({ flush }: { flush: boolean } = { flush: true }): void {
    if (!this.markClosed()) return;
    if (!flush) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    this.socket.destroySoon();
  }

  private onClose(): void {
    this.markClosed();
  }

  /** Reads nothing more and gives the partial frame's budget back; false if already closed. */
  private markClosed(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.reader.stop();
    this.countPartial();
    return true;
  }
}
