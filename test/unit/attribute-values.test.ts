import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REDACT_PATTERN, REDACTED, toJsonAttribute } from '../../src/mapping/attribute-values.js';
import { seededIntegers } from '../helpers/seeded-random.js';

/** What toJsonAttribute wrote before it skipped the replacer: JSON.stringify with one on every value. */
function withReplacer(value: unknown, pattern: RegExp): string {
  return JSON.stringify(value, (key, inner: unknown) => (key !== '' && pattern.test(key) ? REDACTED : inner));
}

/** A seeded walk of JSON shapes: objects and arrays, nested, some keys secret-looking. */
function corpus(): unknown[] {
  const next = seededIntegers(7);
  const keys = ['query', 'top_k', 'api_key', 'nested', 'Authorization', 'items', 'x-token', 'tokens', '1', 'password2'];
  const make = (depth: number): unknown => {
    const pick = next(depth > 3 ? 4 : 6);
    if (pick === 0) return next(1000);
    if (pick === 1) return `text-${next(100)}`;
    if (pick === 2) return null;
    if (pick === 3) return next(2) === 0;
    if (pick === 4) return Array.from({ length: next(4) }, () => make(depth + 1));
    const record: Record<string, unknown> = {};
    for (let i = next(4); i > 0; i--) record[keys[next(keys.length)] as string] = make(depth + 1);
    return record;
  };
  // Objects and arrays at the top: a string is written as is (or read as JSON first), not stringified.
  return Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? [make(1)] : { root: make(1) }));
}

describe('toJsonAttribute redaction', () => {
  for (const pattern of [DEFAULT_REDACT_PATTERN, /^1$/, /^(?:nested|items)$/i]) {
    it(`writes what a replacer on every value writes, with ${pattern}`, () => {
      let redacted = 0;
      for (const value of corpus()) {
        const expected = withReplacer(value, pattern);
        if (expected.includes(REDACTED)) redacted++;
        assert.equal(toJsonAttribute(value, 1_000_000, pattern), expected);
      }
      // Both branches ran: some values held a key to redact, most did not.
      assert.ok(redacted > 50 && redacted < 1950, `${redacted} of 2000 redacted`);
    });
  }

  it('redacts inside a string that holds JSON, and at any depth', () => {
    assert.equal(toJsonAttribute('{"a":[{"b":{"api_key":"k"}}]}', 1000), '{"a":[{"b":{"api_key":"[REDACTED]"}}]}');
    assert.equal(toJsonAttribute({ query: 'q', top_k: 5 }, 1000), '{"query":"q","top_k":5}');
  });
});
