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
import { modelOfStep, type StepNode, type StepTree } from '../model/step-tree.js';
import type { A2AStep, StepError, TraceTimestamp } from '../model/types.js';
import * as names from './attribute-names.js';
import { DEFAULT_REDACT_PATTERN, capText, toAttributeValue, toJsonAttribute } from './attribute-values.js';
import { toOtelSpanId, toOtelTraceId } from './ids.js';

/** Settings of the mapping that come from configuration. */
export interface MappingOptions {
  /** Currency written to `a2a.cost.currency`. */
  readonly currency: string;
  /** Longest string attribute value, in characters; longer ones are cut. */
  readonly maxAttributeLength: number;
  /** Keys redacted inside parameters and requests. Default {@link DEFAULT_REDACT_PATTERN}. */
  readonly redactPattern?: RegExp;
  /** Resource attributes every span's resource carries besides `service.name`. */
  readonly resourceAttributes: Attributes;
  /** Version written on the instrumentation scope. */
  readonly collectorVersion: string;
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
/** Pass-through attributes set by assignment before the rest are defined (measured: objects stay fast). */
const MAX_ASSIGNED_PASS_THROUGH = 8;

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

  constructor(options: MappingOptions) {
    this.currency = options.currency;
    this.maxAttributeLength = options.maxAttributeLength;
    this.redactPattern = options.redactPattern ?? DEFAULT_REDACT_PATTERN;
    this.resourceAttributes = options.resourceAttributes;
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
    const times = spanTimes(step, input.receivedAt);
    const startTime = toHrTime(times.start);
    const endTime = toHrTime(times.end);
    const links = toCalleeLinks(node);
    const traceFlags = TraceFlags.SAMPLED;
    return new StepSpan(
      { traceId: input.otelTraceId, spanId, traceFlags },
      parentSpanId === undefined ? undefined : { traceId: input.otelTraceId, spanId: parentSpanId, traceFlags, isRemote: node.parent === undefined },
      toSpanName(step),
      toSpanKind(step),
      startTime,
      endTime,
      durationOf(startTime, endTime),
      this.toStatus(step),
      this.toAttributes(node, input.envelope, times, links.length > 0),
      this.toEvents(step, startTime, endTime, input.tree.roots[0] === node ? envelopeEvents : []),
      links,
      this.resourceFor(node.service),
      this.scope,
    );
  }

  /**
   * The span's attributes. Keys are string literals, each checked against its attribute-names.ts
   * constant with `satisfies`: a literal key compiles to a named store, which keeps the object a fast
   * V8 object; a computed one (`attributes[names.X]`) made it a hash table from about 20 attributes,
   * slower to build and to read in every consumer (docs/design-notes.md "The hot path").
   */
  private toAttributes(node: StepNode, envelope: EnvelopeContext | undefined, times: SpanTimes, calleeLinked: boolean): Attributes {
    const attributes: Attributes = {};
    this.addPassThroughAttributes(node.step, attributes);
    this.addStepAttributes(node, attributes);
    addOperationAttributes(node.step, attributes);
    this.addUsageAttributes(node, attributes);
    this.addPayloadAttributes(node.step, attributes);
    addRepairFlags(node, attributes);
    if (envelope !== undefined && node.nestingLevel === 0) addEnvelopeAttributes(envelope, attributes);
    if (times.inFlight) attributes['a2a.step.in_flight' satisfies typeof names.ATTR_STEP_IN_FLIGHT] = true;
    if (times.timeMissing) attributes['a2a.step.time_missing' satisfies typeof names.ATTR_STEP_TIME_MISSING] = true;
    if (calleeLinked) attributes['a2a.callee.linked' satisfies typeof names.ATTR_CALLEE_LINKED] = true;
    return attributes;
  }

  private addPassThroughAttributes(step: A2AStep, attributes: Attributes): void {
    let assigned = 0;
    for (const key of Object.keys(step.additionalAttributes)) {
      const value = toAttributeValue(step.additionalAttributes[key], this.maxAttributeLength);
      if (value === undefined) continue;
      const name = names.passThroughAttributeName(key);
      // Assigned while few: V8 turns an object filled by many computed-key stores into a hash table
      // (see the `satisfies` keys below), which defineProperty does not. Always defined when named
      // `__proto__`, which assigning would take for the prototype.
      if (assigned < MAX_ASSIGNED_PASS_THROUGH && name !== '__proto__') {
        attributes[name] = value;
        assigned++;
      } else {
        Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
      }
    }
  }

  private addStepAttributes(node: StepNode, attributes: Attributes): void {
    const step = node.step;
    attributes['a2a.trace.id' satisfies typeof names.ATTR_TRACE_ID] = step.a2aTraceId;
    attributes['a2a.step.id' satisfies typeof names.ATTR_STEP_ID] = step.stepId;
    if (step.parentStepId !== undefined) attributes['a2a.step.parent_id' satisfies typeof names.ATTR_STEP_PARENT_ID] = step.parentStepId;
    if (step.callType !== undefined) attributes['a2a.step.call_type' satisfies typeof names.ATTR_STEP_CALL_TYPE] = step.callType;
    attributes['a2a.step.kind' satisfies typeof names.ATTR_STEP_KIND] = step.kind;
    attributes['a2a.step.name' satisfies typeof names.ATTR_STEP_NAME] = capText(step.name, this.maxAttributeLength);
    if (step.stepType !== undefined) attributes['a2a.step.type' satisfies typeof names.ATTR_STEP_TYPE] = step.stepType;
    if (step.agentUrl !== undefined) attributes['a2a.agent.url' satisfies typeof names.ATTR_AGENT_URL] = step.agentUrl;
    if (step.latencyMs !== undefined) attributes['a2a.step.latency_ms' satisfies typeof names.ATTR_STEP_LATENCY_MS] = step.latencyMs;
    if (node.nestingLevel > 0) attributes['a2a.trace.nesting_level' satisfies typeof names.ATTR_NESTING_LEVEL] = node.nestingLevel;
  }

  /** Reported cost and tokens, each with its exclusive share (what no child step already counts). */
  private addUsageAttributes(node: StepNode, attributes: Attributes): void {
    const step = node.step;
    const computed = node.computedCost;
    if (step.cost !== undefined) {
      attributes['a2a.step.cost' satisfies typeof names.ATTR_STEP_COST] = step.cost;
      attributes['gen_ai.usage.cost' satisfies typeof names.ATTR_GEN_AI_USAGE_COST] = step.cost;
      attributes['a2a.step.cost.exclusive' satisfies typeof names.ATTR_STEP_COST_EXCLUSIVE] = node.exclusiveCost ?? step.cost;
      attributes['a2a.cost.currency' satisfies typeof names.ATTR_COST_CURRENCY] = this.currency;
      attributes['a2a.cost.source' satisfies typeof names.ATTR_COST_SOURCE] = 'reported';
    } else if (computed !== undefined) {
      // Not gen_ai.usage.cost: that names what the producer reported.
      attributes['a2a.step.cost' satisfies typeof names.ATTR_STEP_COST] = computed.inclusive;
      attributes['a2a.step.cost.exclusive' satisfies typeof names.ATTR_STEP_COST_EXCLUSIVE] = computed.cost;
      attributes['a2a.cost.currency' satisfies typeof names.ATTR_COST_CURRENCY] = computed.currency;
      attributes['a2a.cost.source' satisfies typeof names.ATTR_COST_SOURCE] = 'computed';
      attributes['a2a.cost.price_rule' satisfies typeof names.ATTR_COST_PRICE_RULE] = computed.rule;
      attributes['a2a.cost.price_as_of' satisfies typeof names.ATTR_COST_PRICE_AS_OF] = computed.asOf;
    } else if ((node.exclusiveTokens ?? 0) > 0) {
      attributes['a2a.cost.unpriced_model' satisfies typeof names.ATTR_COST_UNPRICED_MODEL] = modelOfStep(step) ?? '';
    }
    if (step.totalTokens !== undefined) {
      attributes['a2a.step.total_tokens' satisfies typeof names.ATTR_STEP_TOTAL_TOKENS] = step.totalTokens;
      attributes['gen_ai.usage.total_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_TOTAL_TOKENS] = step.totalTokens;
      attributes['a2a.step.total_tokens.exclusive' satisfies typeof names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE] = node.exclusiveTokens ?? step.totalTokens;
    }
    if (step.inputTokens !== undefined) attributes['gen_ai.usage.input_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = step.inputTokens;
    if (step.outputTokens !== undefined) attributes['gen_ai.usage.output_tokens' satisfies typeof names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = step.outputTokens;
  }

  /** Tool parameters and agent requests as JSON text, redacted and cut to length. */
  private addPayloadAttributes(step: A2AStep, attributes: Attributes): void {
    if (step.parameters !== undefined && step.parameters !== null) {
      attributes['a2a.step.parameters' satisfies typeof names.ATTR_STEP_PARAMETERS] = toJsonAttribute(step.parameters, this.maxAttributeLength, this.redactPattern);
    }
    if (step.requests !== undefined && step.requests !== null) {
      attributes['a2a.step.requests' satisfies typeof names.ATTR_STEP_REQUESTS] = toJsonAttribute(step.requests, this.maxAttributeLength, this.redactPattern);
    }
  }

  private toStatus(step: A2AStep): { code: SpanStatusCode; message?: string } {
    if (step.error === undefined) return { code: SpanStatusCode.UNSET };
    return { code: SpanStatusCode.ERROR, message: capText(step.error.message, this.maxAttributeLength) };
  }

  /** The step's start and end as sent, its exceptions, then `envelopeEvents`. */
  private toEvents(step: A2AStep, startTime: HrTime, endTime: HrTime, envelopeEvents: readonly TimedEvent[]): TimedEvent[] {
    const events: TimedEvent[] = [];
    if (step.start !== undefined) {
      events.push({ name: names.EVENT_STEP_START, time: startTime, attributes: { [names.ATTR_EVENT_TIMESTAMP]: step.start.raw } });
    }
    if (step.end !== undefined) {
      events.push({ name: names.EVENT_STEP_END, time: endTime, attributes: { [names.ATTR_EVENT_TIMESTAMP]: step.end.raw } });
    }
    if (step.error !== undefined) events.push(...this.toExceptionEvents(step.error, endTime));
    events.push(...envelopeEvents);
    return events;
  }

  /** One `exception` event for the error, then one per leaf of a Python exception group (OTel allows one per exception). */
  private toExceptionEvents(error: StepError, time: HrTime): TimedEvent[] {
    const exceptions = [
      { type: error.type, message: error.exceptionMessage, stacktrace: capText(error.stacktrace, this.maxAttributeLength * 4) },
      ...error.leafExceptions.map((leaf) => ({ ...leaf, stacktrace: capText(leaf.stacktrace, this.maxAttributeLength) })),
    ];
    return exceptions.map((exception) => {
      const attributes: Attributes = { [names.ATTR_EXCEPTION_STACKTRACE]: exception.stacktrace };
      if (exception.type !== undefined) attributes['exception.type' satisfies typeof names.ATTR_EXCEPTION_TYPE] = exception.type;
      if (exception.message !== '') attributes['exception.message' satisfies typeof names.ATTR_EXCEPTION_MESSAGE] = capText(exception.message, this.maxAttributeLength);
      return { name: names.EVENT_EXCEPTION, time, attributes };
    });
  }
}

/** `invoke_agent {name}` and `execute_tool {name}`, as the GenAI conventions name those calls; `{call type} {name}` otherwise. */
function toSpanName(step: A2AStep): string {
  if (step.kind === 'agent') return `invoke_agent ${step.name}`;
  if (step.kind === 'tool') return `execute_tool ${step.name}`;
  const prefix = step.callType === undefined ? step.kind : String(step.callType).toLowerCase();
  return `${prefix} ${step.name}`;
}

function toSpanKind(step: A2AStep): SpanKind {
  return step.kind === 'agent' ? SpanKind.CLIENT : SpanKind.INTERNAL;
}

/** The GenAI operation of an agent or tool call, and the callee's name. */
function addOperationAttributes(step: A2AStep, attributes: Attributes): void {
  if (step.kind === 'agent') {
    attributes['gen_ai.operation.name' satisfies typeof names.ATTR_GEN_AI_OPERATION_NAME] = 'invoke_agent';
    attributes['gen_ai.agent.name' satisfies typeof names.ATTR_GEN_AI_AGENT_NAME] = step.agentName ?? step.name;
  } else if (step.kind === 'tool') {
    attributes['gen_ai.operation.name' satisfies typeof names.ATTR_GEN_AI_OPERATION_NAME] = 'execute_tool';
    attributes['gen_ai.tool.name' satisfies typeof names.ATTR_GEN_AI_TOOL_NAME] = step.toolName ?? step.name;
  }
}

/** Flags for what the collector had to assume or repair: a parent that is not there, a broken parent cycle, a timestamp with no zone. */
function addRepairFlags(node: StepNode, attributes: Attributes): void {
  if (node.orphan) attributes['a2a.step.orphan' satisfies typeof names.ATTR_STEP_ORPHAN] = true;
  if (node.cycleBroken) attributes['a2a.step.cycle_broken' satisfies typeof names.ATTR_STEP_CYCLE_BROKEN] = true;
  if (node.step.start?.zoneAssumed === true || node.step.end?.zoneAssumed === true) attributes['a2a.step.time_zone_assumed' satisfies typeof names.ATTR_STEP_ZONE_ASSUMED] = true;
}

/** The envelope's conversation and task, on the spans of the outermost trace. */
function addEnvelopeAttributes(envelope: EnvelopeContext, attributes: Attributes): void {
  if (envelope.contextId !== undefined) attributes['gen_ai.conversation.id' satisfies typeof names.ATTR_GEN_AI_CONVERSATION_ID] = envelope.contextId;
  if (envelope.taskId !== undefined) attributes['a2a.task.id' satisfies typeof names.ATTR_TASK_ID] = envelope.taskId;
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
    if (mark.state !== undefined) attributes['a2a.task.state' satisfies typeof names.ATTR_TASK_STATE] = mark.state;
    if (mark.taskId !== undefined) attributes['a2a.task.id' satisfies typeof names.ATTR_TASK_ID] = mark.taskId;
    if (mark.messageId !== undefined) attributes['a2a.message.id' satisfies typeof names.ATTR_MESSAGE_ID] = mark.messageId;
    if (mark.role !== undefined) attributes['a2a.message.role' satisfies typeof names.ATTR_MESSAGE_ROLE] = mark.role;
    if (mark.artifactId !== undefined) attributes['a2a.artifact.id' satisfies typeof names.ATTR_ARTIFACT_ID] = mark.artifactId;
    if (mark.artifactName !== undefined) attributes['a2a.artifact.name' satisfies typeof names.ATTR_ARTIFACT_NAME] = mark.artifactName;
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
