/**
 * @module The summary of a stored trace (the query API): totals that never double-count,
 * duration, errors, and the bottleneck step by self time.
 */
import type { HrTime } from '@opentelemetry/api';
import { hrTimeDuration, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { RoundedSum } from '../model/cost-arithmetic.js';
import type { StepView } from './step-view.js';

/** The `summary` object of the query API. */
export interface TraceSummary {
  /** Sum of exclusive costs, rounded to the precision of its terms (no `0.30000000000000004`). */
  readonly totalCost: number;
  /** The part of {@link totalCost} computed from tokens and the price table, not reported by the producer. */
  readonly computedCost: number;
  /** Sum of exclusive tokens. */
  readonly totalTokens: number;
  /** Earliest start to latest end, in milliseconds, exact to the nanosecond. */
  readonly durationMs: number;
  readonly stepCount: number;
  readonly errorCount: number;
  /** The step with the largest self time (duration minus the time its children cover). */
  readonly bottleneck: { readonly stepId: string | null; readonly name: string; readonly selfTimeMs: number } | null;
  /** Exclusive cost per normalized call type (`agent`, `tool`, `host`, `other`). */
  readonly costByCallType: Readonly<Record<string, number>>;
  /** Exclusive cost per agent (service). */
  readonly costByAgent: Readonly<Record<string, number>>;
}

function isBefore(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** Adds `value` under `key`; a Map, so names like `constructor` and `__proto__` are plain keys. */
function addTo(sums: Map<string, RoundedSum>, key: string, value: number): void {
  let sum = sums.get(key);
  if (sum === undefined) {
    sum = new RoundedSum();
    sums.set(key, sum);
  }
  sum.add(value);
}

/** A JSON object of rounded sums, built without a prototype so that no key is special. */
function toRecord(sums: ReadonlyMap<string, RoundedSum>): Record<string, number> {
  const record = Object.create(null) as Record<string, number>;
  for (const [key, sum] of sums) record[key] = sum.value;
  return record;
}

/** Length of the union of intervals clipped to [from, to]. */
function coveredMillis(intervals: Array<[number, number]>, from: number, to: number): number {
  const clipped = intervals
    .map(([start, end]): [number, number] => [Math.max(start, from), Math.min(end, to)])
    .filter(([start, end]) => end > start)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let cursor = from;
  for (const [start, end] of clipped) {
    if (end <= cursor) continue;
    covered += end - Math.max(start, cursor);
    cursor = end;
  }
  return covered;
}

/** Summarizes spans of one trace together with their step views (same order). */
export function toTraceSummary(spans: readonly ReadableSpan[], views: readonly StepView[]): TraceSummary {
  const totalCost = new RoundedSum();
  const computedCost = new RoundedSum();
  const totalTokens = new RoundedSum();
  let errorCount = 0;
  const costByCallType = new Map<string, RoundedSum>();
  const costByAgent = new Map<string, RoundedSum>();
  const first = spans[0];
  if (first === undefined) {
    return { totalCost: 0, computedCost: 0, totalTokens: 0, durationMs: 0, stepCount: 0, errorCount: 0, bottleneck: null, costByCallType: {}, costByAgent: {} };
  }
  let earliest = first.startTime;
  let latest = first.endTime;
  for (const span of spans) {
    if (isBefore(span.startTime, earliest)) earliest = span.startTime;
    if (isBefore(latest, span.endTime)) latest = span.endTime;
  }
  // Milliseconds since the earliest start: small numbers, exact where epoch milliseconds (about
  // 1.7e12, a quarter of a microsecond apart as doubles) are not.
  const sinceEarliest = (time: HrTime): number => hrTimeToMilliseconds(hrTimeDuration(earliest, time));
  const childIntervals = new Map<string, Array<[number, number]>>();

  spans.forEach((span, index) => {
    const view = views[index] as StepView;
    const cost = view.costExclusive ?? 0;
    totalCost.add(cost);
    if (view.costSource === 'computed') computedCost.add(cost);
    totalTokens.add(view.totalTokensExclusive ?? 0);
    if (view.status === 'error') errorCount++;
    if (view.costExclusive !== null) {
      addTo(costByCallType, view.kind, cost);
      addTo(costByAgent, view.service, cost);
    }
    if (view.parentSpanId !== null) {
      const siblings = childIntervals.get(view.parentSpanId) ?? [];
      siblings.push([sinceEarliest(span.startTime), sinceEarliest(span.endTime)]);
      childIntervals.set(view.parentSpanId, siblings);
    }
  });

  let bottleneck: TraceSummary['bottleneck'] = null;
  spans.forEach((span, index) => {
    const view = views[index] as StepView;
    const start = sinceEarliest(span.startTime);
    const end = sinceEarliest(span.endTime);
    const selfTimeMs = hrTimeToMilliseconds(span.duration) - coveredMillis(childIntervals.get(view.spanId) ?? [], start, end);
    if (bottleneck === null || selfTimeMs > bottleneck.selfTimeMs) {
      bottleneck = { stepId: view.stepId, name: view.name, selfTimeMs };
    }
  });

  return {
    totalCost: totalCost.value,
    computedCost: computedCost.value,
    totalTokens: totalTokens.value,
    durationMs: hrTimeToMilliseconds(hrTimeDuration(earliest, latest)),
    stepCount: spans.length,
    errorCount,
    bottleneck,
    costByCallType: toRecord(costByCallType),
    costByAgent: toRecord(costByAgent),
  };
}
