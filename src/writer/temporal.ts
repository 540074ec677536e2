/**
 * Strict text-to-number conversions for JSON timestamptz and date columns. Written out by
 * hand rather than with Date.parse because Date.parse drops microseconds, reads a zone-less
 * date-time as local time (the worker's TZ would leak into the data) and maps years 0-99 to
 * the 1900s.
 */

const MICROS_PER_SECOND = 1_000_000n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function validDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' to days since the epoch, or undefined when it is not a real calendar date. */
export function parseIsoDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return validDate(year, month, day) ? daysFromCivil(year, month, day) : undefined;
}

// date [T|space] hh:mm[:ss[.fraction]] [Z|±hh[:]mm]; a bare date is midnight UTC.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * ISO-8601 / RFC 3339 text to microseconds since the epoch, or undefined when malformed.
 * A date-time without an offset is read as UTC (never the worker's local zone); digits past
 * microseconds are truncated.
 */
export function parseIsoTimestampMicros(text: string): bigint | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (!validDate(year, month, day)) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetSeconds = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetSeconds = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  return BigInt(seconds) * MICROS_PER_SECOND + BigInt(fraction);
}

/** Epoch milliseconds (possibly fractional) to micros; undefined when not exactly representable. */
export function epochMillisToMicros(ms: number): bigint | undefined {
  if (!Number.isFinite(ms)) return undefined;
  if (Number.isInteger(ms)) {
    if (!Number.isSafeInteger(ms)) return undefined;
    return fitsInt64(BigInt(ms) * 1000n);
  }
  const micros = Math.round(ms * 1000);
  return Number.isSafeInteger(micros) ? BigInt(micros) : undefined;
}

/** Kafka's int64 millisecond timestamps times 1000 can overflow int64 micros. */
export function fitsInt64(value: bigint): bigint | undefined {
  return value > INT64_MAX || value < INT64_MIN ? undefined : value;
}
