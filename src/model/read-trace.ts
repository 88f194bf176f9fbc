/**
 * @module The tolerant reader: turns any wire shape of a ResponseTrace (DESIGN §2) into the
 * normalized model, collecting every refused field with its path, and every tolerated oddity as a
 * warning. It never throws anything but a {@link CollectorError}.
 */
import type { z } from 'zod';
import { IssueList } from '../errors.js';
import { fieldPath, indexPath, propertyPath } from './field-path.js';
import { isObject } from './json-value.js';
import { isRawStep, isRawTrace } from './raw-shape.js';
import { readError } from './read-error.js';
import { NOT_A_STEP_OBJECT, NOT_A_TRACE_OBJECT, RawStepSchema, RawTraceSchema, type RawStep, type RawTrace } from './schema.js';
import { parseTimestamp } from './timestamp.js';
import type { A2AStep, A2ATrace, CallKind, ReadWarning, TraceTimestamp } from './types.js';
import * as errors from '../error-catalog.js';

/** Limits applied while reading. */
export interface ReadLimits {
  /** How many levels of nested `response_trace` are read before the input is refused. */
  readonly maxNestingDepth: number;
  /** How many steps (all levels together) one trace may hold. */
  readonly maxSteps: number;
  /** How many warnings are reported per trace; the rest are counted in one last warning. Default 50. */
  readonly maxWarnings?: number;
  /**
   * The span attribute the mapping writes an additional attribute as (the mapping's
   * `passThroughAttributeName`); a key it renames is warned about. Default: none is renamed.
   */
  readonly passThroughAttributeName?: (key: string) => string;
}

/** What reading one trace produced. */
export interface ReadResult {
  readonly trace: A2ATrace;
  readonly warnings: readonly ReadWarning[];
}

const MAX_LATENCY_MILLIS = 100 * 365.25 * 24 * 3600 * 1000;
const PROTO_CALL_TYPES: ReadonlyMap<number, CallKind> = new Map([
  [1, 'agent'],
  [2, 'tool'],
  [3, 'host'],
]);

/** The quantities whose sum over one trace (nested traces included) must stay a finite double. */
type SummedQuantity = 'cost' | 'total_tokens' | 'input_tokens' | 'output_tokens';

/**
 * The keys from a step down to one of its fields. A field's path is only joined (`fieldPath`) when
 * an issue or a warning names it, which most steps never do.
 */
type FieldKeys = readonly string[];

const STEP_ID: FieldKeys = ['step_id'];
const CALL_TYPE: FieldKeys = ['call_type'];
const COST: FieldKeys = ['cost'];
const TOTAL_TOKENS: FieldKeys = ['total_tokens'];
const LATENCY: FieldKeys = ['latency'];
const START_TIME: FieldKeys = ['start_time'];
const END_TIME: FieldKeys = ['end_time'];
const ADDITIONAL_ATTRIBUTES = 'additional_attributes';

/** A key producers write a token count under in `additional_attributes`, with the keys down to it. */
interface TokenKey {
  readonly key: string;
  readonly keys: FieldKeys;
}

function tokenKeys(...keys: string[]): readonly TokenKey[] {
  return keys.map((key) => ({ key, keys: [ADDITIONAL_ATTRIBUTES, key] }));
}

/** The keys producers write token counts under in `additional_attributes`, by convention; the first that holds a count wins. */
const INPUT_TOKEN_KEYS = tokenKeys('input_tokens', 'prompt_tokens', 'inputTokens', 'promptTokens', 'gen_ai.usage.input_tokens');
const OUTPUT_TOKEN_KEYS = tokenKeys('output_tokens', 'completion_tokens', 'outputTokens', 'completionTokens', 'gen_ai.usage.output_tokens');
const TOKEN_COUNT_TEXT = /^\s*\d+\s*$/;
const INTEGER_TEXT = /^\s*-?\d+\s*$/;
const CALL_TYPE_PREFIX = 'CALL_TYPE_';

type RawStepAction = NonNullable<RawStep['step_action']>;

/** What a step invokes, read from its `step_action` or from the flat fields some producers write instead. */
interface StepInvocation {
  readonly tool: NonNullable<RawStepAction['tool_invocation']> | undefined;
  readonly agent: NonNullable<RawStepAction['agent_invocation']> | undefined;
  readonly toolName: string | undefined;
  readonly agentName: string | undefined;
  readonly agentUrl: string | undefined;
}

function addZodIssues(issues: IssueList, error: z.ZodError, base: string): void {
  for (const issue of error.issues) issues.add({ path: fieldPath(base, issue.path), reason: issue.message });
}

function readInvocation(raw: RawStep): StepInvocation {
  const action = raw.step_action ?? raw.stepAction ?? undefined;
  const tool = action?.tool_invocation ?? action?.toolInvocation ?? undefined;
  const agent = action?.agent_invocation ?? action?.agentInvocation ?? undefined;
  return {
    tool,
    agent,
    toolName: tool?.tool_name ?? tool?.toolName ?? undefined,
    agentName: agent?.agent_name ?? agent?.agentName ?? raw.agent_name ?? raw.agentName ?? undefined,
    agentUrl: agent?.agent_url ?? agent?.agentUrl ?? raw.agent_url ?? raw.agentUrl ?? undefined,
  };
}

/** The step's own name, else the tool or agent name, else its call type, else `step`. */
function stepName(raw: RawStep, invocation: StepInvocation, callType: string | number | undefined): string {
  return (
    (raw.name ?? '').trim() ||
    invocation.toolName ||
    invocation.agentName ||
    (callType === undefined ? '' : String(callType).toLowerCase()) ||
    'step'
  );
}

function readStepType(raw: RawStep): string | undefined {
  if (raw.step_type === undefined || raw.step_type === null) return (raw.stepType ?? undefined)?.toString();
  return String(raw.step_type);
}

/** Path of the nested trace {@link TraceReader.readNested} reads: the first of its places that is present. */
function nestedTracePath(raw: RawStep, agent: StepInvocation['agent'], path: string): string {
  if (agent?.response_trace !== undefined) return fieldPath(path, ['step_action', 'agent_invocation', 'response_trace']);
  if (agent?.responseTrace !== undefined) return fieldPath(path, ['stepAction', 'agentInvocation', 'responseTrace']);
  return propertyPath(path, raw.response_trace !== undefined ? 'response_trace' : 'responseTrace');
}

/**
 * The first of `candidates` that `attributes` hold a token count under (a number, or digits in a
 * string) as an own enumerable key, the only keys a copy of them would hold.
 */
function tokenKeyOf(attributes: Record<string, unknown>, candidates: readonly TokenKey[]): TokenKey | undefined {
  for (const candidate of candidates) {
    const value = attributes[candidate.key];
    const isCount = typeof value === 'number' || (typeof value === 'string' && TOKEN_COUNT_TEXT.test(value));
    if (isCount && Object.prototype.propertyIsEnumerable.call(attributes, candidate.key)) return candidate;
  }
  return undefined;
}

function isBefore(time: TraceTimestamp, other: TraceTimestamp): boolean {
  return time.epochSeconds < other.epochSeconds || (time.epochSeconds === other.epochSeconds && time.nanos < other.nanos);
}

class TraceReader {
  readonly warnings: ReadWarning[] = [];
  private warningsLeftOut = 0;
  private stepCount = 0;
  /** Sums of absolute values, so that every partial sum or difference of them is finite too. */
  private readonly magnitudes: Record<SummedQuantity, number> = { cost: 0, total_tokens: 0, input_tokens: 0, output_tokens: 0 };
  private readonly maxNestingDepth: number;
  private readonly maxSteps: number;
  private readonly maxWarnings: number;
  private readonly passThroughAttributeName: ((key: string) => string) | undefined;

  constructor(
    limits: ReadLimits,
    readonly issues: IssueList,
  ) {
    this.maxNestingDepth = limits.maxNestingDepth;
    this.maxSteps = limits.maxSteps;
    this.maxWarnings = limits.maxWarnings ?? 50;
    this.passThroughAttributeName = limits.passThroughAttributeName;
  }

  warn(path: string, code: string, message: string): void {
    if (this.warnings.length < this.maxWarnings) this.warnings.push({ path, code, message });
    else this.warningsLeftOut++;
  }

  finishWarnings(): void {
    if (this.warningsLeftOut > 0) {
      this.warnings.push({
        path: '',
        code: 'warnings_truncated',
        message: `${this.warningsLeftOut} more warnings were not listed`,
      });
    }
  }

  readTrace(value: unknown, path: string, depth: number, inheritedTraceId: string | undefined): A2ATrace | undefined {
    this.checkNestingDepth(depth, path);
    const raw = this.parseTrace(value, path);
    if (raw === undefined) return undefined;
    const stepsPath = propertyPath(path, 'steps');
    // Checked before any step is read, so that reading stays bounded by the limit.
    this.stepCount += raw.steps.length;
    if (this.stepCount > this.maxSteps) {
      this.issues.add({ path: stepsPath, reason: `more than ${this.maxSteps} steps in one trace` });
      return undefined;
    }
    // Indexed, not mapped: a hole in a sparse array is read as the undefined it holds, as zod reads it.
    const rawSteps: Array<RawStep | undefined> = [];
    for (let index = 0; index < raw.steps.length; index++) rawSteps.push(this.parseStep(raw.steps[index], stepsPath, index));
    const traceId = this.readTraceId(raw, rawSteps, path, inheritedTraceId);
    if (traceId === undefined) return undefined;
    if (raw.steps.length === 0) this.warn(stepsPath, 'no_steps', 'the trace has no steps');
    return { traceId, steps: this.readSteps(rawSteps, stepsPath, traceId, depth) };
  }

  /** @throws CollectorError `A2A_ERR_NESTING_TOO_DEEP` past the limit. */
  private checkNestingDepth(depth: number, path: string): void {
    if (depth <= this.maxNestingDepth) return;
    throw errors.nestingTooDeep(this.maxNestingDepth, path);
  }

  /** The trace as sent when the schema accepts it; else undefined, the schema's reasons added as issues. */
  private parseTrace(value: unknown, path: string): RawTrace | undefined {
    if (isRawTrace(value)) return value;
    // Checked before zod, as a body may hold a million numbers where objects belong.
    if (!isObject(value)) {
      this.issues.add({ path, reason: NOT_A_TRACE_OBJECT });
      return undefined;
    }
    const parsed = RawTraceSchema.safeParse(value);
    // The schema decides, should it ever disagree with its mirror.
    if (parsed.success) return parsed.data;
    addZodIssues(this.issues, parsed.error, path);
    return undefined;
  }

  /** Step `index` as sent when the schema accepts it; else undefined, the schema's reasons added as issues. */
  private parseStep(value: unknown, stepsPath: string, index: number): RawStep | undefined {
    if (isRawStep(value)) return value;
    const path = indexPath(stepsPath, index);
    if (!isObject(value)) {
      this.issues.add({ path, reason: NOT_A_STEP_OBJECT });
      return undefined;
    }
    const parsed = RawStepSchema.safeParse(value);
    // As for a trace, the schema decides.
    if (parsed.success) return parsed.data;
    addZodIssues(this.issues, parsed.error, path);
    return undefined;
  }

  /** The trace's own id, else the first one its steps carry, else one derived from the calling step's. */
  private readTraceId(
    raw: RawTrace,
    rawSteps: ReadonlyArray<RawStep | undefined>,
    path: string,
    inheritedTraceId: string | undefined,
  ): string | undefined {
    const traceId = this.readId(raw.trace_id ?? raw.traceId);
    if (traceId !== undefined) return traceId;
    const idPath = propertyPath(path, 'trace_id');
    const stepWithTraceId = rawSteps.find((step) => step !== undefined && (step.trace_id ?? step.traceId ?? '') !== '');
    const fromStep = this.readId(stepWithTraceId?.trace_id ?? stepWithTraceId?.traceId);
    if (fromStep !== undefined) {
      this.warn(idPath, 'trace_id_from_steps', 'no trace_id; taken from the steps');
      return fromStep;
    }
    if (inheritedTraceId !== undefined) {
      this.warn(idPath, 'trace_id_derived', `no trace_id; named ${inheritedTraceId}`);
      return inheritedTraceId;
    }
    this.issues.add({ path: idPath, reason: 'required (on the trace or on its steps)' });
    return undefined;
  }

  private readSteps(rawSteps: ReadonlyArray<RawStep | undefined>, stepsPath: string, traceId: string, depth: number): A2AStep[] {
    const seen = new Map<string, number>();
    const steps: A2AStep[] = [];
    for (let index = 0; index < rawSteps.length; index++) {
      const rawStep = rawSteps[index];
      if (rawStep === undefined) continue;
      const step = this.readStep(rawStep, indexPath(stepsPath, index), traceId, index, seen, depth);
      if (step !== undefined) steps.push(step);
    }
    return steps;
  }

  private readId(value: string | number | null | undefined): string | undefined {
    if (value === null || value === undefined) return undefined;
    const id = String(value).trim();
    return id === '' ? undefined : id;
  }

  /** `value` as a number; `keys` lead from the step at `stepPath` to the field, for its issues and warnings. */
  private readNumber(value: string | number | null | undefined, stepPath: string, keys: FieldKeys): number | undefined {
    if (value === null || value === undefined) return undefined;
    const number = typeof value === 'number' ? value : Number(value.trim());
    if (!Number.isFinite(number)) {
      this.issues.add({ path: fieldPath(stepPath, keys), reason: 'expected a finite number (a double holds at most about 1.8e308)' });
      return undefined;
    }
    if (!Number.isSafeInteger(number) && (Number.isInteger(number) || (typeof value === 'string' && INTEGER_TEXT.test(value)))) {
      this.warn(fieldPath(stepPath, keys), 'precision_lost', 'integer beyond 2^53; kept as the nearest double');
    }
    if (number < 0) this.warn(fieldPath(stepPath, keys), 'negative_value', 'negative value kept as sent');
    return number;
  }

  /** Latency in milliseconds; refused past 100 years, which no step lasts and no date can hold. */
  private readLatency(value: string | number | null | undefined, stepPath: string): number | undefined {
    const latency = this.readNumber(value, stepPath, LATENCY);
    if (latency !== undefined && Math.abs(latency) > MAX_LATENCY_MILLIS) {
      this.issues.add({ path: fieldPath(stepPath, LATENCY), reason: `latency of ${latency} ms is out of range (at most 100 years)` });
      return undefined;
    }
    return latency;
  }

  private readTime(value: string | null | undefined, stepPath: string, keys: FieldKeys): TraceTimestamp | undefined {
    if (value === null || value === undefined || value.trim() === '') return undefined;
    const time = parseTimestamp(value);
    if (time === undefined) {
      this.issues.add({ path: fieldPath(stepPath, keys), reason: `not an RFC 3339 timestamp: ${JSON.stringify(value.slice(0, 64))}` });
      return undefined;
    }
    if (time.zoneAssumed) this.warn(fieldPath(stepPath, keys), 'zone_assumed', 'timestamp has no zone; read as UTC');
    return time;
  }

  /** One step, or undefined when any of its fields (its nested trace included) added an issue. */
  private readStep(
    raw: RawStep,
    path: string,
    traceId: string,
    index: number,
    seen: Map<string, number>,
    depth: number,
  ): A2AStep | undefined {
    const issuesBefore = this.issues.count;
    const stepId = this.readStepId(raw, path, index, seen);
    const invocation = readInvocation(raw);
    const callType = raw.call_type ?? raw.callType ?? undefined;
    const kind = this.readKind(callType, invocation.agent !== undefined, invocation.tool !== undefined, path);
    const { inputTokens, outputTokens, additionalAttributes } = this.readAdditionalAttributes(raw, path);
    const cost = this.readSummed('cost', raw.cost, path, COST);
    const totalTokens = this.readSummed('total_tokens', raw.total_tokens ?? raw.totalTokens, path, TOTAL_TOKENS);
    const latencyMs = this.readLatency(raw.latency, path);
    const { start, end } = this.readTimes(raw, path);
    const nested = this.readNested(raw, invocation.agent, path, depth, traceId, stepId);
    if (this.issues.count > issuesBefore) return undefined;
    return {
      path,
      stepId,
      a2aTraceId: traceId,
      parentStepId: this.readId(raw.parent_step_id ?? raw.parentStepId),
      callType,
      kind,
      name: stepName(raw, invocation, callType),
      stepType: readStepType(raw),
      parameters: raw.parameters ?? invocation.tool?.parameters ?? undefined,
      requests: raw.requests ?? invocation.agent?.requests ?? undefined,
      cost,
      totalTokens,
      inputTokens,
      outputTokens,
      additionalAttributes,
      latencyMs,
      start,
      end,
      error: readError(raw.error),
      agentUrl: invocation.agentUrl,
      agentName: invocation.agentName,
      toolName: invocation.toolName,
      nested,
    };
  }

  /** The step's id, unique within its trace: `#index` when it has none, `id#2`, `id#3`, ... when repeated. */
  private readStepId(raw: RawStep, path: string, index: number, seen: Map<string, number>): string {
    let stepId = this.readId(raw.step_id ?? raw.stepId);
    if (stepId === undefined) {
      stepId = `#${index}`;
      this.warn(fieldPath(path, STEP_ID), 'step_id_missing', `no step_id; named ${stepId}`);
    }
    const timesSeen = seen.get(stepId) ?? 0;
    seen.set(stepId, timesSeen + 1);
    if (timesSeen === 0) return stepId;
    const renamed = `${stepId}#${timesSeen + 1}`;
    this.warn(fieldPath(path, STEP_ID), 'duplicate_step_id', `step_id ${stepId} repeated; this one named ${renamed}`);
    return renamed;
  }

  /** Start and end; an end before the start is moved to the start (a zero-length span), with a warning. */
  private readTimes(raw: RawStep, path: string): Pick<A2AStep, 'start' | 'end'> {
    const start = this.readTime(raw.start_time ?? raw.startTime, path, START_TIME);
    const end = this.readTime(raw.end_time ?? raw.endTime, path, END_TIME);
    if (start === undefined || end === undefined || !isBefore(end, start)) return { start, end };
    this.warn(fieldPath(path, END_TIME), 'end_before_start', 'end_time before start_time; span made zero-length');
    return { start, end: { ...start, raw: end.raw } };
  }

  /**
   * The callee's own trace, from the agent invocation or the step itself, read one level deeper;
   * its trace id, when it has none, is derived from the calling step's (`traceId/stepId`).
   */
  private readNested(
    raw: RawStep,
    agent: StepInvocation['agent'],
    path: string,
    depth: number,
    traceId: string,
    stepId: string,
  ): A2ATrace | undefined {
    const value = agent?.response_trace ?? agent?.responseTrace ?? raw.response_trace ?? raw.responseTrace ?? undefined;
    if (value === undefined || value === null) return undefined;
    return this.readTrace(value, nestedTracePath(raw, agent, path), depth + 1, `${traceId}/${stepId}`);
  }

  /** The normalized call type; `path` is the step's. */
  private readKind(callType: string | number | undefined, isAgentCall: boolean, isToolCall: boolean, path: string): CallKind {
    if (callType === undefined) {
      if (isAgentCall) return 'agent';
      if (isToolCall) return 'tool';
      this.warn(fieldPath(path, CALL_TYPE), 'call_type_missing', 'no call_type; mapped to "other"');
      return 'other';
    }
    if (typeof callType === 'number') {
      const kind = PROTO_CALL_TYPES.get(callType);
      if (kind !== undefined) return kind;
    } else {
      const upper = callType.trim().toUpperCase();
      const normalized = upper.startsWith(CALL_TYPE_PREFIX) ? upper.slice(CALL_TYPE_PREFIX.length) : upper;
      if (normalized === 'AGENT') return 'agent';
      if (normalized === 'TOOL') return 'tool';
      if (normalized === 'HOST') return 'host';
      if (/^\d+$/.test(normalized)) {
        const kind = PROTO_CALL_TYPES.get(Number(normalized));
        if (kind !== undefined) return kind;
      }
    }
    this.warn(fieldPath(path, CALL_TYPE), 'call_type_unknown', `call_type ${JSON.stringify(callType)} mapped to "other"`);
    return 'other';
  }

  /** `additional_attributes`, its input and output token counts taken out of it; `path` is the step's. */
  private readAdditionalAttributes(raw: RawStep, path: string): Pick<A2AStep, 'inputTokens' | 'outputTokens' | 'additionalAttributes'> {
    const attributes = raw.additional_attributes ?? raw.additionalAttributes ?? undefined;
    if (attributes === undefined) return { inputTokens: undefined, outputTokens: undefined, additionalAttributes: {} };
    const input = tokenKeyOf(attributes, INPUT_TOKEN_KEYS);
    const inputTokens = input === undefined ? undefined : this.readSummed('input_tokens', attributes[input.key] as string | number, path, input.keys);
    const output = tokenKeyOf(attributes, OUTPUT_TOKEN_KEYS);
    const outputTokens = output === undefined ? undefined : this.readSummed('output_tokens', attributes[output.key] as string | number, path, output.keys);
    return { inputTokens, outputTokens, additionalAttributes: this.readPassThrough(attributes, input?.key, output?.key, path) };
  }

  /**
   * Pass-through attributes: the own enumerable ones but the token counts taken out, under their
   * own keys. A key the mapping writes itself (`a2a.step.cost.exclusive`, `service.name`, ...) is
   * renamed by the mapping; it is warned about here, where its path is known. `path` is the step's.
   */
  private readPassThrough(
    attributes: Record<string, unknown>,
    inputKey: string | undefined,
    outputKey: string | undefined,
    path: string,
  ): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(attributes)) {
      if (key === inputKey || key === outputKey) continue;
      const value = attributes[key];
      const name = this.passThroughAttributeName?.(key) ?? key;
      if (name !== key) this.warn(fieldPath(path, [ADDITIONAL_ATTRIBUTES, key]), 'reserved_attribute', `${key} is set by the collector; kept as ${name}`);
      // Defined, not assigned: assigning `__proto__` would set the prototype and drop the attribute.
      // Any other key is assigned, which on a fresh object defines it alike, and is faster.
      if (key === '__proto__') Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      else result[key] = value;
    }
    return result;
  }

  private readSummed(quantity: SummedQuantity, value: string | number | null | undefined, stepPath: string, keys: FieldKeys): number | undefined {
    return this.summed(quantity, this.readNumber(value, stepPath, keys), stepPath, keys);
  }

  /**
   * `value`, once its magnitude is added to the trace's sum of `quantity`; undefined, with the
   * issue at the field's path, when that sum overflows a double (every sum the collector makes of a
   * trace, exclusive costs and metric histograms included, is then bounded by a finite one).
   */
  private summed(quantity: SummedQuantity, value: number | undefined, stepPath: string, keys: FieldKeys): number | undefined {
    if (value === undefined) return undefined;
    const before = this.magnitudes[quantity];
    if (!Number.isFinite(before)) return undefined;
    const after = before + Math.abs(value);
    this.magnitudes[quantity] = after;
    if (Number.isFinite(after)) return value;
    this.issues.add({ path: fieldPath(stepPath, keys), reason: `${quantity} sum overflows a double (the trace's ${quantity} values, nested traces included, add up past 1.8e308)` });
    return undefined;
  }
}

/**
 * Reads one ResponseTrace into `issues` without throwing for a refused field: undefined when the
 * trace added any issue (callers reading several traces share one list, bounded as it is).
 * `basePath` prefixes every reported path (`traces[2]`).
 * @throws CollectorError `A2A_ERR_NESTING_TOO_DEEP`, which ends the reading of the whole body.
 */
export function readResponseTraceInto(value: unknown, basePath: string, limits: ReadLimits, issues: IssueList): ReadResult | undefined {
  const issuesBefore = issues.count;
  const reader = new TraceReader(limits, issues);
  const trace = reader.readTrace(value, basePath, 0, undefined);
  if (trace === undefined || issues.count > issuesBefore) return undefined;
  reader.finishWarnings();
  return { trace, warnings: reader.warnings };
}

/**
 * Reads one ResponseTrace. `basePath` prefixes every reported path (`traces[2]`).
 * @throws CollectorError `A2A_ERR_INVALID_TRACE` listing the refused fields (at most
 *   `MAX_LISTED_ISSUES`, the rest counted), or `A2A_ERR_NESTING_TOO_DEEP`.
 */
export function readResponseTrace(value: unknown, basePath: string, limits: ReadLimits): ReadResult {
  const issues = new IssueList();
  const result = readResponseTraceInto(value, basePath, limits, issues);
  if (result === undefined) throw errors.invalidTrace(issues);
  return result;
}
