/**
 * @module A price table: turns the tokens of a call and its model into a cost (DESIGN §10, "price-table
 * cost where only tokens and a model are known"). Rates are per million tokens; the first row whose
 * `match` accepts the model name (lowercased) prices it. Cache-read and cache-write tokens are part of
 * the input tokens (the OTel GenAI convention) and priced at their own rates where the row has them.
 */
import { z } from 'zod';
import { roundToOperands, RoundedSum } from '../../model/cost-arithmetic.js';
import type { PriceQuote, Pricer, TokenUsage } from '../../model/price-quote.js';
import { SHIPPED_PRICES } from './shipped-prices.js';
import { zodIssues } from '../../config/zod-issues.js';
import * as errors from '../../error-catalog.js';

export type { PriceQuote, TokenUsage } from '../../model/price-quote.js';

const rate = z.number().nonnegative().finite();

/**
 * A `match` as written and compiled, or an issue saying why it does not compile. The text is kept for
 * the quote's rule: a RegExp's own `source` escapes `/`.
 */
const pattern = z
  .string()
  .min(1)
  .transform((source, context) => {
    try {
      return { text: source, compiled: new RegExp(source) };
    } catch (error) {
      context.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
      return z.NEVER;
    }
  });

const PriceTableSchema = z.strictObject({
  as_of: z.iso.date(),
  currency: z.string().min(1).max(16),
  unit: z.literal('per 1M tokens').optional(),
  source: z.string().optional(),
  models: z.array(
    z.strictObject({
      match: pattern,
      input: rate,
      output: rate,
      cache_read: rate.optional(),
      cache_write: rate.optional(),
    }),
  ),
});

interface Row {
  readonly rule: string;
  readonly pattern: RegExp;
  /** Rates per million tokens. */
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** A token count as priced: absent, negative and non-finite counts price nothing. */
function tokens(count: number | undefined): number {
  return count !== undefined && Number.isFinite(count) && count > 0 ? count : 0;
}

/** Tokens times a per-million rate, in millionths of the table's currency. */
function times(count: number, perMillion: number): number {
  return roundToOperands(count * perMillion);
}

/** A validated price table. */
export class PriceTable implements Pricer {
  private constructor(
    /** The table's `as_of` date (`YYYY-MM-DD`), written on every quote. */
    readonly asOf: string,
    /** The table's currency, written on every quote. */
    readonly currency: string,
    private readonly rows: readonly Row[],
  ) {}

  /**
   * Validates a table (the shape of shipped-prices.ts), reporting every problem at once.
   * @param origin Where the table came from, as the field path its issues start with (`pricing.file`
   *   gives `pricing.file.models[3].match`); `''` for paths from the table's root (`models[3].match`).
   * @throws CollectorError `CFG_ERR_INVALID` naming each bad field by its path and reason.
   */
  static parse(value: unknown, origin: string): PriceTable {
    const parsed = PriceTableSchema.safeParse(value);
    if (!parsed.success) throw errors.invalidConfig(zodIssues(parsed.error, origin));
    const rows = parsed.data.models.map(
      (model): Row => ({
        rule: model.match.text,
        pattern: model.match.compiled,
        input: model.input,
        output: model.output,
        cacheRead: model.cache_read ?? model.input,
        cacheWrite: model.cache_write ?? model.input,
      }),
    );
    return new PriceTable(parsed.data.as_of, parsed.data.currency, rows);
  }

  /** The table that ships with the collector (shipped-prices.ts). */
  static shipped(): PriceTable {
    return PriceTable.parse(SHIPPED_PRICES, '');
  }

  /**
   * The cost of `usage` on `model`, in {@link currency}: input tokens less the cache reads and writes
   * among them at the input rate, cache reads and writes at theirs (the input rate where the row has
   * none), output at the output rate, rounded to the precision of its terms. Undefined when no row
   * matches the model, or the usage has neither input nor output tokens.
   */
  price(model: string, usage: TokenUsage): PriceQuote | undefined {
    if (usage.input === undefined && usage.output === undefined) return undefined;
    const name = model.toLowerCase();
    const row = this.rows.find((candidate) => candidate.pattern.test(name));
    if (row === undefined) return undefined;
    const cacheRead = tokens(usage.cacheRead);
    const cacheWrite = tokens(usage.cacheWrite);
    const millionths = new RoundedSum();
    millionths.add(times(Math.max(0, tokens(usage.input) - cacheRead - cacheWrite), row.input));
    millionths.add(times(cacheRead, row.cacheRead));
    millionths.add(times(cacheWrite, row.cacheWrite));
    millionths.add(times(tokens(usage.output), row.output));
    return { cost: roundToOperands(millionths.value / 1_000_000), currency: this.currency, rule: row.rule, asOf: this.asOf };
  }
}
