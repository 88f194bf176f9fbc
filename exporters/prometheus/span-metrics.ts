/**
 * @module Span metrics for Prometheus (DESIGN §4): a SpanExporter that reads the attributes the
 * mapping wrote (exclusive cost and tokens, call type, status) and counts them with prom-client.
 * Every label goes through a {@link LabelLimiter}.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Counter, Histogram, type Registry } from 'prom-client';
import * as names from '../../src/mapping/attribute-names.js';
import { LabelLimiter } from './label-limiter.js';

/** Settings of the span metrics. */
export interface SpanMetricsOptions {
  /** Most distinct values per label before new ones become `__overflow__`. Default 100. */
  readonly maxLabelValues?: number;
  /** Step duration histogram buckets, in seconds. */
  readonly durationBucketsSeconds?: readonly number[];
  /** Cost-per-trace histogram buckets, in the cost's own unit. */
  readonly traceCostBuckets?: readonly number[];
  /** Currency label of traces whose steps carry no cost (the collector's `mapping.currency`). Default `USD`. */
  readonly currency?: string;
}

const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const DEFAULT_TRACE_COST_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100];

function hrSeconds(time: [number, number] | readonly [number, number]): number {
  return time[0] + time[1] / 1e9;
}

/** Counts cost, tokens, steps and durations of every span it is given. */
export class SpanMetricsExporter implements SpanExporter {
  private readonly cost: Counter<'agent' | 'call_type' | 'target' | 'currency'>;
  private readonly tokens: Counter<'agent' | 'call_type' | 'target'>;
  private readonly steps: Counter<'agent' | 'call_type' | 'status'>;
  private readonly stepDuration: Histogram<'agent' | 'call_type'>;
  private readonly traceDuration: Histogram;
  private readonly traceCost: Histogram<'currency'>;
  private readonly agents: LabelLimiter;
  private readonly targets: LabelLimiter;
  private readonly callTypes = new LabelLimiter(8);
  private readonly currencies = new LabelLimiter(8, 16);
  private readonly defaultCurrency: string;

  constructor(registry: Registry, options: SpanMetricsOptions = {}) {
    const registers = [registry];
    this.defaultCurrency = options.currency ?? 'USD';
    this.agents = new LabelLimiter(options.maxLabelValues ?? 100);
    this.targets = new LabelLimiter(options.maxLabelValues ?? 100);
    this.cost = new Counter({
      name: 'a2a_cost_total',
      help: 'Exclusive cost of steps (never double-counted across parents and children), in the currency label.',
      labelNames: ['agent', 'call_type', 'target', 'currency'],
      registers,
    });
    this.tokens = new Counter({
      name: 'a2a_tokens_total',
      help: 'Exclusive tokens of steps.',
      labelNames: ['agent', 'call_type', 'target'],
      registers,
    });
    this.steps = new Counter({
      name: 'a2a_steps_total',
      help: 'Steps seen, by status (ok or error).',
      labelNames: ['agent', 'call_type', 'status'],
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'a2a_step_duration_seconds',
      help: 'Duration of steps.',
      labelNames: ['agent', 'call_type'],
      buckets: [...(options.durationBucketsSeconds ?? DEFAULT_DURATION_BUCKETS)],
      registers,
    });
    this.traceDuration = new Histogram({
      name: 'a2a_trace_duration_seconds',
      help: 'Earliest start to latest end of each ingested trace.',
      buckets: [...(options.durationBucketsSeconds ?? DEFAULT_DURATION_BUCKETS)],
      registers,
    });
    this.traceCost = new Histogram({
      name: 'a2a_trace_cost',
      help: 'Total exclusive cost of each ingested trace, in the currency label.',
      labelNames: ['currency'],
      buckets: [...(options.traceCostBuckets ?? DEFAULT_TRACE_COST_BUCKETS)],
      registers,
    });
  }

  /** Expects the spans of whole traces in one call (the pipeline hands them over that way). */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const perTrace = new Map<string, { start: number; end: number; cost: number; currency: string | undefined }>();
    for (const span of spans) {
      const a = span.attributes;
      const agent = this.agents.value(String(span.resource.attributes[names.ATTR_SERVICE_NAME] ?? 'unknown_service'));
      const callType = this.callTypes.value(String(a[names.ATTR_STEP_KIND] ?? 'other'));
      const target = this.targets.value(String(a[names.ATTR_GEN_AI_TOOL_NAME] ?? a[names.ATTR_GEN_AI_AGENT_NAME] ?? ''));
      const status = span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok';
      this.steps.inc({ agent, call_type: callType, status });
      const seconds = Math.max(0, hrSeconds(span.duration));
      this.stepDuration.observe({ agent, call_type: callType }, seconds);
      const cost = a[names.ATTR_STEP_COST_EXCLUSIVE];
      const spanCurrency = a[names.ATTR_COST_CURRENCY];
      const currency = this.currencies.value(typeof spanCurrency === 'string' ? spanCurrency : this.defaultCurrency);
      if (typeof cost === 'number' && cost > 0) this.cost.inc({ agent, call_type: callType, target, currency }, cost);
      const tokens = a[names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE];
      if (typeof tokens === 'number' && tokens > 0) this.tokens.inc({ agent, call_type: callType, target }, tokens);

      const traceId = span.spanContext().traceId;
      const start = hrSeconds(span.startTime);
      const end = hrSeconds(span.endTime);
      const trace = perTrace.get(traceId);
      const spanCost = typeof cost === 'number' && cost > 0 ? cost : 0;
      // The trace's currency is that of its costed steps; steps without a cost carry none.
      const costCurrency = typeof cost === 'number' ? currency : undefined;
      if (trace === undefined) perTrace.set(traceId, { start, end, cost: spanCost, currency: costCurrency });
      else {
        trace.start = Math.min(trace.start, start);
        trace.end = Math.max(trace.end, end);
        trace.cost += spanCost;
        trace.currency ??= costCurrency;
      }
    }
    for (const trace of perTrace.values()) {
      this.traceDuration.observe(Math.max(0, trace.end - trace.start));
      this.traceCost.observe({ currency: trace.currency ?? this.currencies.value(this.defaultCurrency) }, trace.cost);
    }
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
