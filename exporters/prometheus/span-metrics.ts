/**
 * @module Span metrics for Prometheus (DESIGN §4): counts with prom-client what the counted-once
 * ledger reports (src/accounting): each span's exclusive cost and tokens by their change only, each
 * step once, each trace's duration and cost once. Labels come from the attributes the mapping wrote;
 * every label goes through a {@link LabelLimiter}, and every metric's label combinations through a
 * {@link SeriesLimiter}.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToSeconds } from '@opentelemetry/core';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { UsageBatch, UsageConsumer } from '../../src/accounting/counted-once-ledger.js';
import * as names from '../../src/mapping/attribute-names.js';
import { LabelLimiter, SeriesLimiter } from './label-limiter.js';

/** Settings of the span metrics. */
export interface SpanMetricsOptions {
  /** Most distinct values per label before new ones become `__overflow__`. */
  readonly maxLabelValues: number;
  /** Most label combinations per metric, the all-`__overflow__` one included. */
  readonly maxSeries: number;
  /** Step duration histogram buckets, in seconds. */
  readonly durationBucketsSeconds?: readonly number[];
  /** Cost-per-trace histogram buckets, in the cost's own unit. */
  readonly traceCostBuckets?: readonly number[];
  /** Currency label of traces whose steps carry no cost (the collector's `mapping.currency`). */
  readonly currency: string;
}

const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const DEFAULT_TRACE_COST_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100];

/** Counts cost, tokens, steps and durations as the ledger reports them. */
export class SpanMetrics implements UsageConsumer {
  private readonly cost: Counter<'agent' | 'call_type' | 'target' | 'currency'>;
  private readonly tokens: Counter<'agent' | 'call_type' | 'target'>;
  private readonly steps: Counter<'agent' | 'call_type' | 'status'>;
  private readonly stepDuration: Histogram<'agent' | 'call_type'>;
  private readonly traceDuration: Histogram;
  private readonly traceCost: Histogram<'currency'>;
  private readonly unpricedTokens: Counter<'model'>;
  private readonly models: LabelLimiter;
  private readonly unpricedSeries: SeriesLimiter<'model'>;
  private readonly agents: LabelLimiter;
  private readonly targets: LabelLimiter;
  private readonly callTypes = new LabelLimiter(8);
  private readonly currencies = new LabelLimiter(8, 16);
  private readonly defaultCurrency: string;
  private readonly costSeries: SeriesLimiter<'agent' | 'call_type' | 'target' | 'currency'>;
  private readonly tokenSeries: SeriesLimiter<'agent' | 'call_type' | 'target'>;
  private readonly stepSeries: SeriesLimiter<'agent' | 'call_type' | 'status'>;
  private readonly stepDurationSeries: SeriesLimiter<'agent' | 'call_type'>;

  constructor(registry: Registry, options: SpanMetricsOptions) {
    const registers = [registry];
    this.defaultCurrency = options.currency;
    this.agents = new LabelLimiter(options.maxLabelValues);
    this.targets = new LabelLimiter(options.maxLabelValues);
    const maxSeries = options.maxSeries;
    this.costSeries = new SeriesLimiter(['agent', 'call_type', 'target', 'currency'], maxSeries);
    this.tokenSeries = new SeriesLimiter(['agent', 'call_type', 'target'], maxSeries);
    this.stepSeries = new SeriesLimiter(['agent', 'call_type', 'status'], maxSeries);
    this.stepDurationSeries = new SeriesLimiter(['agent', 'call_type'], maxSeries);
    this.models = new LabelLimiter(options.maxLabelValues);
    this.unpricedSeries = new SeriesLimiter(['model'], maxSeries);
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
      help: 'Steps counted once each, by status (ok or error): when first seen ended, or when their trace settles.',
      labelNames: ['agent', 'call_type', 'status'],
      registers,
    });
    this.unpricedTokens = new Counter({
      name: 'a2a_unpriced_tokens_total',
      help: 'Exclusive tokens of steps that reported no cost and that no price covers, by model (`unknown` when the step names none): the cost metrics leave them out.',
      labelNames: ['model'],
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
      help: 'Earliest start to latest end of each trace, observed once when it settles.',
      buckets: [...(options.durationBucketsSeconds ?? DEFAULT_DURATION_BUCKETS)],
      registers,
    });
    this.traceCost = new Histogram({
      name: 'a2a_trace_cost',
      help: 'Total exclusive cost of each trace, observed once when it settles, in the currency label.',
      labelNames: ['currency'],
      buckets: [...(options.traceCostBuckets ?? DEFAULT_TRACE_COST_BUCKETS)],
      registers,
    });
  }

  /**
   * Counts a batch whole or not at all: every label set and value is worked out and checked first
   * (a value that is not a finite number at least 0 refuses the batch, as prom-client would halfway
   * through it), then counted. Checking may take a slot of a label's bounded values; it counts nothing.
   */
  record(batch: UsageBatch): void {
    // Summed per series first: a batch of a hundred steps of one agent is one increment per counter.
    // Keys are the raw label values, so the limiters (deterministic for a value they have seen) are
    // asked once per distinct value in the batch, not once per step.
    const steps = new SeriesSums<'agent' | 'call_type' | 'status'>();
    const costs = new SeriesSums<'agent' | 'call_type' | 'target' | 'currency'>();
    const tokens = new SeriesSums<'agent' | 'call_type' | 'target'>();
    const unpriced = new SeriesSums<'model'>();
    const bases = new Map<string, { agent: string; callType: string; duration: Readonly<Record<'agent' | 'call_type', string>> | undefined }>();
    const durations: Array<[Readonly<Record<'agent' | 'call_type', string>>, number]> = [];
    for (const { span, costDelta, tokensDelta, countStep } of batch.deltas) {
      const a = span.attributes;
      const rawAgent = String(span.resource.attributes[names.ATTR_SERVICE_NAME] ?? 'unknown_service');
      const rawKind = String(a[names.ATTR_STEP_KIND] ?? 'other');
      const baseKey = `${rawAgent}\u0000${rawKind}`;
      let base = bases.get(baseKey);
      if (base === undefined) {
        base = { agent: this.agents.value(rawAgent), callType: this.callTypes.value(rawKind), duration: undefined };
        bases.set(baseKey, base);
      }
      const { agent, callType } = base;
      if (countStep) {
        const status = span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok';
        steps.add(`${baseKey}\u0000${status}`, () => this.stepSeries.labels({ agent, call_type: callType, status }), 1);
        base.duration ??= this.stepDurationSeries.labels({ agent, call_type: callType });
        durations.push([base.duration, checked(Math.max(0, hrTimeToSeconds(span.duration)), 'step duration')]);
      }
      if (costDelta <= 0 && tokensDelta <= 0) continue;
      // A model call's target is its model (OTel GenAI `chat` spans name no tool or agent).
      const rawTarget = String(a[names.ATTR_GEN_AI_TOOL_NAME] ?? a[names.ATTR_GEN_AI_AGENT_NAME] ?? a[names.ATTR_GEN_AI_RESPONSE_MODEL] ?? a[names.ATTR_GEN_AI_REQUEST_MODEL] ?? '');
      const targetKey = `${baseKey}\u0000${rawTarget}`;
      const target = (): string => this.targets.value(rawTarget);
      if (costDelta > 0) {
        const spanCurrency = a[names.ATTR_COST_CURRENCY];
        const rawCurrency = typeof spanCurrency === 'string' ? spanCurrency : this.defaultCurrency;
        const value = checked(costDelta, 'cost');
        costs.add(`${targetKey}\u0000${rawCurrency}`, () => this.costSeries.labels({ agent, call_type: callType, target: target(), currency: this.currencies.value(rawCurrency) }), value);
      }
      if (tokensDelta > 0) {
        const value = checked(tokensDelta, 'tokens');
        tokens.add(targetKey, () => this.tokenSeries.labels({ agent, call_type: callType, target: target() }), value);
        const model = a[names.ATTR_COST_UNPRICED_MODEL];
        if (typeof model === 'string') unpriced.add(model, () => this.unpricedSeries.labels({ model: this.models.value(model === '' ? 'unknown' : model) }), value);
      }
    }
    const traces = batch.settled.map((trace) => ({
      duration: checked(trace.durationSeconds, 'trace duration'),
      cost: checked(trace.cost, 'trace cost'),
      currency: { currency: this.currencies.value(trace.currency ?? this.defaultCurrency) },
    }));
    costs.check('cost');
    tokens.check('tokens');
    unpriced.check('tokens');
    steps.countInto(this.steps);
    for (const [labels, seconds] of durations) this.stepDuration.observe(labels, seconds);
    costs.countInto(this.cost);
    tokens.countInto(this.tokens);
    unpriced.countInto(this.unpricedTokens);
    for (const { duration, cost, currency } of traces) {
      this.traceDuration.observe(duration);
      this.traceCost.observe(currency, cost);
    }
  }
}

/** Per-series sums of one batch, in the order the series were first seen. */
class SeriesSums<Label extends string> {
  private readonly sums = new Map<string, { labels: Readonly<Record<Label, string>>; value: number }>();

  /** Adds `value` to the series of `key` (raw label values), whose labels `labelsOf` works out the first time. */
  add(key: string, labelsOf: () => Readonly<Record<Label, string>>, value: number): void {
    const sum = this.sums.get(key);
    if (sum === undefined) this.sums.set(key, { labels: labelsOf(), value });
    else sum.value += value;
  }

  /** @throws RangeError when a sum is past what a double holds, before anything is counted. */
  check(what: string): void {
    for (const { value } of this.sums.values()) checked(value, what);
  }

  countInto(counter: Counter<Label>): void {
    for (const { labels, value } of this.sums.values()) counter.inc(labels, value);
  }
}

/** `value` if prom-client can count it (a finite number, at least 0). */
function checked(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} ${value} cannot be counted: not a finite number at least 0`);
  return value;
}
