/**
 * @module The embedded default's store: recent traces in memory, bounded by trace count, by spans
 * per trace and by bytes, whatever the arrival pattern: oldest traces evicted first, and a trace
 * over its own bound loses its oldest spans. It is a SpanExporter, so it takes spans like any other exporter.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as names from '../mapping/attribute-names.js';
import { OldestFirst } from '../oldest-first.js';
import { estimateSpanBytes } from '../fan-out/span-size.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import { toStepView, type StepView } from './step-view.js';
import { toTraceSummary, type TraceSummary } from './trace-summary.js';

/** Bounds of the store. */
export interface TraceStoreOptions {
  /** Most traces kept. */
  readonly maxTraces: number;
  /** Most bytes (estimated) kept, the newest trace included. */
  readonly maxBytes: number;
  /** Most spans kept of one trace; past it the trace's spans stored first are dropped. */
  readonly maxSpansPerTrace: number;
}

/** A span with what the store reads from it, read before anything changes. */
interface StagedSpan {
  readonly span: ReadableSpan;
  readonly traceId: string;
  readonly spanId: string;
  readonly bytes: number;
  readonly a2aTraceId: string | undefined;
}

interface StoredTrace {
  readonly traceId: string;
  readonly spans: Map<string, ReadableSpan>;
  readonly a2aTraceIds: Set<string>;
  bytes: number;
  receivedAt: number;
}

/** A trace as the query API returns it. */
export interface TraceDetail {
  readonly traceId: string;
  readonly a2aTraceIds: readonly string[];
  readonly receivedAt: string;
  readonly summary: TraceSummary;
  readonly steps: readonly StepView[];
}

/** One line of the trace list. */
export interface TraceListItem {
  readonly traceId: string;
  readonly a2aTraceIds: readonly string[];
  readonly receivedAt: string;
  readonly rootName: string | null;
  readonly rootService: string | null;
  readonly summary: TraceSummary;
}

/**
 * Bounded in-memory trace store. Re-sent spans (same span id) replace the earlier copy in place.
 * After every export it holds at most `maxTraces` traces, `maxSpansPerTrace` spans per trace and
 * `maxBytes` bytes: a trace re-sent with new steps forever, or one alone over `maxBytes`, loses its
 * spans stored first (counted in `a2a_collector_store_dropped_spans_total`).
 */
export class TraceStore implements SpanExporter {
  private readonly maxTraces: number;
  private readonly maxBytes: number;
  private readonly maxSpansPerTrace: number;
  // Map iteration order is insertion order: re-inserting on update makes the first key the oldest.
  private readonly traces = new Map<string, StoredTrace>();
  /** Eviction's place in {@link traces}: every trace it returns is forgotten. */
  private readonly oldest = new OldestFirst(this.traces);
  private readonly byA2ATraceId = new Map<string, string>();
  private totalBytes = 0;

  constructor(
    options: TraceStoreOptions,
    private readonly metrics?: SelfMetrics,
  ) {
    this.maxTraces = options.maxTraces;
    this.maxBytes = options.maxBytes;
    this.maxSpansPerTrace = options.maxSpansPerTrace;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.stage(spans)();
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  /**
   * Reads what storing `spans` needs from them (ids, size, A2A trace id) and returns the change,
   * which is map updates only. Reading changes nothing, so a span that cannot be read refuses the
   * request before anything else took it.
   */
  stage(spans: readonly ReadableSpan[], spanBytes?: readonly number[]): () => void {
    const entries = spans.map((span, index): StagedSpan => {
      const { traceId, spanId } = span.spanContext();
      const a2aTraceId = span.attributes[names.ATTR_TRACE_ID];
      const bytes = spanBytes?.[index] ?? estimateSpanBytes(span);
      return { span, traceId, spanId, bytes, a2aTraceId: typeof a2aTraceId === 'string' ? a2aTraceId : undefined };
    });
    return () => {
      const now = Date.now();
      let trace: StoredTrace | undefined;
      for (const entry of entries) trace = this.add(entry, now, trace);
      this.evict();
    };
  }

  /** Adds one span; `current` is the trace the span before it went to (a request's spans come trace by trace). */
  private add({ span, traceId, spanId, bytes, a2aTraceId }: StagedSpan, now: number, current: StoredTrace | undefined): StoredTrace {
    let trace = current?.traceId === traceId && this.traces.get(traceId) === current ? current : this.traces.get(traceId);
    if (trace === undefined) {
      trace = { traceId, spans: new Map(), a2aTraceIds: new Set(), bytes: 0, receivedAt: now };
      this.traces.set(traceId, trace);
    } else if (trace !== current) {
      // Map order is recency: the trace moves to the end.
      this.traces.delete(traceId);
      trace.receivedAt = now;
      this.traces.set(traceId, trace);
    }
    const previous = trace.spans.get(spanId);
    if (previous !== undefined) {
      const previousBytes = estimateSpanBytes(previous);
      trace.bytes -= previousBytes;
      this.totalBytes -= previousBytes;
    }
    trace.spans.set(spanId, span);
    trace.bytes += bytes;
    this.totalBytes += bytes;
    if (trace.spans.size > this.maxSpansPerTrace) this.dropOldestSpan(trace, 'trace_span_limit');
    if (a2aTraceId !== undefined && !trace.a2aTraceIds.has(a2aTraceId)) {
      trace.a2aTraceIds.add(a2aTraceId);
      this.byA2ATraceId.set(a2aTraceId, traceId);
    }
    return trace;
  }

  /** Drops the span of `trace` stored first (Map order), and the trace when it was its last. */
  private dropOldestSpan(trace: StoredTrace, reason: 'trace_span_limit' | 'store_bytes'): void {
    const [spanId, span] = trace.spans.entries().next().value as [string, ReadableSpan];
    trace.spans.delete(spanId);
    const bytes = estimateSpanBytes(span);
    trace.bytes -= bytes;
    this.totalBytes -= bytes;
    this.metrics?.storeDroppedSpans.inc({ reason });
    if (trace.spans.size === 0) this.forget(trace);
  }

  private forget(trace: StoredTrace): void {
    this.traces.delete(trace.traceId);
    this.totalBytes -= trace.bytes;
    for (const a2aTraceId of trace.a2aTraceIds) {
      if (this.byA2ATraceId.get(a2aTraceId) === trace.traceId) this.byA2ATraceId.delete(a2aTraceId);
    }
  }

  private evict(): void {
    while (this.traces.size > 1 && (this.traces.size > this.maxTraces || this.totalBytes > this.maxBytes)) {
      const oldest = this.oldest.next();
      if (oldest === undefined) break;
      this.forget(oldest);
      this.metrics?.storeEvictedTraces.inc();
    }
    if (this.totalBytes <= this.maxBytes) return;
    // Left over the byte bound, the store holds one trace, the newest: it keeps its newest spans, as many as fit.
    const only = this.traces.values().next().value;
    while (only !== undefined && this.totalBytes > this.maxBytes && only.spans.size > 0) this.dropOldestSpan(only, 'store_bytes');
  }

  /** Estimated bytes of the spans held; at most `maxBytes` after every export. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Number of traces held. */
  get size(): number {
    return this.traces.size;
  }

  /** A trace by OTel trace id (32 hex, any case) or by any A2A trace id it holds; undefined when unknown. */
  get(id: string): TraceDetail | undefined {
    const trace = this.traces.get(id.toLowerCase()) ?? this.traces.get(this.byA2ATraceId.get(id) ?? '');
    if (trace === undefined) return undefined;
    const spans = [...trace.spans.values()];
    const steps = spans.map(toStepView);
    return {
      traceId: trace.traceId,
      a2aTraceIds: [...trace.a2aTraceIds],
      receivedAt: new Date(trace.receivedAt).toISOString(),
      summary: toTraceSummary(spans, steps),
      steps,
    };
  }

  /** The most recently received traces first, at most `limit`. */
  list(limit = 100): TraceListItem[] {
    const items: TraceListItem[] = [];
    const all = [...this.traces.values()];
    for (let i = all.length - 1; i >= 0 && items.length < limit; i--) {
      const trace = all[i] as StoredTrace;
      const spans = [...trace.spans.values()];
      const steps = spans.map(toStepView);
      const root = steps.find((step) => step.parentSpanId === null || !trace.spans.has(step.parentSpanId));
      items.push({
        traceId: trace.traceId,
        a2aTraceIds: [...trace.a2aTraceIds],
        receivedAt: new Date(trace.receivedAt).toISOString(),
        rootName: root?.name ?? null,
        rootService: root?.service ?? null,
        summary: toTraceSummary(spans, steps),
      });
    }
    return items;
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
