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

/**
 * Bounds the label combinations (series) of one metric as a whole, since per-label caps still
 * multiply (100 agents × 100 targets × 4 call types): once `maxSeries - 1` combinations are in use,
 * every new one is counted in one overflow series whose labels are all {@link OVERFLOW_LABEL_VALUE},
 * so the metric never has more than `maxSeries` series and its sums stay right.
 */
export class SeriesLimiter<Label extends string> {
  private readonly seen = new Set<string>();
  private readonly overflow: Readonly<Record<Label, string>>;

  /**
   * @param labelNames The metric's label names.
   * @param maxSeries Most series, the overflow one included. Default 2,000.
   */
  constructor(
    private readonly labelNames: readonly Label[],
    private readonly maxSeries = 2000,
  ) {
    this.overflow = Object.fromEntries(labelNames.map((name) => [name, OVERFLOW_LABEL_VALUE])) as Record<Label, string>;
  }

  /** The labels to count `labels` under: themselves, or the overflow series'. */
  labels(labels: Readonly<Record<Label, string>>): Readonly<Record<Label, string>> {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    if (this.seen.has(key)) return labels;
    if (this.seen.size >= this.maxSeries - 1) return this.overflow;
    this.seen.add(key);
    return labels;
  }
}
