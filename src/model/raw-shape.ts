/**
 * @module Hand-written checks of the wire shapes of schema.ts, for the reader's happy path: each is
 * true exactly when the schema's `safeParse` succeeds, and allocates nothing. The zod schema stays
 * the one documented source of what is accepted, and the one that explains a refusal;
 * test/unit/read-fast-path.test.ts proves on a fuzzed corpus that these checks agree with it.
 */
import { isObject } from './json-value.js';
import { NUMERIC_STRING, type RawStep, type RawTrace } from './schema.js';

// Every field is `.nullish()` or `.optional()`, and zod reads each as `value[key]` whether the key is
// present or not, so an absent key, one holding undefined and one holding null all pass.

/** `stringLike` and `timeLike`: a string. */
function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** `idLike`, `call_type`, `step_type`: a string or a number, which `z.number()` wants finite. */
function isOptionalStringOrFiniteNumber(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** `numberLike`: any number (NaN and ±Infinity too, as its `typeof` check has it) or a numeric string. */
function isOptionalNumberLike(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'number' || (typeof value === 'string' && NUMERIC_STRING.test(value));
}

/** `objectLike`: what zod's object checks accept, arrays excepted. */
function isOptionalObject(value: unknown): boolean {
  return value === undefined || value === null || isObject(value);
}

/** `toolInvocation.nullish()`. */
function isOptionalToolInvocation(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return isObject(value) && isOptionalString(value['tool_name']) && isOptionalString(value['toolName']);
}

/** `agentInvocation.nullish()`; its `requests` and nested traces take any value. */
function isOptionalAgentInvocation(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return (
    isObject(value) &&
    isOptionalString(value['agent_url']) &&
    isOptionalString(value['agentUrl']) &&
    isOptionalString(value['agent_name']) &&
    isOptionalString(value['agentName'])
  );
}

/** `stepAction`. */
function isOptionalStepAction(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return (
    isObject(value) &&
    isOptionalToolInvocation(value['tool_invocation']) &&
    isOptionalToolInvocation(value['toolInvocation']) &&
    isOptionalAgentInvocation(value['agent_invocation']) &&
    isOptionalAgentInvocation(value['agentInvocation'])
  );
}

/**
 * True exactly when `RawStepSchema.safeParse(value)` succeeds. The value is then usable as it is:
 * zod's output would hold the same fields, less any own `__proto__` key of the objects it rebuilds
 * (which the reader never reads).
 */
export function isRawStep(value: unknown): value is RawStep {
  // `parameters`, `requests`, `error` and the nested traces take any value, so they are not read here.
  return (
    isObject(value) &&
    isOptionalStringOrFiniteNumber(value['step_id']) &&
    isOptionalStringOrFiniteNumber(value['stepId']) &&
    isOptionalStringOrFiniteNumber(value['trace_id']) &&
    isOptionalStringOrFiniteNumber(value['traceId']) &&
    isOptionalStringOrFiniteNumber(value['parent_step_id']) &&
    isOptionalStringOrFiniteNumber(value['parentStepId']) &&
    isOptionalStringOrFiniteNumber(value['call_type']) &&
    isOptionalStringOrFiniteNumber(value['callType']) &&
    isOptionalString(value['name']) &&
    isOptionalStringOrFiniteNumber(value['step_type']) &&
    isOptionalStringOrFiniteNumber(value['stepType']) &&
    isOptionalNumberLike(value['cost']) &&
    isOptionalNumberLike(value['total_tokens']) &&
    isOptionalNumberLike(value['totalTokens']) &&
    isOptionalObject(value['additional_attributes']) &&
    isOptionalObject(value['additionalAttributes']) &&
    isOptionalNumberLike(value['latency']) &&
    isOptionalString(value['start_time']) &&
    isOptionalString(value['startTime']) &&
    isOptionalString(value['end_time']) &&
    isOptionalString(value['endTime']) &&
    isOptionalString(value['agent_url']) &&
    isOptionalString(value['agentUrl']) &&
    isOptionalString(value['agent_name']) &&
    isOptionalString(value['agentName']) &&
    isOptionalStepAction(value['step_action']) &&
    isOptionalStepAction(value['stepAction'])
  );
}

/** True exactly when `RawTraceSchema.safeParse(value)` succeeds; its steps are not looked at. */
export function isRawTrace(value: unknown): value is RawTrace {
  return (
    isObject(value) &&
    isOptionalStringOrFiniteNumber(value['trace_id']) &&
    isOptionalStringOrFiniteNumber(value['traceId']) &&
    Array.isArray(value['steps'])
  );
}
