import { ErrorCode, KafkaError } from '../protocol/errors.js';

export interface LogOptions {
  /** Roll the active segment before it would grow past this many bytes. */
  segmentBytes: number;
  /** Roll the active segment once it is this old (wall clock), checked on append. */
  segmentMs: number;
  /** Bytes of log between two offset-index (and time-index) entries. */
  indexIntervalBytes: number;
  /**
   * 'before-ack': an append resolves after fdatasync of the segment (acks=all is truly durable).
   * 'interval': an append resolves once written to the OS; a timer fdatasyncs every
   * fsyncIntervalMs, so a machine crash may lose that window (a process crash loses nothing).
   * 'os': an append resolves once written to the OS, which writes it back on its own schedule;
   * the log fdatasyncs only when it rolls or closes a segment. This is Kafka's default
   * (log.flush.interval.messages/ms unset): a process crash loses nothing, a machine crash
   * may lose what the OS had not written back yet.
   */
  fsync: 'before-ack' | 'interval' | 'os';
  fsyncIntervalMs: number;
}

export const DEFAULT_LOG_OPTIONS: LogOptions = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  fsync: 'before-ack',
  fsyncIntervalMs: 1000,
};

const INT32_MAX = 0x7fffffff;

/** Merges and checks options; positions are int32 in the index, which bounds segmentBytes. */
export function resolveLogOptions(base: LogOptions, overrides: Partial<LogOptions> = {}): LogOptions {
  const o: LogOptions = { ...base, ...stripUndefined(overrides) };
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!positiveInt(o.segmentBytes) || o.segmentBytes > INT32_MAX) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `segmentBytes must be an integer in 1..${INT32_MAX}`);
  }
  if (!positiveInt(o.segmentMs)) throw new KafkaError(ErrorCode.INVALID_CONFIG, 'segmentMs must be a positive integer');
  if (!positiveInt(o.indexIntervalBytes)) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, 'indexIntervalBytes must be a positive integer');
  }
  if (o.fsync !== 'before-ack' && o.fsync !== 'interval' && o.fsync !== 'os') {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `fsync must be 'before-ack', 'interval' or 'os'`);
  }
  if (!positiveInt(o.fsyncIntervalMs)) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, 'fsyncIntervalMs must be a positive integer');
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
