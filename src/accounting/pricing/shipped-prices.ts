/**
 * @module The price table that ships with the collector: list prices per million tokens, standard
 * tier, as the vendors published them on `as_of`. A TypeScript module rather than a JSON file, so
 * that `tsc` compiles it into dist/ with the code and nothing has to be copied. Prices change: a user
 * file (`pricing.file`, the same shape in JSON or YAML) replaces this table, and every computed cost
 * names the row and date it came from (`a2a.cost.price_rule`, `a2a.cost.price_as_of`). Rows are
 * tried in order, so specific names come before general ones (`gpt-4o-mini` before `gpt-4o`). A
 * `match` is a regular expression tested against the model name lowercased; the patterns accept the
 * names providers route by (`openai/gpt-4o`, `models/gemini-2.5-flash`,
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0`, `claude-sonnet-4-5@20250929`,
 * `anthropic/claude-sonnet-4.5`).
 */

/** A provider prefix before the model name (`openai/`, `models/`, `anthropic.`, `us.anthropic.`). */
const PREFIX = '(?:^|[/.])';
/** OpenAI's dated snapshots (`-2024-07-18`). */
const OPENAI = '(?:-\\d{4}-\\d{2}-\\d{2})?$';
/** Anthropic's dated and `-latest` names, Vertex's `@date`, Bedrock's `-v1:0`. */
const ANTHROPIC = '(?:-\\d{8}|-latest)?(?:@\\d{8})?(?:-v\\d+(?::\\d+)?)?$';
/** Google's preview, experimental and numbered versions (`-preview-09-2025`, `-001`). */
const GOOGLE = '(?:-(?:preview|exp)[\\w.-]*|-\\d{3})?$';
/** The separator inside Anthropic's version numbers: `4-5` at Anthropic, `4.5` at routers such as OpenRouter. */
const DOT = '[-.]';

/** The shipped table, in the shape a `pricing.file` has. */
export const SHIPPED_PRICES = {
  as_of: '2025-12-01',
  currency: 'USD',
  unit: 'per 1M tokens',
  source:
    'public list prices of the vendors on as_of (standard tier; Anthropic cache_write is the 5-minute write; Google rates for prompts up to 200k tokens); override with pricing.file',
  models: [
    { match: `${PREFIX}gpt-5-nano${OPENAI}`, input: 0.05, output: 0.4, cache_read: 0.005 },
    { match: `${PREFIX}gpt-5-mini${OPENAI}`, input: 0.25, output: 2, cache_read: 0.025 },
    { match: `${PREFIX}gpt-5(?:\\.1)?(?:-codex|-chat-latest)?${OPENAI}`, input: 1.25, output: 10, cache_read: 0.125 },
    { match: `${PREFIX}gpt-4\\.1-nano${OPENAI}`, input: 0.1, output: 0.4, cache_read: 0.025 },
    { match: `${PREFIX}gpt-4\\.1-mini${OPENAI}`, input: 0.4, output: 1.6, cache_read: 0.1 },
    { match: `${PREFIX}gpt-4\\.1${OPENAI}`, input: 2, output: 8, cache_read: 0.5 },
    { match: `${PREFIX}gpt-4o-mini${OPENAI}`, input: 0.15, output: 0.6, cache_read: 0.075 },
    // The first gpt-4o snapshot kept its launch price.
    { match: `${PREFIX}gpt-4o-2024-05-13$`, input: 5, output: 15 },
    { match: `${PREFIX}gpt-4o${OPENAI}`, input: 2.5, output: 10, cache_read: 1.25 },
    { match: `${PREFIX}o4-mini${OPENAI}`, input: 1.1, output: 4.4, cache_read: 0.275 },
    { match: `${PREFIX}o3-mini${OPENAI}`, input: 1.1, output: 4.4, cache_read: 0.55 },
    { match: `${PREFIX}o3${OPENAI}`, input: 2, output: 8, cache_read: 0.5 },
    { match: `${PREFIX}o1${OPENAI}`, input: 15, output: 60, cache_read: 7.5 },
    { match: `${PREFIX}claude-opus-4${DOT}5${ANTHROPIC}`, input: 5, output: 25, cache_read: 0.5, cache_write: 6.25 },
    { match: `${PREFIX}claude-opus-4(?:${DOT}[01])?${ANTHROPIC}`, input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
    {
      match: `${PREFIX}claude-(?:sonnet-4(?:${DOT}[05])?|3${DOT}7-sonnet|3${DOT}5-sonnet)${ANTHROPIC}`,
      input: 3,
      output: 15,
      cache_read: 0.3,
      cache_write: 3.75,
    },
    { match: `${PREFIX}claude-haiku-4${DOT}5${ANTHROPIC}`, input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
    { match: `${PREFIX}claude-3${DOT}5-haiku${ANTHROPIC}`, input: 0.8, output: 4, cache_read: 0.08, cache_write: 1 },
    { match: `${PREFIX}claude-3-haiku${ANTHROPIC}`, input: 0.25, output: 1.25, cache_read: 0.03, cache_write: 0.3 },
    { match: `${PREFIX}gemini-3-pro${GOOGLE}`, input: 2, output: 12, cache_read: 0.2 },
    { match: `${PREFIX}gemini-2\\.5-pro${GOOGLE}`, input: 1.25, output: 10, cache_read: 0.125 },
    { match: `${PREFIX}gemini-2\\.5-flash-lite${GOOGLE}`, input: 0.1, output: 0.4, cache_read: 0.01 },
    { match: `${PREFIX}gemini-2\\.5-flash${GOOGLE}`, input: 0.3, output: 2.5, cache_read: 0.03 },
    { match: `${PREFIX}gemini-2\\.0-flash-lite${GOOGLE}`, input: 0.075, output: 0.3 },
    { match: `${PREFIX}gemini-2\\.0-flash${GOOGLE}`, input: 0.1, output: 0.4, cache_read: 0.025 },
  ],
} as const;
