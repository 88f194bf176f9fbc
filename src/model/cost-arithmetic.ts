/**
 * @module Cost and token arithmetic that binary floating point cannot fool: sums and differences
 * rounded to the precision of their operands, and comparisons with a tolerance (DESIGN §10,
 * "exclusive cost with a rounding tolerance").
 */

/**
 * Significant decimal digits kept. A double holds 15 to 17; twelve leave room for the error that
 * thousands of additions accumulate (each adds at most one unit in the 16th digit).
 */
const SIGNIFICANT_DIGITS = 12;

/** Relative tolerance of {@link atLeast}: differences below it are binary rounding, not money. */
export const RELATIVE_TOLERANCE = 1e-9;

/**
 * `value` rounded to {@link SIGNIFICANT_DIGITS} digits relative to `magnitude` (the largest operand
 * it was computed from): 0.1 + 0.2 gives 0.3, 0.6 - 0.30000000000000004 gives 0.3, 1e-7 stays 1e-7.
 * Integers (token counts, int64 costs) are exact and returned as they are, and so are values whose
 * magnitude puts the twelfth digit at or left of the decimal point: rounding never drops whole units.
 * Values that are not finite, and 0, are returned as they are.
 */
export function roundToOperands(value: number, magnitude: number = Math.abs(value)): number {
  const scaleOf = Math.max(Math.abs(magnitude), Math.abs(value));
  if (Number.isInteger(value) || !Number.isFinite(value) || !Number.isFinite(scaleOf) || scaleOf === 0) return value;
  const exponent = SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(scaleOf));
  // Below 10^-300 the scale itself is not a finite double; such values keep all their digits.
  if (exponent <= 0 || exponent > 300) return value;
  const scale = 10 ** exponent;
  const rounded = Math.round(value * scale) / scale;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Whether `a >= b` once binary rounding (a relative {@link RELATIVE_TOLERANCE}) is forgiven. */
export function atLeast(a: number, b: number): boolean {
  return a >= b || b - a <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** Adds numbers in order and rounds the total to the precision of the largest partial sum or term. */
export class RoundedSum {
  private total = 0;
  private magnitude = 0;

  /** Adds `value`. */
  add(value: number): void {
    this.total += value;
    this.magnitude = Math.max(this.magnitude, Math.abs(value), Math.abs(this.total));
  }

  /** The rounded total so far. */
  get value(): number {
    return roundToOperands(this.total, this.magnitude);
  }
}

/** How reported costs and tokens are read (DESIGN §3): `auto` tells inclusive from exclusive figures per step. */
export type CostMode = 'auto' | 'inclusive' | 'exclusive';

/**
 * A step's exclusive share of `own` (its reported cost or tokens) given `childSum`, the sum of its
 * children's reported figures (DESIGN §3): `own − childSum` when it reported inclusively (`own` at
 * least `childSum`, forgiving binary rounding, since parallel children are listed in completion order
 * and 0.1 + 0.2 is 0.30000000000000004), else `own`. `inclusive` and `exclusive` force the reading.
 */
export function exclusiveShare(own: number, childSum: number, mode: CostMode): number {
  if (mode === 'exclusive') return own;
  if (mode === 'inclusive' || atLeast(own, childSum)) return Math.max(0, roundToOperands(own - childSum, Math.max(own, childSum)));
  return own;
}
