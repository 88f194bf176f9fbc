/**
 * @module The one schema of what a ResponseTrace may look like on the wire (DESIGN §2), in zod.
 * It says which JSON types each field may have; the reader (read-trace.ts) then does the tolerant
 * conversions. Both snake_case (Python) and camelCase (ProtoJSON) keys are listed. The reader runs
 * the hand-written mirror of these schemas in raw-shape.ts, and zod only to explain a refusal: a
 * change here is a change there too (test/unit/read-fast-path.test.ts fails until both agree).
 */
import { z } from 'zod';
import { isObject } from './json-value.js';

/** Integers and decimals, optionally signed, optionally with an exponent: ProtoJSON's int64 strings. */
export const NUMERIC_STRING = /^\s*-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

const NOT_A_NUMBER = 'expected a number or a numeric string';
// Any JSON number, ±Infinity included (JSON.parse reads `1e400` as Infinity): the reader refuses
// what is not finite with a reason that says so, which z.number() would not.
const anyNumber = z.custom<number>((value) => typeof value === 'number', { error: NOT_A_NUMBER });
const numberLike = z
  .union([anyNumber, z.string().regex(NUMERIC_STRING, { error: NOT_A_NUMBER })], { error: NOT_A_NUMBER })
  .nullish();
const idLike = z.union([z.string(), z.number()], { error: 'expected a string id' }).nullish();
const stringLike = z.string({ error: 'expected a string' }).nullish();
const timeLike = z.string({ error: 'expected an RFC 3339 timestamp string' }).nullish();
// Passed through as parsed, not rebuilt: a rebuilt record would lose an own `__proto__` key.
const objectLike = z.custom<Record<string, unknown>>(isObject, { error: 'expected an object' }).nullish();

const toolInvocation = z.looseObject({
  tool_name: stringLike,
  toolName: stringLike,
  parameters: z.unknown().optional(),
});

const agentInvocation = z.looseObject({
  agent_url: stringLike,
  agentUrl: stringLike,
  agent_name: stringLike,
  agentName: stringLike,
  requests: z.unknown().optional(),
  // Nested traces are read by the reader itself, level by level, so that depth is bounded there.
  response_trace: z.unknown().optional(),
  responseTrace: z.unknown().optional(),
});

const stepAction = z
  .looseObject({
    tool_invocation: toolInvocation.nullish(),
    toolInvocation: toolInvocation.nullish(),
    agent_invocation: agentInvocation.nullish(),
    agentInvocation: agentInvocation.nullish(),
  })
  .nullish();

/** Why a step that is not a JSON object is refused (the reader checks that much before zod, for speed). */
export const NOT_A_STEP_OBJECT = 'expected a step object';
/** Why a trace that is not a JSON object is refused (as {@link NOT_A_STEP_OBJECT}). */
export const NOT_A_TRACE_OBJECT = 'expected a ResponseTrace object';

/** One step as it may appear on the wire; `isRawStep` (raw-shape.ts) accepts exactly what it accepts. */
export const RawStepSchema = z.looseObject(
  {
    step_id: idLike,
    stepId: idLike,
    trace_id: idLike,
    traceId: idLike,
    parent_step_id: idLike,
    parentStepId: idLike,
    call_type: z.union([z.string(), z.number()], { error: 'expected a string or a number' }).nullish(),
    callType: z.union([z.string(), z.number()], { error: 'expected a string or a number' }).nullish(),
    name: stringLike,
    parameters: z.unknown().optional(),
    requests: z.unknown().optional(),
    step_type: z.union([z.string(), z.number()], { error: 'expected a string' }).nullish(),
    stepType: z.union([z.string(), z.number()], { error: 'expected a string' }).nullish(),
    cost: numberLike,
    total_tokens: numberLike,
    totalTokens: numberLike,
    additional_attributes: objectLike,
    additionalAttributes: objectLike,
    latency: numberLike,
    start_time: timeLike,
    startTime: timeLike,
    end_time: timeLike,
    endTime: timeLike,
    error: z.unknown().optional(),
    agent_url: stringLike,
    agentUrl: stringLike,
    agent_name: stringLike,
    agentName: stringLike,
    step_action: stepAction,
    stepAction: stepAction,
    response_trace: z.unknown().optional(),
    responseTrace: z.unknown().optional(),
  },
  { error: NOT_A_STEP_OBJECT },
);

/**
 * A ResponseTrace as it may appear on the wire. Its steps are each checked against
 * {@link RawStepSchema} by the reader, one at a time, so that it can stop listing their issues
 * past a bound and check the step limit before reading any. `isRawTrace` (raw-shape.ts) accepts
 * exactly what it accepts.
 */
export const RawTraceSchema = z.looseObject(
  {
    trace_id: idLike,
    traceId: idLike,
    steps: z.array(z.unknown(), { error: 'expected an array of steps' }),
  },
  { error: NOT_A_TRACE_OBJECT },
);

/** Wire shape of one step. */
export type RawStep = z.infer<typeof RawStepSchema>;

/** Wire shape of one ResponseTrace, its steps not yet read. */
export type RawTrace = z.infer<typeof RawTraceSchema>;
