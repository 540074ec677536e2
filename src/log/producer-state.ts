/**
 * Idempotent-producer state of one partition: per producer id, the current epoch and the
 * last five batches appended (Kafka's max.in.flight for idempotence is 5, so a retry can only
 * ever target one of them). All decisions use header fields only.
 *
 * A producer that appended nothing for PRODUCER_ID_EXPIRATION_MS (Kafka's
 * producer.id.expiration.ms, 24 hours) is forgotten, as Kafka forgets it: every producer
 * instance gets a new id, so without this the state grew by one entry per producer ever seen.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { BatchAttributes, type RecordBatchHeader } from '../protocol/records/batch-header.js';

export const CACHED_BATCHES_PER_PRODUCER = 5;
const INT32_MAX = 0x7fffffff;

export interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
  /** LogAppendTime stamped on the batch, -1 for CreateTime: a duplicate reports the original. */
  appendTimeMs: bigint;
}

export interface ProducerEntry {
  epoch: number;
  /** Oldest first. */
  batches: CachedBatch[];
  /** Wall clock (ms) of its last batch here. */
  lastSeenMs: number;
}

export const PRODUCER_ID_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/** Batches recorded between two looks for expired producers (a look walks every producer). */
const BATCHES_BETWEEN_EXPIRY_CHECKS = 4096;

/** Sequence numbers wrap from Int32.MAX to 0 (Kafka's DefaultRecordBatch.incrementSequence). */
export function incrementSequence(seq: number, by: number): number {
  return seq > INT32_MAX - by ? by - (INT32_MAX - seq) - 1 : seq + by;
}

export class ProducerStateManager {
  private producers = new Map<bigint, ProducerEntry>();
  private batchesSinceExpiryCheck = 0;

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: bigint): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Applies Kafka's idempotence rules to a batch about to be appended. Returns the cached
   * original if the batch is a retry of one of the last five, null if it may be appended,
   * and throws the KafkaError the producer should get otherwise.
   */
  check(h: RecordBatchHeader): CachedBatch | null {
    if (h.producerId < 0n) return null;
    if (h.baseSequence < 0) {
      throw new KafkaError(ErrorCode.INVALID_RECORD, `producer ${h.producerId} sent a batch without a sequence number`);
    }
    const p = this.producers.get(h.producerId);
    if (!p) return null; // unknown (new or forgotten) producer: any sequence is accepted
    if (h.producerEpoch < p.epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${h.producerId} epoch ${h.producerEpoch} is older than the current epoch ${p.epoch}`,
      );
    }
    if (h.producerEpoch > p.epoch) {
      if (h.baseSequence !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${h.producerId} started epoch ${h.producerEpoch} at sequence ${h.baseSequence}, expected 0`,
        );
      }
      return null;
    }
    const lastSeq = incrementSequence(h.baseSequence, h.lastOffsetDelta);
    for (const b of p.batches) {
      if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) return b;
    }
    const newest = p.batches[p.batches.length - 1];
    if (newest && h.baseSequence !== incrementSequence(newest.lastSeq, 1)) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${h.producerId} sent sequence ${h.baseSequence}, expected ${incrementSequence(newest.lastSeq, 1)}`,
      );
    }
    return null;
  }

  /**
   * Records an appended batch. Also used to replay the log during recovery, where no checks
   * run: whatever is in the log was accepted once.
   */
  record(h: RecordBatchHeader, baseOffset: bigint, appendTimeMs: bigint): void {
    if (h.producerId < 0n || h.baseSequence < 0) return;
    const now = Date.now();
    if (++this.batchesSinceExpiryCheck >= BATCHES_BETWEEN_EXPIRY_CHECKS) this.expire(now);
    let p = this.producers.get(h.producerId);
    if (!p || h.producerEpoch > p.epoch) {
      p = { epoch: h.producerEpoch, batches: [], lastSeenMs: now };
      this.producers.set(h.producerId, p);
    } else if (h.producerEpoch < p.epoch) {
      return;
    }
    p.lastSeenMs = now;
    p.batches.push({
      firstSeq: h.baseSequence,
      lastSeq: incrementSequence(h.baseSequence, h.lastOffsetDelta),
      baseOffset,
      lastOffsetDelta: h.lastOffsetDelta,
      appendTimeMs,
    });
    if (p.batches.length > CACHED_BATCHES_PER_PRODUCER) p.batches.shift();
  }

  /** Replays one batch read back from the log. */
  replay(h: RecordBatchHeader): void {
    const appendTime = (h.attributes & BatchAttributes.LOG_APPEND_TIME) !== 0 ? h.maxTimestamp : -1n;
    this.record(h, h.baseOffset, appendTime);
  }

  /** Forgets the producers that appended nothing here for PRODUCER_ID_EXPIRATION_MS. */
  expire(nowMs: number): void {
    this.batchesSinceExpiryCheck = 0;
    for (const [id, p] of this.producers) if (nowMs - p.lastSeenMs >= PRODUCER_ID_EXPIRATION_MS) this.producers.delete(id);
  }

  /** A deep copy as plain data, cheap enough to take synchronously at a segment roll. */
  snapshot(): ProducerSnapshot {
    this.expire(Date.now());
    const producers: ProducerSnapshot['producers'] = [];
    for (const [id, p] of this.producers) {
      producers.push({ producerId: id, epoch: p.epoch, batches: p.batches.map((b) => ({ ...b })), lastSeenMs: p.lastSeenMs });
    }
    return { producers };
  }

  static fromSnapshot(s: ProducerSnapshot): ProducerStateManager {
    const m = new ProducerStateManager();
    const now = Date.now();
    for (const p of s.producers) m.producers.set(p.producerId, { epoch: p.epoch, batches: p.batches.map((b) => ({ ...b })), lastSeenMs: p.lastSeenMs ?? now });
    return m;
  }
}

export interface ProducerSnapshot {
  /** lastSeenMs is absent in snapshots written before producers expired: taken as now. */
  producers: { producerId: bigint; epoch: number; batches: CachedBatch[]; lastSeenMs?: number }[];
}
