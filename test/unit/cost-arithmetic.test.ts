import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atLeast, roundToOperands, RoundedSum } from '../../src/model/cost-arithmetic.js';

function sum(values: readonly number[]): number {
  const total = new RoundedSum();
  for (const value of values) total.add(value);
  return total.value;
}

describe('cost arithmetic', () => {
  const sums: Array<[readonly number[], number]> = [
    [[0.1, 0.2], 0.3],
    [[0.1, 0.2, 0.3], 0.6],
    [[0.3, 0.2, 0.1], 0.6],
    [Array.from({ length: 10 }, () => 0.1), 1],
    [Array.from({ length: 10_000 }, () => 0.0001), 1],
    [[1e-7, 2e-7], 3e-7],
    [[1_000_000, 0.1], 1_000_000.1],
    [[0.000015, 0.0000025], 0.0000175],
    [[2 ** 53, 2], 2 ** 53 + 2],
    [[123_456_789_012.5, 1], 123_456_789_013.5],
    [[3, 4], 7],
    [[], 0],
  ];
  for (const [values, expected] of sums) {
    it(`sums ${values.length > 4 ? `${values.length} values` : values.join(' + ')} to ${expected}`, () => {
      assert.equal(sum(values), expected);
    });
  }

  it('rounds a difference to the precision of its operands', () => {
    assert.equal(roundToOperands(0.6 - 0.30000000000000004, 0.6), 0.3);
    assert.equal(roundToOperands(1_000_000.1 - 1_000_000, 1_000_000.1), 0.1);
    assert.equal(roundToOperands(0.6 - 0.6000000000000001, 0.6000000000000001), 0);
    assert.equal(Object.is(roundToOperands(-1e-17, 1), 0), true);
    assert.equal(roundToOperands(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.equal(roundToOperands(1e308), 1e308);
    assert.equal(roundToOperands(5e-324), 5e-324);
  });

  it('compares with a relative tolerance of 1e-9', () => {
    assert.equal(atLeast(0.3, 0.1 + 0.2), true);
    assert.equal(atLeast(0.6, 0.1 + 0.2 + 0.3), true);
    assert.equal(atLeast(1, 1 + 2e-9), false);
    assert.equal(atLeast(0.29, 0.3), false);
    assert.equal(atLeast(0, 0), true);
  });
});
