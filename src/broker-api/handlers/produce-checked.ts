/**
 * Produce for validation=reject topics: the batch's records are checked on the validation
 * pool (off the event loop) and the batch is appended only when every record is valid; else
 * the partition answers INVALID_RECORD with one RecordError per bad record (Produce v8+) and
 * nothing of the batch is stored, as Kafka refuses a batch whole.
 *
 * Order: a pipelined idempotent producer's batches must reach a log in the order sent. Checks
 * of one partition run concurrently, but batch N+1's append is issued only after batch N's
 * was issued (or N was refused): each partition keeps the tail of that chain.
 *
 * Memory: `records` is a view into a recycled request slab. It stays referenced only until
 * the append is issued, which happens before the response is sent.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ProducePartitionResponse } from '../../protocol/messages/index.js';
import { validateProducedRecords } from '../../protocol/records/produce-validation.js';
import type { RecordBatchHeader } from '../../protocol/records/batch-header.js';
import type { PartitionLog } from '../../log/index.js';
import { logger } from '../../logger.js';
import { valueSubject, type ValidationOutcome } from '../../record-validation/validation-pool.js';
import type { Broker, TopicRuntime } from '../broker.js';
import { failure, fromError } from './produce-results.js';

type PartitionOutcome = ProducePartitionResponse | Promise<ProducePartitionResponse>;

/** Per partition log: settles once the latest batch's append was issued or refused. */
const appendTurns = new WeakMap<PartitionLog, Promise<void>>();

const ignore = () => undefined;

export function appendChecked(
  broker: Broker,
  runtime: TopicRuntime,
  log: PartitionLog,
  index: number,
  records: Buffer,
  version: number,
): PartitionOutcome {
  const validator = broker.recordValidator;
  if (!validator) return failure(index, ErrorCode.UNKNOWN_SERVER_ERROR, 'validation=reject needs the schema registry, which is not running');
  let header: RecordBatchHeader;
  try {
    header = validateProducedRecords(records, version);
  } catch (err) {
    return fromError(index, err);
  }
  const topic = runtime.topic.name;
  const check = validator.check(topic, records);
  const previous = appendTurns.get(log);
  const turn = previous ? Promise.all([previous, check]).then(([, outcome]) => outcome) : check;
  // Wrapped in an object so the append's promise is not adopted: `decided` settles as soon as
  // the append is issued, which is when the next batch of this partition may go.
  const decided = turn.then((outcome) => ({ result: afterCheck(runtime, log, index, records, header, outcome) }));
  const myTurn = decided.then(ignore, ignore);
  appendTurns.set(log, myTurn);
  void myTurn.then(() => {
    if (appendTurns.get(log) === myTurn) appendTurns.delete(log);
  });
  return decided.then(
    (d) => d.result,
    (err) => fromError(index, err),
  );
}

function afterCheck(runtime: TopicRuntime, log: PartitionLog, index: number, records: Buffer, header: RecordBatchHeader, outcome: ValidationOutcome): PartitionOutcome {
  const topic = runtime.topic.name;
  if (outcome.kind === 'corrupt') return failure(index, ErrorCode.CORRUPT_MESSAGE, outcome.message);
  if (outcome.kind === 'failed') {
    logger.warn({ topic, partition: index, reason: outcome.message }, 'produce batch refused: its records could not be validated');
    // The check could not be completed (the registry did not answer, a worker timed out or
    // died), which says nothing about the records: a retriable code lets the producer send
    // them again, where UNKNOWN_SERVER_ERROR would fail them for good in the Java client.
    return failure(index, ErrorCode.REQUEST_TIMED_OUT, outcome.message);
  }
  const bad = outcome.badRecords;
  if (bad.length > 0) {
    const first = bad[0];
    return {
      ...failure(index, ErrorCode.INVALID_RECORD, `${bad.length} of ${header.recordsCount} records are not valid for subject ${valueSubject(topic)} (validation=reject); record ${first.batchIndex}: ${first.message}`),
      recordErrors: bad.map((b) => ({ batchIndex: b.batchIndex, batchIndexErrorMessage: b.message })),
    };
  }
  try {
    return log.append(records, header, runtime.logAppendTime ? { logAppendTimeMs: BigInt(Date.now()) } : {}).then(
      (r) => ({ index, errorCode: ErrorCode.NONE, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTimeMs, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null }),
      (err) => fromError(index, err),
    );
  } catch (err) {
    return fromError(index, err);
  }
}
