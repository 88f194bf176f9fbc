import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMillis, parseTimestamp } from '../../src/model/timestamp.js';

describe('parseTimestamp', () => {
  const cases: Array<[string, number, number, boolean]> = [
    // Python isoformat() with and without microseconds
    ['2026-03-10T21:23:14.974500+00:00', 1773177794, 974_500_000, false],
    ['2026-03-10T21:23:14+00:00', 1773177794, 0, false],
    // JS toISOString(), Go RFC3339Nano
    ['2026-03-10T21:23:14.974Z', 1773177794, 974_000_000, false],
    ['2026-03-10T21:23:14.123456789Z', 1773177794, 123_456_789, false],
    // offsets move the instant
    ['2026-03-10T23:23:14.5+02:00', 1773177794, 500_000_000, false],
    ['2026-03-10T16:53:14-04:30', 1773177794, 0, false],
    // no zone: read as UTC and flagged
    ['2026-03-10T21:23:14.974500', 1773177794, 974_500_000, true],
    ['2026-03-10 21:23:14', 1773177794, 0, true],
  ];
  for (const [raw, seconds, nanos, zoneAssumed] of cases) {
    it(`reads ${raw}`, () => {
      assert.deepEqual(parseTimestamp(raw), { raw, epochSeconds: seconds, nanos, zoneAssumed });
    });
  }

  for (const bad of ['', 'yesterday', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-10T25:00:00Z', '1773177794', '2026-03-10']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(parseTimestamp(bad), undefined);
    });
  }

  it('shifts at nanosecond precision', () => {
    const from = parseTimestamp('2026-03-10T21:23:14.999999999Z');
    assert.ok(from !== undefined);
    const shifted = addMillis(from, 1500);
    assert.deepEqual([shifted.epochSeconds, shifted.nanos], [1773177796, 499_999_999]);
    const back = addMillis(from, -1000);
    assert.deepEqual([back.epochSeconds, back.nanos], [1773177793, 999_999_999]);
  });
});

describe('parseTimestamp, early years', () => {
  it('reads years 0000-0099 as written (Date.UTC would make them 19xx)', () => {
    const time = parseTimestamp('0050-01-01T00:00:00Z');
    assert.equal(time?.epochSeconds, Date.parse('2050-01-01T00:00:00Z') / 1000 - 2000 * 365.2425 * 86400);
  });
});
