/**
 * Produce: the hot path. Per partition it does exactly one header validation (including the
 * CRC) and one log append; records are never decoded here. All appends of a request are
 * issued synchronously in request order before anything is awaited, so a pipelined
 * idempotent producer's batches reach each log in the order they were sent. Topics with
 * validation=reject are the exception (produce-checked.ts): their records are checked off the
 * event loop first, and per partition their appends keep the order of the requests.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { Produce, type ProducePartitionResponse, type ProduceRequest, type ProduceResponse } from '../../protocol/messages/index.js';
import { validateProducedRecords } from '../../protocol/records/produce-validation.js';
import type { AppendResult } from '../../log/index.js';
import { CLOSE_CONNECTION, NO_RESPONSE, type ApiHandler } from '../handler.js';
import type { Broker } from '../broker.js';
import { appendChecked } from './produce-checked.js';
import { failure, fromError } from './produce-results.js';

/** The oldest version whose batches are record batch v2 (message format 2). */
const FIRST_SUPPORTED_VERSION = 3;

type PartitionOutcome = ProducePartitionResponse | Promise<ProducePartitionResponse>;

function appendOne(broker: Broker, topicName: string, index: number, records: Buffer | null, version: number): PartitionOutcome {
  const runtime = broker.topic(topicName);
  const log = runtime?.logs[index];
  if (!runtime || !log) return failure(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  if (records === null || records.length === 0) return failure(index, ErrorCode.INVALID_RECORD, 'Produce request carries no record batch');
  if (records.length > runtime.maxMessageBytes) {
    return failure(index, ErrorCode.MESSAGE_TOO_LARGE, `The record batch of ${records.length} bytes exceeds max.message.bytes ${runtime.maxMessageBytes}`);
  }
  // validation=reject topics take the asynchronous path; every other topic stays synchronous.
  if (runtime.rejectInvalidRecords) return appendChecked(broker, runtime, log, index, records, version);
  let pending: Promise<AppendResult>;
  try {
    const header = validateProducedRecords(records, version);
    pending = log.append(records, header, runtime.logAppendTime ? { logAppendTimeMs: BigInt(Date.now()) } : {});
  } catch (err) {
    return fromError(index, err);
  }
  return pending.then(
    (r) => ({ index, errorCode: ErrorCode.NONE, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null }),
    (err) => fromError(index, err),
  );
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  api: Produce,
  handle(ctx, req) {
    const version = ctx.header.apiVersion;
    const acks = req.acks;
    let outcomes: Array<{ name: string; partitions: PartitionOutcome[] }>;
    if (version < FIRST_SUPPORTED_VERSION) {
      outcomes = req.topicData.map((t) => ({
        name: t.name,
        partitions: t.partitionData.map((p) => failure(p.index, ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-2 (message format 0/1) is not supported; use v3+')),
      }));
    } else if (req.transactionalId !== null) {
      outcomes = req.topicData.map((t) => ({
        name: t.name,
        partitions: t.partitionData.map((p) => failure(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactions are not supported by lakegate')),
      }));
    } else if (acks !== 0 && acks !== 1 && acks !== -1) {
      outcomes = req.topicData.map((t) => ({
        name: t.name,
        partitions: t.partitionData.map((p) => failure(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${acks}`)),
      }));
    } else {
      outcomes = req.topicData.map((t) => ({
        name: t.name,
        partitions: t.partitionData.map((p) => appendOne(ctx.broker, t.name, p.index, p.records, version)),
      }));
    }

    if (acks === 0) return acksZeroResult(outcomes);

    const flat = outcomes.flatMap((t) => t.partitions);
    const build = (done: ProducePartitionResponse[]): ProduceResponse => {
      let i = 0;
      return { responses: outcomes.map((t) => ({ name: t.name, partitionResponses: t.partitions.map(() => done[i++]) })), throttleTimeMs: 0 };
    };
    if (flat.every((o) => !(o instanceof Promise))) return build(flat as ProducePartitionResponse[]);
    return Promise.all(flat).then(build);
  },
};

/**
 * acks=0 producers read no response, so Kafka reports an error by closing the connection;
 * the producer notices and refreshes its metadata.
 *
 * Even when a partition failed at once, the result waits for the appends already issued for
 * the others: they write views of the request's memory, which the connection gives back to
 * the pool as soon as the request has its result. Settling early let another connection's
 * bytes be written into the log under offsets already assigned.
 */
function acksZeroResult(outcomes: Array<{ partitions: PartitionOutcome[] }>) {
  const flat = outcomes.flatMap((t) => t.partitions);
  const failed = (o: ProducePartitionResponse) => o.errorCode !== ErrorCode.NONE;
  const failedAtOnce = flat.some((o) => !(o instanceof Promise) && failed(o));
  const pending = flat.filter((o): o is Promise<ProducePartitionResponse> => o instanceof Promise);
  if (pending.length === 0) return failedAtOnce ? CLOSE_CONNECTION : NO_RESPONSE;
  // Waiting also keeps responses of later requests in order and lets a storage failure close
  // the connection.
  return Promise.all(pending).then((done) => (failedAtOnce || done.some(failed) ? CLOSE_CONNECTION : NO_RESPONSE));
}
