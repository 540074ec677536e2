/**
 * Strict text-to-number conversions for JSON timestamptz and date columns. Written out by
 * hand rather than with Date.parse because Date.parse drops microseconds, reads a zone-less
 * date-time as local time (the worker's TZ would leak into the data) and maps years 0-99 to
 * the 1900s; and scanned char by char rather than with a regex because it runs per row.
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

/** The n decimal digits at text[at..], or -1. Hand-scanned: this runs per row per column. */
function digits(text: string, at: number, n: number): number {
  if (at + n > text.length) return -1;
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** 'YYYY-MM-DD' at the start of text as days since the epoch, or -Infinity when malformed. */
function datePrefix(text: string): number {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 0 || day < 0 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return -Infinity;
  return validDate(year, month, day) ? daysFromCivil(year, month, day) : -Infinity;
}

/** 'YYYY-MM-DD' to days since the epoch, or undefined when it is not a real calendar date. */
export function parseIsoDate(text: string): number | undefined {
  if (text.length !== 10) return undefined;
  const days = datePrefix(text);
  return days === -Infinity ? undefined : days;
}

/**
 * ISO-8601 / RFC 3339 text to microseconds since the epoch, or undefined when malformed:
 * date [T|t|space] hh:mm[:ss[.|,fraction]] [Z|z|+-hh[:]mm], or a bare date (midnight UTC).
 * A date-time without an offset is read as UTC (never the worker's local zone); fraction
 * digits past microseconds (up to nine in all) are truncated.
 */
export function parseIsoTimestampMicros(text: string): bigint | undefined {
  const days = datePrefix(text);
  if (days === -Infinity) return undefined;
  const n = text.length;
  if (n === 10) return BigInt(days * 86400) * MICROS_PER_SECOND;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined; // T t space
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || text.charCodeAt(13) !== 58) return undefined;
  let at = 16;
  let second = 0;
  let fraction = 0;
  if (text.charCodeAt(at) === 58) {
    second = digits(text, at + 1, 2);
    if (second < 0 || second > 59) return undefined;
    at += 3;
    const dot = text.charCodeAt(at);
    if (dot === 46 || dot === 44) {
      let count = 0;
      for (at++; at < n && count < 10; at++, count++) {
        const d = text.charCodeAt(at) - 48;
        if (d < 0 || d > 9) break;
        if (count < 6) fraction = fraction * 10 + d;
      }
      if (count === 0 || count > 9) return undefined;
      for (let c = count; c < 6; c++) fraction *= 10;
    }
  }
  let offsetSeconds = 0;
  if (at < n) {
    const zone = text.charCodeAt(at);
    if (zone === 90 || zone === 122) at++; // Z z
    else if (zone === 43 || zone === 45) {
      const oh = digits(text, at + 1, 2);
      const colon = text.charCodeAt(at + 3) === 58 ? 1 : 0;
      const om = digits(text, at + 3 + colon, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
      offsetSeconds = (zone === 45 ? -1 : 1) * (oh * 3600 + om * 60);
      at += 5 + colon;
    } else return undefined;
  }
  if (at !== n) return undefined;
  const seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
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
