import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PriceTable } from '../../src/accounting/pricing/price-table.js';
import { PricingSource } from '../../src/accounting/pricing/pricing-source.js';
import { CollectorError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/telemetry/logger.js';

const shipped = PriceTable.shipped();

describe('the shipped price table', () => {
  it('is dated and in USD', () => {
    assert.match(shipped.asOf, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(shipped.currency, 'USD');
  });

  it('prices per million tokens, input and output at their own rates', () => {
    // gpt-4o-mini: 0.15 in, 0.60 out per million.
    assert.equal(shipped.price('gpt-4o-mini', { input: 1_000_000 })?.cost, 0.15);
    assert.equal(shipped.price('gpt-4o-mini', { input: 1000, output: 200 })?.cost, 0.00027);
    // gpt-4o: 2.50 in, 10 out.
    assert.equal(shipped.price('gpt-4o', { input: 500, output: 100 })?.cost, 0.00225);
  });

  it('tries specific names before general ones', () => {
    assert.equal(shipped.price('gpt-4o-mini', { output: 1_000_000 })?.cost, 0.6);
    assert.equal(shipped.price('gpt-4o', { output: 1_000_000 })?.cost, 10);
    assert.equal(shipped.price('gpt-4.1-nano', { input: 1_000_000 })?.cost, 0.1);
    assert.equal(shipped.price('gpt-4.1', { input: 1_000_000 })?.cost, 2);
    assert.equal(shipped.price('gemini-2.5-flash-lite', { input: 1_000_000 })?.cost, 0.1);
    assert.equal(shipped.price('gemini-2.5-flash', { input: 1_000_000 })?.cost, 0.3);
  });

  it('accepts dated snapshots, provider prefixes and suffixes, in any case', () => {
    for (const name of ['gpt-4o-mini-2024-07-18', 'openai/gpt-4o-mini', 'GPT-4o-mini']) assert.equal(shipped.price(name, { input: 1_000_000 })?.cost, 0.15, name);
    for (const name of ['claude-sonnet-4-5-20250929', 'anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4-5@20250929', 'claude-3-7-sonnet-latest']) {
      assert.equal(shipped.price(name, { input: 1_000_000, output: 1_000_000 })?.cost, 18, name);
    }
    assert.equal(shipped.price('models/gemini-2.5-pro', { input: 1_000_000 })?.cost, 1.25);
  });

  it('prices cache reads at their rate, out of the input tokens that include them', () => {
    // claude-sonnet-4-5: input 3, cache read 0.30, cache write 3.75 per million: 0.3M plain × 3 + 0.6M × 0.30 + 0.1M × 3.75.
    assert.equal(shipped.price('claude-sonnet-4-5', { input: 1_000_000, cacheRead: 600_000, cacheWrite: 100_000 })?.cost, 1.455);
  });

  it('says nothing for a model it does not know, or for a call without tokens', () => {
    assert.equal(shipped.price('house-model-7b', { input: 1000 }), undefined);
    assert.equal(shipped.price('gpt-4o', {}), undefined);
  });

  it('names the row and the date of a quote', () => {
    const quote = shipped.price('gpt-4o-mini', { input: 1 });
    assert.match(quote?.rule ?? '', /gpt-4o-mini/);
    assert.equal(quote?.asOf, shipped.asOf);
  });
});

describe('PriceTable.parse', () => {
  it('refuses a bad table naming each field path', () => {
    assert.throws(
      () => PriceTable.parse({ as_of: '2026-01-01', currency: 'EUR', models: [{ match: '(', input: 1, output: 1 }, { match: 'x', input: -1, output: 1 }] }, 'pricing.file'),
      (error: unknown) =>
        error instanceof CollectorError && error.code === 'CFG_ERR_INVALID' && error.issues.length === 1 && error.issues[0]?.path === 'pricing.file.models[1].input',
    );
    assert.throws(
      () => PriceTable.parse({ as_of: '2026-01-01', currency: 'EUR', models: [{ match: '(', input: 1, output: 1 }] }, 'pricing.file'),
      (error: unknown) => error instanceof CollectorError && error.issues[0]?.path === 'pricing.file.models[0].match' && /not a valid regular expression/.test(error.issues[0].reason),
    );
  });
});

describe('PricingSource', () => {
  const directory = mkdtempSync(join(tmpdir(), 'pricing-'));
  after(() => rmSync(directory, { recursive: true, force: true }));
  const table = (rate: number): string => `as_of: "2026-12-01"\ncurrency: EUR\nmodels:\n  - match: "^house-model"\n    input: ${rate}\n    output: ${rate}\n`;

  async function until(probe: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('uses the shipped table without a file', () => {
    assert.equal(new PricingSource({ logger: silentLogger }).current().price('gpt-4o-mini', { input: 1_000_000 })?.cost, 0.15);
  });

  it('replaces the shipped table with the file, and reads it again when it changes', async () => {
    const file = join(directory, 'prices.yaml');
    writeFileSync(file, table(2));
    const source = new PricingSource({ file, logger: silentLogger, pollMillis: 20 });
    source.start();
    try {
      assert.equal(source.current().price('house-model-7b', { input: 1_000_000 })?.cost, 2);
      assert.equal(source.current().price('gpt-4o-mini', { input: 1_000_000 }), undefined);
      assert.equal(source.current().currency, 'EUR');
      writeFileSync(file, table(3) + '# changed\n');
      await until(() => source.current().price('house-model-7b', { input: 1_000_000 })?.cost === 3);
    } finally {
      source.close();
    }
  });

  it('keeps the last good table when the file turns invalid, and logs it', async () => {
    const file = join(directory, 'broken.yaml');
    writeFileSync(file, table(2));
    const logged: string[] = [];
    const logger: Logger = { log: (level, message) => logged.push(`${level} ${message}`) };
    const source = new PricingSource({ file, logger, pollMillis: 20 });
    source.start();
    try {
      writeFileSync(file, 'models: [{ match: "(" }]\n');
      await until(() => logged.length > 0);
      assert.deepEqual(logged, ['warn price table not valid; the last good one stays in force']);
      assert.equal(source.current().price('house-model-7b', { input: 1_000_000 })?.cost, 2);
    } finally {
      source.close();
    }
  });

  it('refuses an unreadable or invalid file at start', () => {
    assert.throws(() => new PricingSource({ file: join(directory, 'missing.yaml'), logger: silentLogger }), (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_FILE');
    const file = join(directory, 'invalid.yaml');
    writeFileSync(file, 'currency: EUR\n');
    assert.throws(() => new PricingSource({ file, logger: silentLogger }), (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_INVALID');
  });
});
