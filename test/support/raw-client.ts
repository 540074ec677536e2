/**
 * A minimal Kafka client over a raw socket, built on lakegate's own codec, for tests that must
 * send exactly the bytes they choose (malformed frames, bad batches) and observe exactly what
 * comes back, including the connection being closed.
 */
import net from 'node:net';
import { decodeResponse, encodeRequest } from '../../src/protocol/frames.js';
import type { ApiSchema } from '../../src/protocol/schema/types.js';

export class RawKafkaConnection {
  private buffer = Buffer.alloc(0);
  private waiters: Array<(frame: Buffer | null) => void> = [];
  private frames: Buffer[] = [];
  private ended = false;
  private correlationId = 1;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const size = this.buffer.readInt32BE(0);
        if (this.buffer.length < 4 + size) break;
        this.deliver(this.buffer.subarray(4, 4 + size));
        this.buffer = this.buffer.subarray(4 + size);
      }
    });
    const end = () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static connect(port: number): Promise<RawKafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawKafkaConnection(socket)));
      socket.once('error', reject);
    });
  }

  private deliver(frame: Buffer): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(Buffer.from(frame));
    else this.frames.push(Buffer.from(frame));
  }

  /** The next response frame, or null once the server has closed the connection. */
  nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes and sends a request; returns its correlation id. */
  send(api: ApiSchema, version: number, body: object): number {
    const id = this.correlationId++;
    this.socket.write(encodeRequest(api, version, id, body));
    return id;
  }

  async request<T = Record<string, unknown>>(api: ApiSchema, version: number, body: object): Promise<T> {
    const id = this.send(api, version, body);
    const frame = await this.nextFrame();
    if (frame === null) throw new Error(`connection closed instead of answering ${api.name} v${version}`);
    const decoded = decodeResponse<T>(api, version, frame);
    if (decoded.correlationId !== id) throw new Error(`correlation id ${decoded.correlationId}, expected ${id}`);
    return decoded.body;
  }

  /** Resolves true if the server closes the connection within the timeout. */
  async closedByServer(timeoutMs = 5000): Promise<boolean> {
    if (this.ended) return true;
    try {
      return (await this.nextFrame(timeoutMs)) === null;
    } catch {
      return false;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A Fetch request body (v4-v12 fields) for the given partitions from offset 0. */
export function fetchRequestBody(topic: string, partitions: number[], maxWaitMs: number): object {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: [],
    rackId: '',
  };
}
