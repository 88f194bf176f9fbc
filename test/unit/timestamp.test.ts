import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMillis, parseAnyTimestamp, parseTimestamp } from '../../src/model/timestamp.js';
import { seededIntegers } from '../helpers/seeded-random.js';

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

describe('parseTimestamp, against Date', () => {
  it('gives Date.UTC\'s instant for every day of 1599-2401, and refuses the days Date rolls over', () => {
    let read = 0;
    let refused = 0;
    for (let year = 1599; year <= 2401; year++) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 28; day <= 31; day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${day}T13:07:59Z`;
          const date = new Date(Date.UTC(year, month - 1, day, 13, 7, 59));
          const time = parseTimestamp(text);
          if (date.getUTCDate() === day) {
            assert.equal(time?.epochSeconds, date.getTime() / 1000, text);
            read++;
          } else {
            assert.equal(time, undefined, text);
            refused++;
          }
        }
        const first = `${year}-${String(month).padStart(2, '0')}-01T00:00:00Z`;
        assert.equal(parseTimestamp(first)?.epochSeconds, Date.UTC(year, month - 1, 1) / 1000, first);
      }
    }
    // 803 years: 29 Feb exists in 195 of them; 30 and 31 Feb never, 31 Apr/Jun/Sep/Nov never.
    assert.equal(refused, 803 * 6 + (803 - 195));
    assert.equal(read, 803 * 48 - refused);
  });
});

describe('parseTimestamp, the character-code reader against the pattern', () => {
  it('reads and refuses exactly what the pattern reader does, on mutated timestamps', () => {
    const seeds = ['2026-03-10T21:23:14.974500+00:00', '2024-02-29T23:59:59.123456789Z', '1999-12-31T00:00:00-04:30', '2026-03-10T21:23:14Z'];
    const swaps = ['0', '9', '3', '2', 'Z', 'z', '+', '-', ':', '.', ',', 'T', ' ', 'x', '', '00', '60', '5'];
    const next = seededIntegers(11);
    let read = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = seeds[next(seeds.length)] as string;
      for (let edits = next(3); edits > 0; edits--) {
        const at = next(text.length + 1);
        text = text.slice(0, at) + (swaps[next(swaps.length)] as string) + text.slice(at + next(2));
      }
      const expected = parseAnyTimestamp(text);
      assert.deepEqual(parseTimestamp(text), expected, text);
      if (expected === undefined) refused++;
      else read++;
    }
    assert.ok(read > 2000 && refused > 2000, `${read} read, ${refused} refused`);
  });
});
