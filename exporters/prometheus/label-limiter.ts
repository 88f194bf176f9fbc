/**
 * @module Keeps every metric label to a bounded set of values (DESIGN §4), so a hostile or buggy
 * agent sending endless new names cannot blow up Prometheus: past the cap, new values become
 * {@link OVERFLOW_LABEL_VALUE}.
 */

/** The value a label takes once its cap of distinct values is reached. */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Bounds one label's distinct values and their length. */
export class LabelLimiter {
  private readonly seen = new Set<string>();

  /**
   * @param maxValues Most distinct values kept before overflowing. Default 100.
   * @param maxLength Longest value kept; longer ones are cut. Default 128.
   */
  constructor(
    private readonly maxValues = 100,
    private readonly maxLength = 128,
  ) {}

  /** The label value to use for `raw`. */
  value(raw: string): string {
    const value = raw.length > this.maxLength ? raw.slice(0, this.maxLength) : raw;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.maxValues) return OVERFLOW_LABEL_VALUE;
    this.seen.add(value);
    return value;
  }
}
