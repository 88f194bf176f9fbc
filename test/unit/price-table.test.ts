import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PriceTable, type TokenUsage } from '../../src/accounting/pricing/price-table.js';
import { PricingSource } from '../../src/accounting/pricing/pricing-source.js';
import { CollectorError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/telemetry/logger.js';

const shipped = PriceTable.shipped();
const MILLION = 1_000_000;

/** Cost of `usage` on `model` in the shipped table. */
function cost(model: string, usage: TokenUsage): number | undefined {
  return shipped.price(model, usage)?.cost;
}

/** Whether `error` is a CollectorError with `code` whose issues are at exactly `paths`. */
function hasIssuesAt(error: unknown, code: string, paths: readonly string[]): boolean {
  assert.ok(error instanceof CollectorError);
  assert.equal(error.code, code);
  assert.deepEqual(
    error.issues.map((issue) => issue.path),
    paths,
  );
  return true;
}

describe('the shipped price table', () => {
  it('is dated and in USD', () => {
    assert.equal(shipped.asOf, '2025-12-01');
    assert.equal(shipped.currency, 'USD');
  });

  it('prices per million tokens, input and output at their own rates, without binary noise', () => {
    // gpt-4o-mini: 0.15 in, 0.60 out per million.
    assert.equal(cost('gpt-4o-mini', { input: MILLION }), 0.15);
    assert.equal(cost('gpt-4o-mini', { input: 1000 }), 0.00015);
    assert.equal(cost('gpt-4o-mini', { input: 1000, output: 200 }), 0.00027);
    // gpt-4o: 2.50 in, 10 out.
    assert.equal(cost('gpt-4o', { input: 500, output: 100 }), 0.00225);
    assert.equal(cost('gpt-4o', { output: 0 }), 0);
  });

  it('tries rows in order: specific names before general ones', () => {
    const cases: Array<[string, TokenUsage, number]> = [
      ['gpt-4o-mini', { output: MILLION }, 0.6],
      ['gpt-4o', { output: MILLION }, 10],
      ['gpt-4o-2024-05-13', { input: MILLION }, 5],
      ['gpt-4o-2024-08-06', { input: MILLION }, 2.5],
      ['gpt-5-nano', { input: MILLION }, 0.05],
      ['gpt-5-mini', { input: MILLION }, 0.25],
      ['gpt-5', { input: MILLION }, 1.25],
      ['gpt-4.1-nano', { input: MILLION }, 0.1],
      ['gpt-4.1-mini', { input: MILLION }, 0.4],
      ['gpt-4.1', { input: MILLION }, 2],
      ['o3-mini', { input: MILLION }, 1.1],
      ['o3', { input: MILLION }, 2],
      ['o4-mini', { output: MILLION }, 4.4],
      ['claude-opus-4-5', { input: MILLION }, 5],
      ['claude-opus-4-1', { input: MILLION }, 15],
      ['claude-haiku-4-5', { output: MILLION }, 5],
      ['claude-3-5-haiku-latest', { output: MILLION }, 4],
      ['gemini-2.5-flash-lite', { input: MILLION }, 0.1],
      ['gemini-2.5-flash', { input: MILLION }, 0.3],
      ['gemini-2.5-pro', { output: MILLION }, 10],
      ['gemini-2.0-flash-lite', { input: MILLION }, 0.075],
      ['gemini-2.0-flash', { input: MILLION }, 0.1],
    ];
    for (const [model, usage, expected] of cases) assert.equal(cost(model, usage), expected, model);
  });

  it('accepts dated snapshots, provider prefixes and suffixes, in any case', () => {
    for (const name of ['gpt-4o-mini-2024-07-18', 'openai/gpt-4o-mini', 'GPT-4o-mini']) assert.equal(cost(name, { input: MILLION }), 0.15, name);
    // claude sonnet 4, 4.5 and 3.7: 3 in, 15 out.
    for (const name of [
      'claude-sonnet-4-5-20250929',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'claude-sonnet-4-5@20250929',
      'anthropic/claude-sonnet-4.5',
      'claude-3-7-sonnet-latest',
      'claude-3-7-sonnet-20250219',
    ]) {
      assert.equal(cost(name, { input: MILLION, output: MILLION }), 18, name);
    }
    assert.equal(cost('us.anthropic.claude-haiku-4-5-20251001-v1:0', { input: MILLION }), 1);
    assert.equal(cost('claude-opus-4-5@20251101', { output: MILLION }), 25);
    assert.equal(cost('models/gemini-2.5-pro', { input: MILLION }), 1.25);
    assert.equal(cost('gemini-2.5-flash-preview-09-2025', { output: MILLION }), 2.5);
    assert.equal(cost('gemini-2.0-flash-001', { input: MILLION }), 0.1);
  });

  it('prices cache reads and writes at their rates, out of the input tokens that include them', () => {
    // claude-sonnet-4-5: 0.3M plain × 3 + 0.6M read × 0.30 + 0.1M written × 3.75 per million.
    assert.equal(cost('claude-sonnet-4-5', { input: MILLION, cacheRead: 600_000, cacheWrite: 100_000 }), 1.455);
    // gpt-4o-mini: cache reads at 0.075.
    assert.equal(cost('gpt-4o-mini', { input: 1000, cacheRead: 1000 }), 0.000075);
    // More cache reads than input tokens: the plain input is 0, not negative.
    assert.equal(cost('gpt-4o-mini', { input: 100, cacheRead: 500 }), 0.0000375);
    // gemini-2.0-flash-lite has no cache-read rate: reads at the input rate, 0.075.
    assert.equal(cost('gemini-2.0-flash-lite', { input: MILLION, cacheRead: 400_000 }), 0.075);
  });

  it('says nothing for a model it does not know, or for a call without tokens', () => {
    assert.equal(shipped.price('house-model-7b', { input: 1000 }), undefined);
    assert.equal(shipped.price('chatgpt-4o-latest', { input: 1000 }), undefined);
    assert.equal(shipped.price('o3-pro', { input: 1000 }), undefined);
    assert.equal(shipped.price('gpt-4o', {}), undefined);
    assert.equal(shipped.price('gpt-4o', { cacheRead: 1000 }), undefined);
  });

  it('names the row, the currency and the date of a quote', () => {
    assert.deepEqual(shipped.price('gpt-4o-mini', { input: MILLION }), {
      cost: 0.15,
      currency: 'USD',
      rule: '(?:^|[/.])gpt-4o-mini(?:-\\d{4}-\\d{2}-\\d{2})?$',
      asOf: '2025-12-01',
    });
  });
});

describe('PriceTable.parse', () => {
  it('reads a table of its own: first match wins, rules as written', () => {
    const table = PriceTable.parse(
      {
        as_of: '2026-01-01',
        currency: 'EUR',
        models: [
          { match: '^acme/fast$', input: 1, output: 2 },
          { match: '^acme/', input: 10, output: 20, cache_read: 5 },
        ],
      },
      '',
    );
    assert.deepEqual(table.price('ACME/fast', { input: MILLION }), { cost: 1, currency: 'EUR', rule: '^acme/fast$', asOf: '2026-01-01' });
    assert.equal(table.price('acme/slow', { input: MILLION, cacheRead: MILLION })?.cost, 5);
  });

  it('refuses a bad table naming every field path at once', () => {
    const value = {
      as_of: 'yesterday',
      currency: 'EUR',
      models: [
        { match: '(', input: 1, output: 1 },
        { match: 'x', input: -1, output: 1 },
        { match: 'y', input: 1, output: 1, price: 3 },
      ],
    };
    assert.throws(
      () => PriceTable.parse(value, ''),
      (error: unknown) => hasIssuesAt(error, 'CFG_ERR_INVALID', ['as_of', 'models[0].match', 'models[1].input', 'models[2]']),
    );
    assert.throws(
      () => PriceTable.parse(value, 'pricing.file'),
      (error: unknown) => hasIssuesAt(error, 'CFG_ERR_INVALID', ['pricing.file.as_of', 'pricing.file.models[0].match', 'pricing.file.models[1].input', 'pricing.file.models[2]']),
    );
    assert.throws(
      () => PriceTable.parse(value, ''),
      (error: unknown) =>
        error instanceof CollectorError &&
        error.issues[1]?.reason.startsWith('not a valid regular expression: ') === true &&
        error.issues[3]?.reason === 'unknown key(s): price',
    );
  });
});

describe('PricingSource', () => {
  const directory = mkdtempSync(join(tmpdir(), 'pricing-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  /** A one-row YAML table pricing `house-model…` at `rate` per million, in and out. */
  const table = (rate: number, asOf = '2026-12-01'): string =>
    `as_of: "${asOf}"\ncurrency: EUR\nmodels:\n  - match: "^house-model"\n    input: ${rate}\n    output: ${rate}\n`;

  /** Writes `text` the way editors save: a new file renamed over the old one. */
  function save(file: string, text: string): void {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }

  async function until(probe: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error('condition not reached within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const houseCost = (source: PricingSource): number | undefined => source.current().price('house-model-7b', { input: MILLION })?.cost;

  it('uses the shipped table without a file', () => {
    const source = new PricingSource({ logger: silentLogger });
    source.start();
    source.close();
    assert.equal(source.current().price('gpt-4o-mini', { input: MILLION })?.cost, 0.15);
  });

  it('replaces the shipped table with the file, JSON or YAML', () => {
    const file = join(directory, 'prices.json');
    writeFileSync(file, JSON.stringify({ as_of: '2026-11-01', currency: 'EUR', models: [{ match: '^house-model', input: 7, output: 7 }] }));
    const source = new PricingSource({ file, logger: silentLogger });
    assert.equal(houseCost(source), 7);
    assert.equal(source.current().price('gpt-4o-mini', { input: MILLION }), undefined);
    assert.equal(source.current().currency, 'EUR');
    assert.equal(source.current().asOf, '2026-11-01');
  });

  it('reads the file again when it changes', async () => {
    const file = join(directory, 'prices.yaml');
    save(file, table(2));
    const reloaded: string[] = [];
    const source = new PricingSource({ file, logger: silentLogger, pollMillis: 10, onReload: (next) => reloaded.push(next.asOf) });
    source.start();
    try {
      assert.equal(houseCost(source), 2);
      save(file, table(3, '2026-12-02'));
      await until(() => houseCost(source) === 3);
      assert.equal(source.current().asOf, '2026-12-02');
      assert.deepEqual(reloaded, ['2026-12-02']);
    } finally {
      source.close();
    }
  });

  it('keeps the last good table when the file turns invalid or goes away, and logs each problem once', async () => {
    const file = join(directory, 'broken.yaml');
    save(file, table(2));
    const logged: Array<[string, string, unknown]> = [];
    const logger: Logger = { log: (level, message, fields) => logged.push([level, message, fields?.issues ?? fields?.code]) };
    const source = new PricingSource({ file, logger, pollMillis: 10 });
    source.start();
    try {
      save(file, 'as_of: "2026-12-03"\ncurrency: EUR\nmodels: [{ match: "(", input: 1, output: 1 }]\n');
      await until(() => logged.length === 1);
      assert.equal(houseCost(source), 2);
      // The same problem saved again is not logged again (whether or not a poll sees this copy).
      save(file, 'as_of: "2026-12-03"\ncurrency: EUR\nmodels: [{ match: "(", input: 1, output: 1 }]\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      rmSync(file);
      await until(() => logged.length === 2);
      assert.equal(houseCost(source), 2);
      save(file, table(4));
      await until(() => houseCost(source) === 4);
      assert.deepEqual(
        logged.map(([level, message, detail]) => [level, message, Array.isArray(detail) ? detail.map((issue: { path: string }) => issue.path) : detail]),
        [
          ['warn', 'price table not valid; the last good one stays in force', ['pricing.file.models[0].match']],
          ['warn', 'price table not valid; the last good one stays in force', ['']],
          ['info', 'price table read again', undefined],
        ],
      );
    } finally {
      source.close();
    }
  });

  it('refuses an unreadable or invalid file at start', () => {
    assert.throws(
      () => new PricingSource({ file: join(directory, 'missing.yaml'), logger: silentLogger }),
      (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_FILE',
    );
    const notYaml = join(directory, 'not-yaml.yaml');
    writeFileSync(notYaml, 'models: [\n');
    assert.throws(
      () => new PricingSource({ file: notYaml, logger: silentLogger }),
      (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_FILE',
    );
    const invalid = join(directory, 'invalid.yaml');
    writeFileSync(invalid, 'currency: EUR\n');
    assert.throws(
      () => new PricingSource({ file: invalid, logger: silentLogger }),
      (error: unknown) => hasIssuesAt(error, 'CFG_ERR_INVALID', ['pricing.file.as_of', 'pricing.file.models']),
    );
  });
});
