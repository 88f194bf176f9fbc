/**
 * @module Reads the RFC 3339 / ISO 8601 timestamp shapes A2A producers write (DESIGN §2), exact to
 * the nanosecond, without going through `Date` parsing (which drops digits past milliseconds).
 */
import type { TraceTimestamp } from './types.js';

// Python isoformat(), JS toISOString() and Go RFC3339Nano, with `T`, `t` or a space as separator.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z|z)|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parses a timestamp string. Returns undefined when the text is not a timestamp this reader
 * accepts, or names an impossible date (Feb 30, 25:00).
 */
export function parseTimestamp(raw: string): TraceTimestamp | undefined {
  const match = TIMESTAMP.exec(raw.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear takes the year as written.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, Math.min(s, 59), 0);
  const millis = date.getTime();
  const check = new Date(millis);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return undefined;
  let offsetSeconds = 0;
  if (sign !== undefined) {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes);
    if (oh > 23 || om > 59) return undefined;
    offsetSeconds = (sign === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  // A leap second (:60) is folded onto :59.999999999 rather than rejected.
  const leap = s === 60;
  return {
    raw,
    epochSeconds: millis / 1000 - offsetSeconds,
    nanos: leap ? 999_999_999 : fraction === undefined ? 0 : Number(fraction.padEnd(9, '0')),
    zoneAssumed: zulu === undefined && sign === undefined,
  };
}

/** Returns `at` moved by `millis` (which may be fractional or negative); `raw` is left empty. */
export function addMillis(at: TraceTimestamp, millis: number): TraceTimestamp {
  const totalNanos = at.nanos + Math.round((millis % 1000) * 1e6);
  const carry = Math.floor(totalNanos / 1e9);
  return {
    raw: '',
    epochSeconds: at.epochSeconds + Math.trunc(millis / 1000) + carry,
    nanos: totalNanos - carry * 1e9,
    zoneAssumed: at.zoneAssumed,
  };
}
