/**
 * @module A price table: turns the tokens of a call and its model into a cost (DESIGN §10, "price-table
 * cost where only tokens and a model are known"). Rates are per million tokens; the first row whose
 * `match` accepts the model name (lowercased) prices it. Cache-read and cache-write tokens are part of
 * the input tokens (the OTel GenAI convention) and priced at their own rates where the row has them.
 */
import { z } from 'zod';
import { roundToOperands, RoundedSum } from '../../model/cost-arithmetic.js';
import { fieldPath } from '../../model/field-path.js';
import type { PriceQuote, Pricer, TokenUsage } from '../../model/price-quote.js';
import { SHIPPED_PRICES } from './shipped-prices.js';
import * as errors from '../../error-catalog.js';

export type { PriceQuote, TokenUsage } from '../../model/price-quote.js';

const rate = z.number().nonnegative().finite();

const PriceTableSchema = z.strictObject({
  as_of: z.string().min(1),
  currency: z.string().min(1).max(16),
  unit: z.literal('per 1M tokens').optional(),
  source: z.string().optional(),
  models: z.array(
    z.strictObject({
      match: z.string().min(1),
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
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** Tokens times a per-million rate, in the table's currency units times a million. */
function times(tokens: number, perMillion: number): number {
  return roundToOperands(tokens * perMillion);
}

/** A validated price table. */
export class PriceTable implements Pricer {
  private constructor(
    readonly asOf: string,
    readonly currency: string,
    private readonly rows: readonly Row[],
  ) {}

  /**
   * Validates a table (the shape of shipped-prices.ts).
   * @throws CollectorError `CFG_ERR_INVALID` naming each bad field by its path under `origin` (`pricing.file`).
   */
  static parse(value: unknown, origin: string): PriceTable {
    const parsed = PriceTableSchema.safeParse(value);
    if (!parsed.success) {
      throw errors.invalidConfig(
        parsed.error.issues.map((issue) => ({
          path: fieldPath(origin, issue.path),
          reason: issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message,
        })),
      );
    }
    const issues: Array<{ path: string; reason: string }> = [];
    const rows: Row[] = [];
    parsed.data.models.forEach((model, index) => {
      let pattern: RegExp;
      try {
        pattern = new RegExp(model.match);
      } catch (error) {
        issues.push({ path: fieldPath(origin, ['models', index, 'match']), reason: `not a valid regular expression: ${(error as Error).message}` });
        return;
      }
      rows.push({ rule: model.match, pattern, input: model.input, output: model.output, cacheRead: model.cache_read ?? model.input, cacheWrite: model.cache_write ?? model.input });
    });
    if (issues.length > 0) throw errors.invalidConfig(issues);
    return new PriceTable(parsed.data.as_of, parsed.data.currency, rows);
  }

  /** The table that ships with the collector. */
  static shipped(): PriceTable {
    return PriceTable.parse(SHIPPED_PRICES, 'shipped prices');
  }

  /** The cost of `usage` on `model`; undefined when no row matches it or the usage has neither input nor output tokens. */
  price(model: string, usage: TokenUsage): PriceQuote | undefined {
    if (usage.input === undefined && usage.output === undefined) return undefined;
    const name = model.toLowerCase();
    const row = this.rows.find((candidate) => candidate.pattern.test(name));
    if (row === undefined) return undefined;
    const cacheRead = usage.cacheRead ?? 0;
    const cacheWrite = usage.cacheWrite ?? 0;
    const plainInput = Math.max(0, (usage.input ?? 0) - cacheRead - cacheWrite);
    const microSum = new RoundedSum();
    microSum.add(times(plainInput, row.input));
    microSum.add(times(cacheRead, row.cacheRead));
    microSum.add(times(cacheWrite, row.cacheWrite));
    microSum.add(times(usage.output ?? 0, row.output));
    return { cost: roundToOperands(microSum.value / 1_000_000), currency: this.currency, rule: row.rule, asOf: this.asOf };
  }
}
