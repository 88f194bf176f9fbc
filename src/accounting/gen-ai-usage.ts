/**
 * @module What a GenAI span says it used: cost, tokens and model, read from the OpenTelemetry GenAI
 * semantic conventions (`gen_ai.usage.*`, `gen_ai.response.model`) and the older names that
 * instrumentations still write (`gen_ai.usage.prompt_tokens`, OpenLLMetry's `llm.usage.total_tokens`,
 * OpenInference's `llm.token_count.*`, `llm.cost.total` and `llm.model_name`). The first name present
 * wins, in the order listed.
 */
import type { Attributes } from '@opentelemetry/api';

/** Names read for each figure, the current convention first. */
export const USAGE_ATTRIBUTES = {
  cost: ['gen_ai.usage.cost', 'llm.cost.total'],
  input: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt'],
  output: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion'],
  total: ['gen_ai.usage.total_tokens', 'llm.usage.total_tokens', 'llm.token_count.total'],
  cacheRead: ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens', 'llm.token_count.prompt_details.cache_read'],
  cacheWrite: ['gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens', 'llm.token_count.prompt_details.cache_write'],
  model: ['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'model'],
} as const;

/** GenAI operation names (`gen_ai.operation.name`) by the step kind they map to. */
const KIND_OF_OPERATION: Readonly<Record<string, string>> = {
  invoke_agent: 'agent',
  create_agent: 'agent',
  execute_tool: 'tool',
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'llm',
};

/** What one span reports. Token counts follow the GenAI conventions: input includes cached input, output includes reasoning (so reasoning tokens need no reading of their own). */
export interface GenAiUsage {
  readonly cost: number | undefined;
  readonly input: number | undefined;
  readonly output: number | undefined;
  /** `total` as reported, else input + output when either is. */
  readonly total: number | undefined;
  readonly cacheRead: number | undefined;
  readonly cacheWrite: number | undefined;
  readonly model: string | undefined;
  /** `agent`, `tool`, `llm` or `other` for a GenAI operation; undefined for a span that is not one. */
  readonly kind: string | undefined;
}

function firstNumber(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

function firstString(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Reads the usage a span's attributes report. */
export function readGenAiUsage(attributes: Attributes): GenAiUsage {
  const input = firstNumber(attributes, USAGE_ATTRIBUTES.input);
  const output = firstNumber(attributes, USAGE_ATTRIBUTES.output);
  const reportedTotal = firstNumber(attributes, USAGE_ATTRIBUTES.total);
  const operation = attributes['gen_ai.operation.name'];
  const cost = firstNumber(attributes, USAGE_ATTRIBUTES.cost);
  const total = reportedTotal ?? (input === undefined && output === undefined ? undefined : (input ?? 0) + (output ?? 0));
  let kind: string | undefined;
  if (typeof operation === 'string') kind = KIND_OF_OPERATION[operation] ?? 'other';
  else if (cost !== undefined || total !== undefined) kind = 'llm';
  return {
    cost,
    input,
    output,
    total,
    cacheRead: firstNumber(attributes, USAGE_ATTRIBUTES.cacheRead),
    cacheWrite: firstNumber(attributes, USAGE_ATTRIBUTES.cacheWrite),
    model: firstString(attributes, USAGE_ATTRIBUTES.model),
    kind,
  };
}
