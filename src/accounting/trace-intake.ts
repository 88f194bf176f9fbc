/**
 * @module The intake: from a decoded body to spans in the pipeline. Reads every trace first, so a
 * body with one bad trace is refused whole (nothing half-accepted), then maps and hands all spans to
 * the pipeline in one call. Shared by the HTTP API and every other way in.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { EnvelopeContext } from '../model/envelope-context.js';
import type { Extraction } from '../a2a/extract-traces.js';
import { looksLikeEventStream } from '../a2a/sse-parser.js';
import { mergeRepeatedTraces } from '../a2a/repeated-traces.js';
import { IssueList } from '../errors.js';
import { parseTraceParent, toOtelTraceId } from '../mapping/ids.js';
import { passThroughAttributeName } from '../mapping/attribute-names.js';
import { SpanMapper, type MappingOptions } from '../mapping/to-readable-spans.js';
import { isEventStreamMediaType } from '../http/media-types.js';
import { isStackOverflow } from '../model/json-value.js';
import { readResponseTraceInto, type ReadLimits, type ReadResult } from '../model/read-trace.js';
import { buildStepTree, type CalleeHasSidecar, type CostMode } from '../model/step-tree.js';
import type { ReadWarning, TraceTimestamp } from '../model/types.js';
import type { Pricer } from '../model/price-quote.js';
import type { IntakeConsumer } from './counted-once-ledger.js';
import { calleesWithSidecar } from './sidecar-agents.js';
import type { CollectorConfig } from '../config/load-config.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import { COLLECTOR_VERSION } from '../version.js';
import { findTraces, findTracesInEventStream, findTracesInExtraction, type FoundTraces, type TraceCandidate } from '../a2a/find-traces.js';
import * as errors from '../error-catalog.js';

/**
 * Runs `work`, turning a stack overflow into a 400: JSON that parses can still nest too deeply for
 * the recursive walks after it (envelope search, JSON.stringify of parameters). V8 unwinds a stack
 * overflow cleanly, so catching it here costs nothing on the normal path.
 */
function refuseStackOverflow<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isStackOverflow(error)) {
      throw errors.nestedTooDeeplyToRead();
    }
    throw error;
  }
}

/** Per-request context of an ingest. */
export interface IngestContext {
  /**
   * W3C `traceparent` of the request: the traces join that trace under that span. It wins over a
   * `traceparent` in an envelope's metadata.
   */
  readonly traceparent?: string | undefined;
  /** service.name of the agent that produced the traces; the configured default otherwise. */
  readonly service?: string | undefined;
}

/** What was accepted of one trace. */
export interface AcceptedTrace {
  /** OTel trace id (32 hex) the trace's spans carry. */
  readonly traceId: string;
  /** The producer's trace id. */
  readonly a2aTraceId: string;
  /** Steps accepted, nested ones included, except those left to callees' own sidecars. */
  readonly stepCount: number;
  /** Nested steps of callees that run a sidecar of their own (`accounting.sidecar_agents`): linked, not taken. */
  readonly linkedStepCount: number;
  /** Tolerated oddities. */
  readonly warnings: readonly ReadWarning[];
}

/** A trace read and ready to map, with what came with it. */
export interface IntakeTrace extends ReadResult {
  /** The A2A envelope the trace was found in: its ids, timestamps and `traceparent` reach the spans. */
  readonly envelope?: EnvelopeContext | undefined;
}

/** Intake settings from configuration. */
export interface IntakeOptions extends ReadLimits {
  readonly defaultService: string;
  readonly costMode: CostMode;
  /** Callees whose nested traces their own sidecar counts. Default: none. */
  readonly calleeHasSidecar?: CalleeHasSidecar | undefined;
  /** The price table in force, for steps with tokens and a model but no cost. Default: none (such steps stay unpriced). */
  readonly prices?: (() => Pricer) | undefined;
}

/**
 * The intake `config` describes, with its mapper: the one place the mapping, reading and accounting
 * settings are taken from the config, for the server, the proxy and `convert` alike.
 */
export function traceIntakeFromConfig(config: CollectorConfig, consumer: IntakeConsumer, metrics: SelfMetrics, prices?: () => Pricer): TraceIntake {
  return new TraceIntake(new SpanMapper(mappingOptionsFrom(config)), consumer, { ...intakeOptionsFrom(config), prices }, metrics);
}

/** The mapping settings of `config` (`mapping`, `service.resource_attributes`). */
export function mappingOptionsFrom(config: CollectorConfig): MappingOptions {
  return {
    currency: config.mapping.currency,
    maxAttributeLength: config.mapping.max_attribute_length,
    resourceAttributes: config.service.resource_attributes,
    collectorVersion: COLLECTOR_VERSION,
  };
}

/** The reading and accounting settings of `config` (`service.name`, `mapping`, `accounting.sidecar_agents`). */
export function intakeOptionsFrom(config: CollectorConfig): IntakeOptions {
  return {
    defaultService: config.service.name,
    costMode: config.mapping.cost_mode,
    maxNestingDepth: config.mapping.max_nesting_depth,
    maxSteps: config.mapping.max_steps_per_trace,
    calleeHasSidecar: calleesWithSidecar(config.accounting.sidecar_agents),
  };
}

function nowTimestamp(): TraceTimestamp {
  const millis = Date.now();
  return { raw: '', epochSeconds: Math.floor(millis / 1000), nanos: (millis % 1000) * 1e6, zoneAssumed: false };
}

/** Turns ingest bodies into spans in the pipeline. */
export class TraceIntake {
  constructor(
    private readonly mapper: SpanMapper,
    private readonly consumer: IntakeConsumer,
    private readonly options: IntakeOptions,
    private readonly metrics: SelfMetrics,
  ) {
    this.readLimits = { ...options, passThroughAttributeName };
  }

  private readonly readLimits: ReadLimits;

  /**
   * Ingests every trace in `body` (already JSON-decoded): bare traces, arrays of them, and A2A
   * envelopes (src/a2a).
   * @throws CollectorError 400-class when the body or any trace in it is invalid (nothing is taken),
   *   `A2A_ERR_NO_TRACE_IN_ENVELOPE` for an envelope without a trace,
   *   `A2A_ERR_QUEUE_FULL` when the pipeline has no room (nothing is taken).
   */
  ingest(body: unknown, context: IngestContext = {}): AcceptedTrace[] {
    return refuseStackOverflow(() => this.ingestFound(findTraces(body), context));
  }

  /**
   * Ingests a body given as text: a `text/event-stream` transcript when the media type says so,
   * JSON otherwise, unless the text is not JSON but reads as an event stream (a transcript saved
   * to a file and sent with curl -d).
   * @throws CollectorError as {@link ingest}, and `A2A_ERR_INVALID_JSON` for text that is neither.
   */
  ingestText(raw: string, mediaType: string | undefined, context: IngestContext = {}): AcceptedTrace[] {
    // Editors on some systems save a UTF-8 byte order mark, which JSON.parse refuses.
    const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (mediaType !== undefined && isEventStreamMediaType(mediaType)) return this.ingestEventStream(text, context);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (looksLikeEventStream(text)) return this.ingestEventStream(text, context);
      throw errors.invalidJson((error as Error).message);
    }
    return this.ingest(body, context);
  }

  /**
   * Ingests every trace in a `text/event-stream` transcript of `message/stream` or
   * `SendStreamingMessage`; all its events are one envelope.
   * @throws CollectorError as {@link ingest}, and `A2A_ERR_INVALID_JSON` when an event's data is not JSON.
   */
  ingestEventStream(text: string, context: IngestContext = {}): AcceptedTrace[] {
    return refuseStackOverflow(() => this.ingestFound(findTracesInEventStream(text), context));
  }

  /**
   * Ingests the traces of one A2A extraction (what the proxy sidecar reads from a response).
   * @throws CollectorError as {@link ingest}.
   */
  ingestExtraction(extraction: Extraction, context: IngestContext = {}): AcceptedTrace[] {
    return refuseStackOverflow(() => this.ingestFound(findTracesInExtraction(extraction), context));
  }

  /**
   * Reads every copy of every trace (each refused at its own path), and only then merges the copies
   * of one trace id (repeated-traces.ts) and reads each merge, whose steps were all read already.
   */
  private ingestFound(found: FoundTraces, context: IngestContext): AcceptedTrace[] {
    const issues = new IssueList();
    issues.addAll(found.issues);
    const readCopies = new Map<TraceCandidate, ReadResult>();
    for (const candidate of found.candidates) {
      const result = readResponseTraceInto(candidate.value, candidate.path, this.readLimits, issues);
      if (result !== undefined) readCopies.set(candidate, result);
    }
    const merged = issues.count === 0 ? mergeRepeatedTraces(found.candidates) : [];
    for (const candidate of merged) {
      if (readCopies.has(candidate)) continue;
      // A merge of valid copies can still pass the step limit.
      const result = readResponseTraceInto(candidate.value, candidate.path, this.readLimits, issues);
      if (result !== undefined) readCopies.set(candidate, result);
    }
    if (issues.count > 0) throw errors.invalidTraces(issues);
    const read: IntakeTrace[] = [];
    for (const candidate of merged) {
      const result = readCopies.get(candidate) as ReadResult;
      const warnings = [...result.warnings, ...(candidate.envelope?.warnings ?? []), ...found.warnings];
      read.push({ trace: result.trace, warnings, envelope: candidate.envelope });
    }
    return this.accept(read, context);
  }

  /** Maps already-read traces and hands them to the pipeline. */
  accept(traces: readonly IntakeTrace[], context: IngestContext): AcceptedTrace[] {
    const receivedAt = nowTimestamp();
    const { spans, accepted, stepCount } = this.map(traces, context, receivedAt);
    const record: SpoolRecord = { version: 1, receivedAt, context: { traceparent: context.traceparent, service: context.service }, traces };
    this.consumer.consume(spans, { toRecord: (taken) => Buffer.from(JSON.stringify({ ...record, taken })) });
    this.metrics.receivedTraces.inc(accepted.length);
    this.metrics.receivedSteps.inc(stepCount);
    return accepted;
  }

  /** Resolves once everything accepted so far is durable; callers answer 202 only after it. */
  durable(): Promise<void> {
    return this.consumer.durable();
  }

  /**
   * The spans a spool record's request was accepted with, mapped again as they were then (the ids
   * are deterministic, the arrival time is in the record).
   * @throws Error when the record is not one this version wrote.
   */
  spansOfRecord(payload: Buffer): ReadableSpan[] {
    const record = JSON.parse(payload.toString('utf8')) as SpoolRecord & { taken?: readonly number[] | null };
    if (record.version !== 1) throw new Error(`spool record version ${String(record.version)} is not readable by this collector`);
    const context: IngestContext = { traceparent: record.context.traceparent ?? undefined, service: record.context.service ?? undefined };
    const { spans } = this.map(record.traces, context, record.receivedAt);
    const taken = record.taken ?? undefined;
    return taken === undefined ? spans : taken.map((index) => spans[index]).filter((span): span is ReadableSpan => span !== undefined);
  }

  private map(traces: readonly IntakeTrace[], context: IngestContext, receivedAt: TraceTimestamp): { spans: ReadableSpan[]; accepted: AcceptedTrace[]; stepCount: number } {
    const headerParent = parseTraceParent(context.traceparent);
    const service = context.service ?? this.options.defaultService;
    const spans: ReadableSpan[] = [];
    const accepted: AcceptedTrace[] = [];
    let stepCount = 0;
    for (const { trace, warnings, envelope } of traces) {
      const allWarnings = [...warnings];
      if (context.traceparent !== undefined && headerParent === undefined) {
        allWarnings.push({ path: '', code: 'traceparent_invalid', message: 'traceparent header is not valid W3C trace context; ignored' });
      }
      let parent = headerParent;
      const fromEnvelope = envelope?.traceparent;
      if (parent === undefined && fromEnvelope !== undefined) {
        parent = parseTraceParent(fromEnvelope.value);
        if (parent === undefined) {
          allWarnings.push({
            path: fromEnvelope.path,
            code: 'traceparent_invalid',
            message: 'traceparent in the envelope metadata is not valid W3C trace context; ignored',
          });
        }
      }
      const tree = buildStepTree(trace, service, this.options.costMode, allWarnings, this.options.calleeHasSidecar, this.options.prices?.());
      const otelTraceId = parent?.traceId ?? toOtelTraceId(trace.traceId);
      // A loop, not push(...): a spread of very many spans overflows the stack.
      for (const span of this.mapper.toReadableSpans({ tree, otelTraceId, parentSpanId: parent?.spanId, receivedAt, envelope })) spans.push(span);
      let linkedStepCount = 0;
      for (const node of tree.nodes) if (node.countedElsewhere) linkedStepCount++;
      const taken = tree.nodes.length - linkedStepCount;
      accepted.push({ traceId: otelTraceId, a2aTraceId: trace.traceId, stepCount: taken, linkedStepCount, warnings: allWarnings });
      stepCount += taken;
    }
    return { spans, accepted, stepCount };
  }
}

/** What the spool keeps of an accepted request: enough to map it again exactly. */
interface SpoolRecord {
  readonly version: 1;
  readonly receivedAt: TraceTimestamp;
  readonly context: { readonly traceparent: string | undefined; readonly service: string | undefined };
  readonly traces: readonly IntakeTrace[];
}
