/**
 * @module The counted-once ledger (DESIGN §10, accounting): remembers which version of each span
 * was already exported and counted, so that a trace read again (polling, `tasks/get`, a resubscribe,
 * a re-POST, a stream that repeats a growing trace) reaches the exporters and the metrics only with
 * what changed. Bounded in bytes; the oldest traces are forgotten first.
 */
import { hash } from 'node:crypto';
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OldestFirst } from '../oldest-first.js';
import * as names from '../mapping/attribute-names.js';
import { RoundedSum } from '../model/cost-arithmetic.js';
import type { SpanConsumer } from '../fan-out/pipeline.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';

/** What one accepted span adds to the metrics. */
export interface UsageDelta {
  /** The span as accepted (its labels: service, kind, target, status, currency). */
  readonly span: ReadableSpan;
  /** Exclusive cost not counted before, at least 0. */
  readonly costDelta: number;
  /** Exclusive tokens not counted before, at least 0. */
  readonly tokensDelta: number;
  /** True exactly once per span: when it is first counted as a step (step count, step duration). */
  readonly countStep: boolean;
}

/** A trace whose trace-level figures (duration, total cost) are final enough to observe, once. */
export interface SettledTrace {
  readonly traceId: string;
  /** Earliest start to latest end of its spans, in seconds. */
  readonly durationSeconds: number;
  /** Sum of its spans' exclusive costs, rounded to the precision of its terms. */
  readonly cost: number;
  /** Currency of its costed spans; undefined when none carried a cost. */
  readonly currency: string | undefined;
}

/** What one change of the ledger adds to the metrics. */
export interface UsageBatch {
  readonly deltas: readonly UsageDelta[];
  /** Traces settled by this change, each once while the ledger remembers it. */
  readonly settled: readonly SettledTrace[];
}

/** Where the ledger reports what to count: the span metrics. */
export interface UsageConsumer {
  /**
   * Counts a batch whole, or throws having counted none of it: the ledger then takes back the change
   * the batch came from, so that the request that made it changes nothing.
   */
  record(batch: UsageBatch): void;
}

/** Bounds and timing of the ledger. */
export interface LedgerOptions {
  /** Most bytes the ledger may hold, estimated per remembered span and trace. */
  readonly maxBytes: number;
  /**
   * How long a trace that is not complete (a step in flight, an orphan) waits after its last change
   * before its duration and total cost are observed, in milliseconds.
   */
  readonly settleMillis: number;
  /** Clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Estimated heap bytes of one remembered span (Map entry, id key, record, fingerprint) and of one
 * remembered trace besides its spans: 8 to 12% above the heap that `npm run bench` measures
 * (bench/ledger-heap-probe.ts, 100,000 spans in traces of 1, 10 and 100).
 */
export const SPAN_RECORD_BYTES = 320;
export const TRACE_RECORD_BYTES = 640;

interface SpanRecord {
  fingerprint: string;
  cost: number;
  tokens: number;
  stepCounted: boolean;
  /** Ended and not orphaned: nothing more is expected of it. */
  final: boolean;
  /** The latest version while the step is not counted yet, for counting it when its trace settles. */
  uncounted: ReadableSpan | undefined;
}

interface TraceRecord {
  readonly traceId: string;
  readonly spans: Map<string, SpanRecord>;
  /** Spans not yet final. */
  openSpans: number;
  /** Cost taken back by a later version (a parent whose share moved to a child listed later), still to offset. */
  costDebt: number;
  tokensDebt: number;
  earliest: HrTime | undefined;
  latest: HrTime | undefined;
  currency: string | undefined;
  lastChangeMillis: number;
  settled: boolean;
}

/**
 * What one commit changed in the ledger, to take it back if the metrics refuse the batch. Trace
 * recency (Map order) is not restored: it only decides which trace is forgotten first.
 */
class LedgerJournal {
  private readonly traces = new Map<TraceRecord, Omit<TraceRecord, 'traceId' | 'spans'> | undefined>();
  private readonly spans = new Map<SpanRecord, SpanRecord | undefined>();
  private readonly addedSpans: Array<[TraceRecord, string]> = [];

  /** Before `trace` changes; `created` when the commit made it. */
  trace(trace: TraceRecord, created: boolean): void {
    if (this.traces.has(trace)) return;
    this.traces.set(
      trace,
      created
        ? undefined
        : {
            openSpans: trace.openSpans,
            costDebt: trace.costDebt,
            tokensDebt: trace.tokensDebt,
            earliest: trace.earliest,
            latest: trace.latest,
            currency: trace.currency,
            lastChangeMillis: trace.lastChangeMillis,
            settled: trace.settled,
          },
    );
  }

  /** Before `record` changes. */
  span(record: SpanRecord): void {
    if (!this.spans.has(record)) this.spans.set(record, { ...record });
  }

  /** After `spanId` was added to `trace`. */
  added(trace: TraceRecord, spanId: string): void {
    this.addedSpans.push([trace, spanId]);
  }

  /** Puts back what was saved; returns the bytes to take off. */
  undo(traces: Map<string, TraceRecord>, unsettled: Set<TraceRecord>): number {
    let bytes = 0;
    for (const [trace, spanId] of this.addedSpans) {
      trace.spans.delete(spanId);
      bytes += SPAN_RECORD_BYTES;
    }
    for (const [record, saved] of this.spans) if (saved !== undefined) Object.assign(record, saved);
    for (const [trace, saved] of this.traces) {
      if (saved === undefined) {
        traces.delete(trace.traceId);
        unsettled.delete(trace);
        bytes += TRACE_RECORD_BYTES;
        continue;
      }
      Object.assign(trace, saved);
      if (trace.settled) unsettled.delete(trace);
      else unsettled.add(trace);
    }
    return bytes;
  }
}

interface PlannedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly span: ReadableSpan;
  readonly fingerprint: string;
}

/** The new and changed spans of one request, computed without changing the ledger. */
export interface LedgerPlan {
  /** Spans to export: first seen, or changed since the version exported before. */
  readonly spans: ReadableSpan[];
  /** Spans already exported and counted in this very version. */
  readonly unchanged: number;
  /** Positions of {@link spans} in the planned list; undefined when every span is taken. */
  readonly indices: readonly number[] | undefined;
  readonly planned: readonly PlannedSpan[];
}

function isBefore(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function numberAttribute(span: ReadableSpan, key: string): number {
  const value = span.attributes[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function isFinal(span: ReadableSpan): boolean {
  return span.attributes[names.ATTR_STEP_IN_FLIGHT] !== true && span.attributes[names.ATTR_STEP_ORPHAN] !== true;
}

/**
 * Attributes whose change makes a new version of a span: what a later copy of a step can change
 * (its end, cost and tokens, its parent arriving, the envelope's ids).
 */
const VERSIONED_ATTRIBUTES = [
  names.ATTR_STEP_COST,
  names.ATTR_STEP_COST_EXCLUSIVE,
  names.ATTR_STEP_TOTAL_TOKENS,
  names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE,
  names.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  names.ATTR_STEP_LATENCY_MS,
  names.ATTR_STEP_IN_FLIGHT,
  names.ATTR_STEP_ORPHAN,
  names.ATTR_TASK_ID,
  names.ATTR_GEN_AI_CONVERSATION_ID,
] as const;

/**
 * What identifies a version of a span: name, kind, parent, times, status, service, links and the
 * {@link VERSIONED_ATTRIBUTES}. Not the other attributes (a step's parameters and passed-through
 * attributes do not change between copies of one step; reading them all would triple the cost), nor
 * its events, which the envelope adds to (status stamps differ between a `message/send` answer and
 * a later `tasks/get`) and which otherwise follow from the times and status; nor the times of a step
 * that has none of its own (they are the arrival time).
 */
export function spanFingerprint(span: ReadableSpan): string {
  const a = span.attributes;
  const timeless = a[names.ATTR_STEP_TIME_MISSING] === true;
  let text = `${span.name}\u0000${span.kind}\u0000${span.parentSpanContext?.spanId ?? ''}\u0000${span.status.code}\u0000${span.status.message ?? ''}`;
  if (!timeless) text += `\u0000${span.startTime[0]}.${span.startTime[1]}\u0000${span.endTime[0]}.${span.endTime[1]}`;
  text += `\u0000${String(span.resource.attributes[names.ATTR_SERVICE_NAME])}`;
  for (const key of VERSIONED_ATTRIBUTES) text += `\u0000${String(a[key])}`;
  for (const link of span.links) text += `\u0000${link.context.traceId}${link.context.spanId}`;
  return hash('sha1', text, 'base64');
}

/** Remembers counted span versions; see the module description. */
export class CountedOnceLedger {
  // Map order is insertion order: re-inserting a trace on change keeps the oldest first.
  private readonly traces = new Map<string, TraceRecord>();
  private readonly unsettled = new Set<TraceRecord>();
  private bytes = 0;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Eviction's place in {@link traces}: every trace it returns is deleted. */
  private readonly oldest = new OldestFirst(this.traces);

  constructor(
    private readonly options: LedgerOptions,
    private readonly usage: UsageConsumer,
    private readonly metrics: SelfMetrics,
  ) {
    this.now = options.now ?? Date.now;
    metrics.ledgerCapacityBytes.set(options.maxBytes);
  }

  /** Which spans are new or changed. Changes nothing: call {@link commit} once they are taken. */
  plan(spans: readonly ReadableSpan[]): LedgerPlan {
    const exported: ReadableSpan[] = [];
    const planned: PlannedSpan[] = [];
    // The same span twice in one request: the later copy is compared with the earlier one.
    const inRequest = new Map<string, string>();
    const indices: number[] = [];
    let unchanged = 0;
    for (const [index, span] of spans.entries()) {
      const { traceId, spanId } = span.spanContext();
      const fingerprint = spanFingerprint(span);
      const key = `${traceId}${spanId}`;
      const known = inRequest.get(key) ?? this.traces.get(traceId)?.spans.get(spanId)?.fingerprint;
      if (known === fingerprint) {
        unchanged++;
        continue;
      }
      inRequest.set(key, fingerprint);
      exported.push(span);
      indices.push(index);
      planned.push({ traceId, spanId, span, fingerprint });
    }
    return { spans: exported, unchanged, indices: exported.length === spans.length ? undefined : indices, planned };
  }

  /**
   * Remembers a plan's spans and reports what they add to the metrics, as one batch; `silent` (a
   * replay from the spool after a restart) remembers without counting, since the counters counted
   * them before. If the metrics refuse the batch (throw), the ledger is as it was and the error is
   * thrown on, so that the request changes nothing.
   */
  commit(plan: LedgerPlan, silent = false): void {
    const now = this.now();
    const journal = new LedgerJournal();
    const deltas: UsageDelta[] = [];
    const settled: SettledTrace[] = [];
    const touched = new Set<TraceRecord>();
    let added = 0;
    let changed = 0;
    let trace: TraceRecord | undefined;
    for (const { traceId, spanId, span, fingerprint } of plan.planned) {
      // A request's spans come trace by trace: the one just touched is the most recent already.
      if (trace?.traceId !== traceId) {
        trace = this.touch(traceId, now, journal);
        touched.add(trace);
      }
      const cost = numberAttribute(span, names.ATTR_STEP_COST_EXCLUSIVE);
      const tokens = numberAttribute(span, names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE);
      const final = isFinal(span);
      let record = trace.spans.get(spanId);
      let costDelta: number;
      let tokensDelta: number;
      if (record === undefined) {
        added++;
        record = { fingerprint, cost, tokens, stepCounted: false, final, uncounted: undefined };
        trace.spans.set(spanId, record);
        journal.added(trace, spanId);
        this.bytes += SPAN_RECORD_BYTES;
        if (!final) trace.openSpans++;
        costDelta = cost;
        tokensDelta = tokens;
      } else {
        changed++;
        journal.span(record);
        costDelta = cost - record.cost;
        tokensDelta = tokens - record.tokens;
        if (record.final !== final) trace.openSpans += final ? -1 : 1;
        record.fingerprint = fingerprint;
        record.cost = cost;
        record.tokens = tokens;
        record.final = final;
      }
      // Counters only go up. A version that takes cost back (a parent whose share moved to a child
      // listed later) leaves a debt that the trace's next additions pay first, so the trace's total
      // stays right; the earlier split between labels stays as it was counted.
      [costDelta, trace.costDebt] = settleDebt(costDelta, trace.costDebt);
      [tokensDelta, trace.tokensDebt] = settleDebt(tokensDelta, trace.tokensDebt);
      const countStep = !record.stepCounted && (final || trace.settled);
      if (countStep) record.stepCounted = true;
      record.uncounted = record.stepCounted ? undefined : span;
      this.extendTrace(trace, span, cost);
      if (costDelta > 0 || tokensDelta > 0 || countStep) deltas.push({ span, costDelta, tokensDelta, countStep });
    }
    for (const trace of touched) {
      if (!trace.settled && trace.openSpans === 0) settled.push(this.settle(trace, deltas, journal));
    }
    if (!silent) {
      try {
        this.usage.record({ deltas, settled });
      } catch (error) {
        this.bytes -= journal.undo(this.traces, this.unsettled);
        throw error;
      }
      if (added > 0) this.metrics.spanVersions.inc({ outcome: 'new' }, added);
      if (changed > 0) this.metrics.spanVersions.inc({ outcome: 'changed' }, changed);
      if (plan.unchanged > 0) this.metrics.spanVersions.inc({ outcome: 'unchanged' }, plan.unchanged);
    }
    this.evict(silent);
    this.metrics.ledgerBytes.set(this.bytes);
  }

  /** Observes every trace that has been quiet for `settleMillis`. Run by the timer of {@link start}. */
  settleQuietTraces(): void {
    const cutoff = this.now() - this.options.settleMillis;
    const deltas: UsageDelta[] = [];
    const settled: SettledTrace[] = [];
    for (const trace of this.unsettled) {
      if (trace.lastChangeMillis <= cutoff) settled.push(this.settle(trace, deltas));
    }
    if (settled.length > 0) this.recordHousekeeping({ deltas, settled });
  }

  /**
   * Counts what the ledger's own housekeeping settled (quiet traces, forgotten ones). No request
   * waits on it and nothing can be taken back, so a refusal is counted as a consumer error, not thrown.
   */
  private recordHousekeeping(batch: UsageBatch): void {
    try {
      this.usage.record(batch);
    } catch {
      this.metrics.consumerErrors.inc({ consumer: 'ledger' });
    }
  }

  /** Starts settling quiet traces on a timer that does not keep the process alive. */
  start(): void {
    this.timer ??= setInterval(() => this.settleQuietTraces(), Math.min(1000, this.options.settleMillis));
    this.timer.unref();
  }

  /** Stops the timer. */
  shutdown(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private touch(traceId: string, now: number, journal: LedgerJournal): TraceRecord {
    let trace = this.traces.get(traceId);
    if (trace === undefined) {
      trace = {
        traceId,
        spans: new Map(),
        openSpans: 0,
        costDebt: 0,
        tokensDebt: 0,
        earliest: undefined,
        latest: undefined,
        currency: undefined,
        lastChangeMillis: now,
        settled: false,
      };
      journal.trace(trace, true);
      this.bytes += TRACE_RECORD_BYTES;
      this.unsettled.add(trace);
    } else {
      journal.trace(trace, false);
      this.traces.delete(traceId);
    }
    this.traces.set(traceId, trace);
    trace.lastChangeMillis = now;
    return trace;
  }

  private extendTrace(trace: TraceRecord, span: ReadableSpan, cost: number): void {
    if (trace.earliest === undefined || isBefore(span.startTime, trace.earliest)) trace.earliest = span.startTime;
    if (trace.latest === undefined || isBefore(trace.latest, span.endTime)) trace.latest = span.endTime;
    const currency = span.attributes[names.ATTR_COST_CURRENCY];
    if (trace.currency === undefined && cost > 0 && typeof currency === 'string') trace.currency = currency;
  }

  /**
   * Settles `trace`: its figures, to observe once, and the steps still in flight, counted now (into
   * `deltas`) since they will not be counted later.
   */
  private settle(trace: TraceRecord, deltas: UsageDelta[], journal?: LedgerJournal): SettledTrace {
    journal?.trace(trace, false);
    trace.settled = true;
    this.unsettled.delete(trace);
    const cost = new RoundedSum();
    for (const record of trace.spans.values()) {
      cost.add(record.cost);
      if (record.uncounted !== undefined) {
        journal?.span(record);
        deltas.push({ span: record.uncounted, costDelta: 0, tokensDelta: 0, countStep: true });
        record.stepCounted = true;
        record.uncounted = undefined;
      }
    }
    const earliest = trace.earliest ?? [0, 0];
    const latest = trace.latest ?? earliest;
    const durationSeconds = Math.max(0, latest[0] - earliest[0] + (latest[1] - earliest[1]) / 1e9);
    return { traceId: trace.traceId, durationSeconds, cost: cost.value, currency: trace.currency };
  }

  /** Forgets the least recently changed traces past the bound, settling (and counting, unless `silent`) those not settled yet. */
  private evict(silent: boolean): void {
    const deltas: UsageDelta[] = [];
    const settled: SettledTrace[] = [];
    // The newest trace stays even alone over the bound: it was just accepted.
    while (this.bytes > this.options.maxBytes && this.traces.size > 1) {
      const trace = this.oldest.next();
      if (trace === undefined) break;
      if (!trace.settled) settled.push(this.settle(trace, deltas));
      this.traces.delete(trace.traceId);
      this.bytes -= TRACE_RECORD_BYTES + trace.spans.size * SPAN_RECORD_BYTES;
      this.metrics.ledgerEvictedTraces.inc();
    }
    if (!silent && settled.length > 0) this.recordHousekeeping({ deltas, settled });
  }
}

/** A delta after paying `debt` from it: a negative delta adds to the debt and counts nothing. */
function settleDebt(delta: number, debt: number): [number, number] {
  if (delta <= 0) return [0, debt - delta];
  const paid = Math.min(debt, delta);
  return [delta - paid, debt - paid];
}

/** What an accepted batch came from, written to the spool with which of its spans were taken. */
export interface ReplayableSource {
  /** The spool record: the source, and `takenIndices` (undefined: all) of its spans. */
  toRecord(takenIndices: readonly number[] | undefined): Buffer;
}

/** Where an intake hands its spans: the counted-once consumer (or, to print them, any sink). */
export interface IntakeConsumer {
  /** Takes the spans of one request; `source` is what the spool writes down. */
  consume(spans: ReadableSpan[], source?: ReplayableSource): void;
  /** Resolves once everything consumed so far is durable. */
  durable(): Promise<void>;
}

/**
 * A {@link SpanConsumer} in front of the pipeline: hands it only the new and changed spans, and
 * remembers them once the pipeline has taken them (a refused request changes nothing).
 */
export class CountedOnceConsumer implements IntakeConsumer {
  constructor(
    private readonly ledger: CountedOnceLedger,
    private readonly downstream: SpanConsumer,
  ) {}

  /**
   * Takes the spans of one request; `source` is what the spool writes down. Wholly or not at all:
   * the pipeline admits and stages them (it may refuse: no room), the ledger commits (it takes its
   * change back if the metrics refuse it), and only then does the pipeline take them.
   */
  consume(spans: ReadableSpan[], source?: ReplayableSource): void {
    const plan = this.ledger.plan(spans);
    const admission =
      plan.spans.length > 0 ? this.downstream.admit(plan.spans, source === undefined ? undefined : { toRecord: () => source.toRecord(plan.indices) }) : undefined;
    this.ledger.commit(plan);
    admission?.commit();
  }

  /** Takes again what a spool record held, after a restart: remembered, not counted. */
  replay(spans: ReadableSpan[]): void {
    this.ledger.commit(this.ledger.plan(spans), true);
  }

  durable(): Promise<void> {
    return this.downstream.durable();
  }
}
