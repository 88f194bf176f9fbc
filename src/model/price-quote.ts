/**
 * @module What pricing takes and gives, for the readers of steps and spans that ask for a price
 * (src/model/step-tree.ts, src/accounting/otlp-intake.ts); the price table itself is in
 * src/accounting/pricing.
 */

/** Tokens of one call. `input` includes cache-read and cache-write tokens (the OTel GenAI convention). */
export interface TokenUsage {
  readonly input?: number | undefined;
  readonly output?: number | undefined;
  readonly cacheRead?: number | undefined;
  readonly cacheWrite?: number | undefined;
}

/** A computed cost and where it came from. */
export interface PriceQuote {
  readonly cost: number;
  readonly currency: string;
  /** The `match` of the price-table row that priced it. */
  readonly rule: string;
  /** The price table's `as_of`. */
  readonly asOf: string;
}

/** Prices a call: undefined when its model has no price, or it has no input or output tokens. */
export interface Pricer {
  price(model: string, usage: TokenUsage): PriceQuote | undefined;
}
