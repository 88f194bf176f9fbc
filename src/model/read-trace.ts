/**
 * @module The tolerant reader: turns any wire shape of a ResponseTrace (DESIGN §2) into the
 * normalized model, collecting every refused field with its path, and every tolerated oddity as a
 * warning. It never throws anything but a {@link CollectorError}.
 */
import type { z } from 'zod';
import { CollectorError, IssueList } from '../errors.js';
import { readError } from './read-error.js';
import { NOT_A_STEP_OBJECT, NOT_A_TRACE_OBJECT, RawStepSchema, RawTraceSchema, type RawStep } from './schema.js';
import { parseTimestamp } from './timestamp.js';
import type { A2AStep, A2ATrace, CallKind, ReadWarning, TraceTimestamp } from './types.js';

/** Limits applied while reading. */
export interface ReadLimits {
  /** How many levels of nested `response_trace` are read before the input is refused. Default 32. */
  readonly maxNestingDepth?: number;
  /** How many steps (all levels together) one trace may hold. Default 10,000. */
  readonly maxSteps?: number;
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

/** Formats a zod or reader path (`['steps', 2, 'cost']`) as `steps[2].cost`, under `base`. */
export function joinPath(base: string, segments: readonly PropertyKey[]): string {
  let path = base;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}

/** What the schemas' object checks accept; checked first, as a body may hold a million numbers where objects belong. */
function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function addZodIssues(issues: IssueList, error: z.ZodError, base: string): void {
  for (const issue of error.issues) issues.add({ path: joinPath(base, issue.path), reason: issue.message });
}

class TraceReader {
  readonly warnings: ReadWarning[] = [];
  private warningsLeftOut = 0;
  private stepCount = 0;
  /** Sums of absolute values, so that every partial sum or difference of them is finite too. */
  private readonly magnitudes = new Map<SummedQuantity, number>();
  private readonly maxNestingDepth: number;
  private readonly maxSteps: number;
  private readonly maxWarnings: number;
  private readonly passThroughAttributeName: ((key: string) => string) | undefined;

  constructor(
    limits: ReadLimits,
    readonly issues: IssueList,
  ) {
    this.maxNestingDepth = limits.maxNestingDepth ?? 32;
    this.maxSteps = limits.maxSteps ?? 10_000;
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
    if (depth > this.maxNestingDepth) {
      throw new CollectorError(
        'A2A_ERR_NESTING_TOO_DEEP',
        `nested response traces go deeper than ${this.maxNestingDepth} levels`,
        [{ path, reason: `nesting depth exceeds the limit of ${this.maxNestingDepth}` }],
      );
    }
    if (!isJsonObject(value)) {
      this.issues.add({ path, reason: NOT_A_TRACE_OBJECT });
      return undefined;
    }
    const parsed = RawTraceSchema.safeParse(value);
    if (!parsed.success) {
      addZodIssues(this.issues, parsed.error, path);
      return undefined;
    }
    const raw = parsed.data;
    // Checked before any step is read, so that reading stays bounded by the limit.
    this.stepCount += raw.steps.length;
    if (this.stepCount > this.maxSteps) {
      this.issues.add({ path: joinPath(path, ['steps']), reason: `more than ${this.maxSteps} steps in one trace` });
      return undefined;
    }
    const rawSteps: Array<RawStep | undefined> = raw.steps.map((step, index) => {
      if (!isJsonObject(step)) {
        this.issues.add({ path: joinPath(path, ['steps', index]), reason: NOT_A_STEP_OBJECT });
        return undefined;
      }
      const parsedStep = RawStepSchema.safeParse(step);
      if (parsedStep.success) return parsedStep.data;
      addZodIssues(this.issues, parsedStep.error, joinPath(path, ['steps', index]));
      return undefined;
    });
    const firstStepTraceId = rawSteps.find((step) => step !== undefined && (step.trace_id ?? step.traceId ?? '') !== '');
    let traceId = this.readId(raw.trace_id ?? raw.traceId);
    if (traceId === undefined) {
      const fromStep = this.readId(firstStepTraceId?.trace_id ?? firstStepTraceId?.traceId);
      if (fromStep !== undefined) {
        traceId = fromStep;
        this.warn(joinPath(path, ['trace_id']), 'trace_id_from_steps', 'no trace_id; taken from the steps');
      } else if (inheritedTraceId !== undefined) {
        traceId = inheritedTraceId;
        this.warn(joinPath(path, ['trace_id']), 'trace_id_derived', `no trace_id; named ${traceId}`);
      } else {
        this.issues.add({ path: joinPath(path, ['trace_id']), reason: 'required (on the trace or on its steps)' });
        return undefined;
      }
    }
    if (raw.steps.length === 0) this.warn(joinPath(path, ['steps']), 'no_steps', 'the trace has no steps');

    const seen = new Map<string, number>();
    const steps: A2AStep[] = [];
    rawSteps.forEach((rawStep, index) => {
      if (rawStep === undefined) return;
      const step = this.readStep(rawStep, joinPath(path, ['steps', index]), traceId, index, seen, depth);
      if (step !== undefined) steps.push(step);
    });
    return { traceId, steps };
  }

  private readId(value: string | number | null | undefined): string | undefined {
    if (value === null || value === undefined) return undefined;
    const id = String(value).trim();
    return id === '' ? undefined : id;
  }

  private readNumber(value: string | number | null | undefined, path: string): number | undefined {
    if (value === null || value === undefined) return undefined;
    const number = typeof value === 'number' ? value : Number(value.trim());
    if (!Number.isFinite(number)) {
      this.issues.add({ path, reason: 'expected a finite number (a double holds at most about 1.8e308)' });
      return undefined;
    }
    const isIntegerText = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value);
    if ((Number.isInteger(number) || isIntegerText) && !Number.isSafeInteger(number)) {
      this.warn(path, 'precision_lost', 'integer beyond 2^53; kept as the nearest double');
    }
    if (number < 0) this.warn(path, 'negative_value', 'negative value kept as sent');
    return number;
  }

  /** Latency in milliseconds; refused past 100 years, which no step lasts and no date can hold. */
  private readLatency(value: string | number | null | undefined, path: string): number | undefined {
    const latency = this.readNumber(value, path);
    if (latency !== undefined && Math.abs(latency) > MAX_LATENCY_MILLIS) {
      this.issues.add({ path, reason: `latency of ${latency} ms is out of range (at most 100 years)` });
      return undefined;
    }
    return latency;
  }

  private readTime(value: string | null | undefined, path: string): TraceTimestamp | undefined {
    if (value === null || value === undefined || value.trim() === '') return undefined;
    const time = parseTimestamp(value);
    if (time === undefined) {
      this.issues.add({ path, reason: `not an RFC 3339 timestamp: ${JSON.stringify(value.slice(0, 64))}` });
      return undefined;
    }
    if (time.zoneAssumed) this.warn(path, 'zone_assumed', 'timestamp has no zone; read as UTC');
    return time;
  }

  private readStep(
    raw: RawStep,
    path: string,
    traceId: string,
    index: number,
    seen: Map<string, number>,
    depth: number,
  ): A2AStep | undefined {
    const issuesBefore = this.issues.count;
    let stepId = this.readId(raw.step_id ?? raw.stepId);
    if (stepId === undefined) {
      stepId = `#${index}`;
      this.warn(joinPath(path, ['step_id']), 'step_id_missing', `no step_id; named ${stepId}`);
    }
    const timesSeen = seen.get(stepId) ?? 0;
    seen.set(stepId, timesSeen + 1);
    if (timesSeen > 0) {
      const renamed = `${stepId}#${timesSeen + 1}`;
      this.warn(joinPath(path, ['step_id']), 'duplicate_step_id', `step_id ${stepId} repeated; this one named ${renamed}`);
      stepId = renamed;
    }

    const action = raw.step_action ?? raw.stepAction ?? undefined;
    const tool = action?.tool_invocation ?? action?.toolInvocation ?? undefined;
    const agent = action?.agent_invocation ?? action?.agentInvocation ?? undefined;
    const toolName = tool?.tool_name ?? tool?.toolName ?? undefined;
    const agentName = agent?.agent_name ?? agent?.agentName ?? raw.agent_name ?? raw.agentName ?? undefined;
    const agentUrl = agent?.agent_url ?? agent?.agentUrl ?? raw.agent_url ?? raw.agentUrl ?? undefined;

    const callType = raw.call_type ?? raw.callType ?? undefined;
    const kind = this.readKind(callType, agent !== undefined, tool !== undefined, joinPath(path, ['call_type']));

    // A spread defines own properties, so a key `__proto__` stays a plain key.
    const additional: Record<string, unknown> = { ...(raw.additional_attributes ?? raw.additionalAttributes ?? {}) };
    const inputTokens = this.takeTokens(
      additional,
      'input_tokens',
      ['input_tokens', 'prompt_tokens', 'inputTokens', 'promptTokens', 'gen_ai.usage.input_tokens'],
      path,
    );
    const outputTokens = this.takeTokens(
      additional,
      'output_tokens',
      ['output_tokens', 'completion_tokens', 'outputTokens', 'completionTokens', 'gen_ai.usage.output_tokens'],
      path,
    );
    const passThrough = this.readAdditional(additional, joinPath(path, ['additional_attributes']));
    const costPath = joinPath(path, ['cost']);
    const cost = this.summed('cost', this.readNumber(raw.cost, costPath), costPath);
    const tokensPath = joinPath(path, ['total_tokens']);
    const totalTokens = this.summed('total_tokens', this.readNumber(raw.total_tokens ?? raw.totalTokens, tokensPath), tokensPath);
    const latencyMs = this.readLatency(raw.latency, joinPath(path, ['latency']));

    const start = this.readTime(raw.start_time ?? raw.startTime, joinPath(path, ['start_time']));
    let end = this.readTime(raw.end_time ?? raw.endTime, joinPath(path, ['end_time']));
    if (start !== undefined && end !== undefined) {
      const backwards = end.epochSeconds < start.epochSeconds || (end.epochSeconds === start.epochSeconds && end.nanos < start.nanos);
      if (backwards) {
        this.warn(joinPath(path, ['end_time']), 'end_before_start', 'end_time before start_time; span made zero-length');
        end = { ...start, raw: end.raw };
      }
    }

    const nestedValue =
      agent?.response_trace ?? agent?.responseTrace ?? raw.response_trace ?? raw.responseTrace ?? undefined;
    let nested: A2ATrace | undefined;
    if (nestedValue !== undefined && nestedValue !== null) {
      const nestedPath =
        agent?.response_trace !== undefined
          ? joinPath(path, ['step_action', 'agent_invocation', 'response_trace'])
          : agent?.responseTrace !== undefined
            ? joinPath(path, ['stepAction', 'agentInvocation', 'responseTrace'])
            : joinPath(path, [raw.response_trace !== undefined ? 'response_trace' : 'responseTrace']);
      nested = this.readTrace(nestedValue, nestedPath, depth + 1, `${traceId}/${stepId}`);
    }

    const name =
      (raw.name ?? '').trim() ||
      toolName ||
      agentName ||
      (callType === undefined ? '' : String(callType).toLowerCase()) ||
      'step';

    if (this.issues.count > issuesBefore) return undefined;
    return {
      path,
      stepId,
      a2aTraceId: traceId,
      parentStepId: this.readId(raw.parent_step_id ?? raw.parentStepId),
      callType,
      kind,
      name,
      stepType: raw.step_type === undefined || raw.step_type === null ? (raw.stepType ?? undefined)?.toString() : String(raw.step_type),
      parameters: raw.parameters ?? tool?.parameters ?? undefined,
      requests: raw.requests ?? agent?.requests ?? undefined,
      cost,
      totalTokens,
      inputTokens,
      outputTokens,
      additionalAttributes: passThrough,
      latencyMs,
      start,
      end,
      error: readError(raw.error),
      agentUrl: agentUrl ?? undefined,
      agentName: agentName ?? undefined,
      toolName: toolName ?? undefined,
      nested,
    };
  }

  private readKind(callType: string | number | undefined, isAgentCall: boolean, isToolCall: boolean, path: string): CallKind {
    if (callType === undefined) {
      if (isAgentCall) return 'agent';
      if (isToolCall) return 'tool';
      this.warn(path, 'call_type_missing', 'no call_type; mapped to "other"');
      return 'other';
    }
    if (typeof callType === 'number') {
      const kind = PROTO_CALL_TYPES.get(callType);
      if (kind !== undefined) return kind;
    } else {
      const normalized = callType.trim().toUpperCase().replace(/^CALL_TYPE_/, '');
      if (normalized === 'AGENT') return 'agent';
      if (normalized === 'TOOL') return 'tool';
      if (normalized === 'HOST') return 'host';
      if (/^\d+$/.test(normalized)) {
        const kind = PROTO_CALL_TYPES.get(Number(normalized));
        if (kind !== undefined) return kind;
      }
    }
    this.warn(path, 'call_type_unknown', `call_type ${JSON.stringify(callType)} mapped to "other"`);
    return 'other';
  }

  /**
   * Pass-through attributes, under their own keys. A key the mapping writes itself
   * (`a2a.step.cost.exclusive`, `service.name`, ...) is renamed by the mapping; it is warned about here,
   * where its path is known.
   */
  private readAdditional(attributes: Record<string, unknown>, path: string): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(attributes)) {
      const name = this.passThroughAttributeName?.(key) ?? key;
      if (name !== key) this.warn(joinPath(path, [key]), 'reserved_attribute', `${key} is set by the collector; kept as ${name}`);
      // Defined, not assigned: assigning `__proto__` would set the prototype and drop the attribute.
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return result;
  }

  private takeTokens(attributes: Record<string, unknown>, quantity: SummedQuantity, keys: readonly string[], path: string): number | undefined {
    for (const key of keys) {
      const value = attributes[key];
      if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+\s*$/.test(value))) {
        delete attributes[key];
        const valuePath = joinPath(path, ['additional_attributes', key]);
        return this.summed(quantity, this.readNumber(value, valuePath), valuePath);
      }
    }
    return undefined;
  }

  /**
   * `value`, once its magnitude is added to the trace's sum of `quantity`; undefined, with the
   * issue at `path`, when that sum overflows a double (every sum the collector makes of a trace,
   * exclusive costs and metric histograms included, is then bounded by a finite one).
   */
  private summed(quantity: SummedQuantity, value: number | undefined, path: string): number | undefined {
    if (value === undefined) return undefined;
    const before = this.magnitudes.get(quantity) ?? 0;
    if (!Number.isFinite(before)) return undefined;
    const after = before + Math.abs(value);
    this.magnitudes.set(quantity, after);
    if (Number.isFinite(after)) return value;
    this.issues.add({ path, reason: `${quantity} sum overflows a double (the trace's ${quantity} values, nested traces included, add up past 1.8e308)` });
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
export function readResponseTrace(value: unknown, basePath = '', limits: ReadLimits = {}): ReadResult {
  const issues = new IssueList();
  const result = readResponseTraceInto(value, basePath, limits, issues);
  if (result === undefined) throw new CollectorError('A2A_ERR_INVALID_TRACE', 'the body is not a valid ResponseTrace', issues);
  return result;
}
