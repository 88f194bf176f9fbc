/**
 * @module The product's core contract (DESIGN §3): a resolved step tree becomes OpenTelemetry
 * `ReadableSpan`s, built directly (no SDK Tracer: it would mint new ids and sample).
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { EnvelopeContext, EnvelopeMark, EnvelopeMarkSource } from '../model/envelope-context.js';
import { addMillis } from '../model/timestamp.js';
import type { StepNode, StepTree } from '../model/step-tree.js';
import type { A2AStep, TraceTimestamp } from '../model/types.js';
import * as names from './attribute-names.js';
import { DEFAULT_REDACT_PATTERN, capText, toAttributeValue, toJsonAttribute } from './attribute-values.js';
import { toOtelSpanId, toOtelTraceId } from './ids.js';

/** Settings of the mapping that come from configuration. */
export interface MappingOptions {
  /** Currency written to `a2a.cost.currency`. Default `USD`. */
  readonly currency?: string;
  /** Longest string attribute value, in characters; longer ones are cut. Default 4096. */
  readonly maxAttributeLength?: number;
  /** Keys redacted inside parameters and requests. Default {@link DEFAULT_REDACT_PATTERN}. */
  readonly redactPattern?: RegExp;
  /** Resource attributes every span's resource carries besides `service.name`. */
  readonly resourceAttributes?: Attributes;
  /** Version written on the instrumentation scope. */
  readonly collectorVersion?: string;
}

/** Per-trace inputs of one mapping call. */
export interface TraceMappingInput {
  /** The resolved tree of the ingested trace. */
  readonly tree: StepTree;
  /** The OTel trace id all spans get (32 hex). */
  readonly otelTraceId: string;
  /** Span id the roots become children of (from an incoming `traceparent`). */
  readonly parentSpanId?: string | undefined;
  /** When the trace was received; used only for steps that carry no time at all. */
  readonly receivedAt: TraceTimestamp;
  /**
   * The A2A envelope the trace came in. Its `contextId` (`gen_ai.conversation.id`) and task id
   * (`a2a.task.id`) go on every span of the outermost trace (nested traces are other agents' tasks);
   * its task status timestamps and timestamp-extension stamps become events on the first root span,
   * in time order.
   */
  readonly envelope?: EnvelopeContext | undefined;
}

/** A ReadableSpan assembled from a step; immutable once built. */
class StepSpan implements ReadableSpan {
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;

  constructor(
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly name: string,
    readonly kind: SpanKind,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly duration: HrTime,
    readonly status: { code: SpanStatusCode; message?: string },
    readonly attributes: Attributes,
    readonly events: TimedEvent[],
    readonly links: Link[],
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }
}

const MAX_CACHED_RESOURCES = 1024;

/**
 * Maps resolved step trees to spans. One instance per collector: it caches one Resource object per
 * service, because the OTLP encoder groups spans by Resource identity.
 */
export class SpanMapper {
  private readonly currency: string;
  private readonly maxAttributeLength: number;
  private readonly redactPattern: RegExp;
  private readonly resourceAttributes: Attributes;
  private readonly scope: InstrumentationScope;
  private readonly resources = new Map<string, Resource>();

  constructor(options: MappingOptions = {}) {
    this.currency = options.currency ?? 'USD';
    this.maxAttributeLength = options.maxAttributeLength ?? 4096;
    this.redactPattern = options.redactPattern ?? DEFAULT_REDACT_PATTERN;
    this.resourceAttributes = options.resourceAttributes ?? {};
    this.scope = { name: names.SCOPE_NAME, version: options.collectorVersion };
  }

  /** The shared Resource of a service. */
  resourceFor(service: string): Resource {
    let resource = this.resources.get(service);
    if (resource === undefined) {
      resource = resourceFromAttributes({ ...this.resourceAttributes, [names.ATTR_SERVICE_NAME]: service });
      if (this.resources.size < MAX_CACHED_RESOURCES) this.resources.set(service, resource);
    }
    return resource;
  }

  /**
   * Maps every step of the tree to one span, parents before children. Steps counted by a callee's
   * own sidecar ({@link StepNode.countedElsewhere}) get no span: their AGENT step links to them.
   */
  toReadableSpans(input: TraceMappingInput): ReadableSpan[] {
    const spanIds = new Map<StepNode, string>();
    const usedSpanIds = new Set<string>();
    const spans: ReadableSpan[] = [];
    const envelopeEvents = input.envelope === undefined ? [] : toEnvelopeEvents(input.envelope.marks);
    for (const node of input.tree.nodes) {
      if (node.countedElsewhere) continue;
      let spanId = toOtelSpanId(node.step.stepId, input.otelTraceId, node.step.a2aTraceId);
      // A 16-hex step id is kept as is, so two nested traces can bring the same one.
      if (usedSpanIds.has(spanId)) spanId = toOtelSpanId(node.step.path, input.otelTraceId, node.step.a2aTraceId);
      usedSpanIds.add(spanId);
      spanIds.set(node, spanId);
      const parentSpanId = node.parent === undefined ? input.parentSpanId : spanIds.get(node.parent);
      spans.push(this.toReadableSpan(node, input, spanId, parentSpanId, envelopeEvents));
    }
    return spans;
  }

  private toReadableSpan(
    node: StepNode,
    input: TraceMappingInput,
    spanId: string,
    parentSpanId: string | undefined,
    envelopeEvents: readonly TimedEvent[],
  ): ReadableSpan {
    const step = node.step;
    const attributes: Attributes = {};
    this.passThrough(step, attributes);

    attributes[names.ATTR_TRACE_ID] = step.a2aTraceId;
    attributes[names.ATTR_STEP_ID] = step.stepId;
    if (step.parentStepId !== undefined) attributes[names.ATTR_STEP_PARENT_ID] = step.parentStepId;
    if (step.callType !== undefined) attributes[names.ATTR_STEP_CALL_TYPE] = step.callType;
    attributes[names.ATTR_STEP_KIND] = step.kind;
    attributes[names.ATTR_STEP_NAME] = capText(step.name, this.maxAttributeLength);
    if (step.stepType !== undefined) attributes[names.ATTR_STEP_TYPE] = step.stepType;
    if (step.agentUrl !== undefined) attributes[names.ATTR_AGENT_URL] = step.agentUrl;
    if (step.latencyMs !== undefined) attributes[names.ATTR_STEP_LATENCY_MS] = step.latencyMs;
    if (node.nestingLevel > 0) attributes[names.ATTR_NESTING_LEVEL] = node.nestingLevel;

    let spanName: string;
    let kind: SpanKind;
    if (step.kind === 'agent') {
      spanName = `invoke_agent ${step.name}`;
      kind = SpanKind.CLIENT;
      attributes[names.ATTR_GEN_AI_OPERATION_NAME] = 'invoke_agent';
      attributes[names.ATTR_GEN_AI_AGENT_NAME] = step.agentName ?? step.name;
    } else if (step.kind === 'tool') {
      spanName = `execute_tool ${step.name}`;
      kind = SpanKind.INTERNAL;
      attributes[names.ATTR_GEN_AI_OPERATION_NAME] = 'execute_tool';
      attributes[names.ATTR_GEN_AI_TOOL_NAME] = step.toolName ?? step.name;
    } else {
      const prefix = step.callType === undefined ? step.kind : String(step.callType).toLowerCase();
      spanName = `${prefix} ${step.name}`;
      kind = SpanKind.INTERNAL;
    }

    if (step.cost !== undefined) {
      attributes[names.ATTR_STEP_COST] = step.cost;
      attributes[names.ATTR_GEN_AI_USAGE_COST] = step.cost;
      attributes[names.ATTR_STEP_COST_EXCLUSIVE] = node.exclusiveCost ?? step.cost;
      attributes[names.ATTR_COST_CURRENCY] = this.currency;
    }
    if (step.totalTokens !== undefined) {
      attributes[names.ATTR_STEP_TOTAL_TOKENS] = step.totalTokens;
      attributes[names.ATTR_GEN_AI_USAGE_TOTAL_TOKENS] = step.totalTokens;
      attributes[names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE] = node.exclusiveTokens ?? step.totalTokens;
    }
    if (step.inputTokens !== undefined) attributes[names.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = step.inputTokens;
    if (step.outputTokens !== undefined) attributes[names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = step.outputTokens;
    if (step.parameters !== undefined && step.parameters !== null) {
      attributes[names.ATTR_STEP_PARAMETERS] = toJsonAttribute(step.parameters, this.maxAttributeLength, this.redactPattern);
    }
    if (step.requests !== undefined && step.requests !== null) {
      attributes[names.ATTR_STEP_REQUESTS] = toJsonAttribute(step.requests, this.maxAttributeLength, this.redactPattern);
    }
    if (node.orphan) attributes[names.ATTR_STEP_ORPHAN] = true;
    if (node.cycleBroken) attributes[names.ATTR_STEP_CYCLE_BROKEN] = true;
    if (step.start?.zoneAssumed === true || step.end?.zoneAssumed === true) attributes[names.ATTR_STEP_ZONE_ASSUMED] = true;
    if (input.envelope !== undefined && node.nestingLevel === 0) {
      if (input.envelope.contextId !== undefined) attributes[names.ATTR_GEN_AI_CONVERSATION_ID] = input.envelope.contextId;
      if (input.envelope.taskId !== undefined) attributes[names.ATTR_TASK_ID] = input.envelope.taskId;
    }

    const { start, end, inFlight, timeMissing } = spanTimes(step, input.receivedAt);
    if (inFlight) attributes[names.ATTR_STEP_IN_FLIGHT] = true;
    if (timeMissing) attributes[names.ATTR_STEP_TIME_MISSING] = true;
    const startTime = toHrTime(start);
    const endTime = toHrTime(end);

    const events: TimedEvent[] = [];
    if (step.start !== undefined) {
      events.push({ name: names.EVENT_STEP_START, time: startTime, attributes: { [names.ATTR_EVENT_TIMESTAMP]: step.start.raw } });
    }
    if (step.end !== undefined) {
      events.push({ name: names.EVENT_STEP_END, time: endTime, attributes: { [names.ATTR_EVENT_TIMESTAMP]: step.end.raw } });
    }
    let status: { code: SpanStatusCode; message?: string } = { code: SpanStatusCode.UNSET };
    if (step.error !== undefined) {
      status = { code: SpanStatusCode.ERROR, message: capText(step.error.message, this.maxAttributeLength) };
      // One `exception` event for the error, then one per leaf of a Python exception group (OTel allows one per exception).
      const exceptions = [
        { type: step.error.type, message: step.error.exceptionMessage, stacktrace: capText(step.error.stacktrace, this.maxAttributeLength * 4) },
        ...step.error.leafExceptions.map((leaf) => ({ ...leaf, stacktrace: capText(leaf.stacktrace, this.maxAttributeLength) })),
      ];
      for (const exception of exceptions) {
        const exceptionAttributes: Attributes = { [names.ATTR_EXCEPTION_STACKTRACE]: exception.stacktrace };
        if (exception.type !== undefined) exceptionAttributes[names.ATTR_EXCEPTION_TYPE] = exception.type;
        if (exception.message !== '') exceptionAttributes[names.ATTR_EXCEPTION_MESSAGE] = capText(exception.message, this.maxAttributeLength);
        events.push({ name: names.EVENT_EXCEPTION, time: endTime, attributes: exceptionAttributes });
      }
    }
    if (envelopeEvents.length > 0 && input.tree.roots[0] === node) events.push(...envelopeEvents);
    const links = toCalleeLinks(node);
    if (links.length > 0) attributes[names.ATTR_CALLEE_LINKED] = true;
    const traceFlags = TraceFlags.SAMPLED;
    return new StepSpan(
      { traceId: input.otelTraceId, spanId, traceFlags },
      parentSpanId === undefined ? undefined : { traceId: input.otelTraceId, spanId: parentSpanId, traceFlags, isRemote: node.parent === undefined },
      spanName,
      kind,
      startTime,
      endTime,
      durationOf(startTime, endTime),
      status,
      attributes,
      events,
      links,
      this.resourceFor(node.service),
      this.scope,
    );
  }

  private passThrough(step: A2AStep, attributes: Attributes): void {
    for (const key of Object.keys(step.additionalAttributes)) {
      const value = toAttributeValue(step.additionalAttributes[key], this.maxAttributeLength);
      // Defined, not assigned: an attribute named `__proto__` is a key like any other.
      if (value !== undefined) Object.defineProperty(attributes, names.passThroughAttributeName(key), { value, enumerable: true, writable: true, configurable: true });
    }
  }
}

/**
 * Links from an AGENT step to the root spans of a nested trace that the callee's own sidecar
 * exports. That sidecar maps the same trace with the same deterministic ids (no `traceparent`
 * given: the trace id from the A2A trace id, span ids from step ids), so these are its span ids.
 */
function toCalleeLinks(node: StepNode): Link[] {
  const links: Link[] = [];
  for (const child of node.children) {
    if (!child.countedElsewhere || child.nestingLevel <= node.nestingLevel) continue;
    const traceId = toOtelTraceId(child.step.a2aTraceId);
    links.push({
      context: { traceId, spanId: toOtelSpanId(child.step.stepId, traceId, child.step.a2aTraceId), traceFlags: TraceFlags.SAMPLED, isRemote: true },
      attributes: { [names.ATTR_LINK_TYPE]: names.LINK_TYPE_CALLEE_TRACE, [names.ATTR_TRACE_ID]: child.step.a2aTraceId },
    });
  }
  return links;
}

const MARK_EVENT_NAMES: Readonly<Record<EnvelopeMarkSource, string>> = {
  task_status: names.EVENT_TASK_STATUS,
  task: names.EVENT_TASK_TIMESTAMP,
  message: names.EVENT_MESSAGE_TIMESTAMP,
  artifact: names.EVENT_ARTIFACT_TIMESTAMP,
};

/** Span events for the moments an envelope recorded, in time order (stable for equal times). */
function toEnvelopeEvents(marks: readonly EnvelopeMark[]): TimedEvent[] {
  const ordered = [...marks].sort((a, b) => a.time.epochSeconds - b.time.epochSeconds || a.time.nanos - b.time.nanos);
  return ordered.map((mark) => {
    const attributes: Attributes = { [names.ATTR_EVENT_TIMESTAMP]: mark.time.raw };
    if (mark.state !== undefined) attributes[names.ATTR_TASK_STATE] = mark.state;
    if (mark.taskId !== undefined) attributes[names.ATTR_TASK_ID] = mark.taskId;
    if (mark.messageId !== undefined) attributes[names.ATTR_MESSAGE_ID] = mark.messageId;
    if (mark.role !== undefined) attributes[names.ATTR_MESSAGE_ROLE] = mark.role;
    if (mark.artifactId !== undefined) attributes[names.ATTR_ARTIFACT_ID] = mark.artifactId;
    if (mark.artifactName !== undefined) attributes[names.ATTR_ARTIFACT_NAME] = mark.artifactName;
    return { name: MARK_EVENT_NAMES[mark.source], time: toHrTime(mark.time), attributes };
  });
}

interface SpanTimes {
  readonly start: TraceTimestamp;
  readonly end: TraceTimestamp;
  readonly inFlight: boolean;
  readonly timeMissing: boolean;
}

/** Start and end of a step's span: missing ends from start + latency, and the flags DESIGN §3 asks for. */
export function spanTimes(step: A2AStep, receivedAt: TraceTimestamp): SpanTimes {
  // A negative latency (warned about by the reader) cannot make a span end before it starts.
  const latency = step.latencyMs === undefined ? undefined : Math.max(0, step.latencyMs);
  if (step.start !== undefined) {
    if (step.end !== undefined) return { start: step.start, end: step.end, inFlight: false, timeMissing: false };
    if (latency !== undefined) return { start: step.start, end: addMillis(step.start, latency), inFlight: false, timeMissing: false };
    return { start: step.start, end: step.start, inFlight: true, timeMissing: false };
  }
  if (step.end !== undefined) {
    const start = latency === undefined ? step.end : addMillis(step.end, -latency);
    return { start, end: step.end, inFlight: false, timeMissing: false };
  }
  return { start: receivedAt, end: receivedAt, inFlight: step.latencyMs === undefined, timeMissing: true };
}

function toHrTime(time: TraceTimestamp): HrTime {
  return [time.epochSeconds, time.nanos];
}

function durationOf(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}
