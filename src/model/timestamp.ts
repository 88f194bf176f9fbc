/**
 * @module Reads the RFC 3339 / ISO 8601 timestamp shapes A2A producers write (DESIGN §2), exact to
 * the nanosecond, without going through `Date` parsing (which drops digits past milliseconds).
 */
import type { TraceTimestamp } from './types.js';

// Python isoformat(), JS toISOString() and Go RFC3339Nano, with `T`, `t` or a space as separator.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z|z)|([+-])(\d{2}):?(\d{2}))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number);
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, by H. Hinnant's `days_from_civil`: the same
 * day count `Date` uses, without a `Date` per timestamp (read on every step's start and end).
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Parses a timestamp string. Returns undefined when the text is not a timestamp this reader
 * accepts, or names an impossible date (Feb 30, 25:00).
 */
export function parseTimestamp(raw: string): TraceTimestamp | undefined {
  return parseCommonTimestamp(raw) ?? parseAnyTimestamp(raw);
}

/** The digit at `index` of `text`, or -1 when it holds no ASCII digit. */
function digitAt(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : -1;
}

/** The two-digit number at `index`, or -1. */
function twoDigitsAt(text: string, index: number): number {
  const tens = digitAt(text, index);
  const ones = digitAt(text, index + 1);
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}

/**
 * The shape nearly every producer writes, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, read by
 * character codes (two per step, on the ingest path); undefined for anything else, which
 * {@link parseAnyTimestamp} then reads. Both give the same result for what this one reads
 * (test/unit/timestamp.test.ts compares them).
 */
function parseCommonTimestamp(raw: string): TraceTimestamp | undefined {
  const length = raw.length;
  if (length < 20 || raw.charCodeAt(4) !== 45 || raw.charCodeAt(7) !== 45 || raw.charCodeAt(10) !== 84 || raw.charCodeAt(13) !== 58 || raw.charCodeAt(16) !== 58) {
    return undefined;
  }
  const century = twoDigitsAt(raw, 0);
  const yearOfCentury = twoDigitsAt(raw, 2);
  const mo = twoDigitsAt(raw, 5);
  const d = twoDigitsAt(raw, 8);
  const h = twoDigitsAt(raw, 11);
  const mi = twoDigitsAt(raw, 14);
  const s = twoDigitsAt(raw, 17);
  if (century < 0 || yearOfCentury < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return undefined;
  const y = century * 100 + yearOfCentury;
  if (d > daysInMonth(y, mo)) return undefined;
  let at = 19;
  let nanos = 0;
  if (raw.charCodeAt(at) === 46) {
    let scale = 100_000_000;
    let digit = digitAt(raw, ++at);
    if (digit < 0) return undefined;
    while (digit >= 0) {
      if (scale < 1) return undefined;
      nanos += digit * scale;
      scale /= 10;
      digit = digitAt(raw, ++at);
    }
  }
  let offsetSeconds = 0;
  const zone = raw.charCodeAt(at);
  if (zone === 90) {
    if (at + 1 !== length) return undefined;
  } else if (zone === 43 || zone === 45) {
    const oh = twoDigitsAt(raw, at + 1);
    const om = twoDigitsAt(raw, at + 4);
    if (at + 6 !== length || raw.charCodeAt(at + 3) !== 58 || oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetSeconds = (zone === 45 ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return undefined;
  }
  return { raw, epochSeconds: daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offsetSeconds, nanos, zoneAssumed: false };
}

/**
 * Every shape {@link TIMESTAMP} accepts, leap seconds and zone-less times included: what
 * {@link parseTimestamp} gives for any text (exported for the test that holds the two readers equal).
 */
export function parseAnyTimestamp(raw: string): TraceTimestamp | undefined {
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
  if (d > daysInMonth(y, mo)) return undefined;
  const utcSeconds = daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + Math.min(s, 59);
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
    epochSeconds: utcSeconds - offsetSeconds,
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
