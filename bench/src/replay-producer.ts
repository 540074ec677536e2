/**
 * A producer that costs almost no CPU, for figures that should be about the server rather than
 * the client (materialize-live.ts): it encodes one Produce request (acks=1; per partition one
 * batch of the given documents, without a producer id) once, and sends those bytes again and
 * again over one connection with a new correlation id each time. Every copy is appended anew
 * (a batch without a producer id is never a duplicate), so each send adds a batch of fresh
 * offsets per partition. The encoding is lakegate's own (src/protocol).
 */
import net from 'node:net';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.js';
import { Produce, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../src/protocol/records/records.js';

/** Produce v7: magic-2 batches, not flexible (a fixed header the correlation id sits in). */
const VERSION = 7;
/** Size prefix (4), api key (2), api version (2): where the correlation id starts. */
const CORRELATION_ID_AT = 8;
const HEAD_BYTES = CORRELATION_ID_AT + 4;

interface Pending {
  resolve: (lastOffsets: number[]) => void;
  reject: (err: Error) => void;
}

export class ReplayProducer {
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private correlationId = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    /** the request after its correlation id: shared by every send, never written to */
    private readonly tail: Buffer,
    private readonly head: Buffer,
    /** records per partition in each request */
    readonly recordsPerBatch: number,
    /** document bytes (record values) in each request */
    readonly valueBytesPerRequest: number,
    readonly partitions: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static async connect(port: number, topic: string, partitions: number, docs: Buffer[]): Promise<ReplayProducer> {
    const batch = encodeRecordBatch({ records: docs.map((value) => ({ key: null, value })) });
    const request = encodeRequest(Produce, VERSION, 0, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 30_000,
      topicData: [{ name: topic, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: batch })) }],
    }, 'bench-replay');
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const valueBytes = docs.reduce((n, d) => n + d.length, 0) * partitions;
    return new ReplayProducer(socket, request.subarray(HEAD_BYTES), request.subarray(0, HEAD_BYTES), docs.length, valueBytes, partitions);
  }

  /** Sends the request once more; resolves with each partition's last offset once acknowledged. */
  send(): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failure);
    // A socket keeps a reference to a buffer it could not write yet, so each send gets a head
    // of its own; the tail is the same bytes every time.
    const head = Buffer.from(this.head);
    head.writeInt32BE(++this.correlationId, CORRELATION_ID_AT);
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(this.tail);
    this.socket.uncork();
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const next = this.pending.shift();
      if (!next) return this.fail(new Error('a response nobody asked for'));
      const { body } = decodeResponse<ProduceResponse>(Produce, VERSION, frame);
      const parts = body.responses.flatMap((t) => t.partitionResponses);
      const bad = parts.find((p) => p.errorCode !== 0);
      if (bad || parts.length !== this.partitions) {
        next.reject(new Error(`produce failed: partition ${bad?.index} error ${bad?.errorCode} ${bad?.errorMessage ?? ''}`));
        continue;
      }
      const last: number[] = [];
      for (const p of parts) last[p.index] = Number(p.baseOffset) + this.recordsPerBatch - 1;
      next.resolve(last);
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
