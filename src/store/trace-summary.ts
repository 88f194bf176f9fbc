/**
 * @module The summary of a stored trace (issue #2, query API): totals that never double-count,
 * duration, errors, and the bottleneck step by self time.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { hrTimeToMillis, type StepView } from './step-view.js';

/** The `summary` object of the query API. */
export interface TraceSummary {
  /** Sum of exclusive costs. */
  readonly totalCost: number;
  /** Sum of exclusive tokens. */
  readonly totalTokens: number;
  /** Earliest start to latest end, in milliseconds. */
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

function toMillis(span: ReadableSpan, which: 'startTime' | 'endTime'): number {
  return hrTimeToMillis(span[which]);
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
  let totalCost = 0;
  let totalTokens = 0;
  let errorCount = 0;
  let earliest = Infinity;
  let latest = -Infinity;
  const costByCallType: Record<string, number> = {};
  const costByAgent: Record<string, number> = {};
  const childIntervals = new Map<string, Array<[number, number]>>();

  spans.forEach((span, index) => {
    const view = views[index] as StepView;
    const start = toMillis(span, 'startTime');
    const end = toMillis(span, 'endTime');
    earliest = Math.min(earliest, start);
    latest = Math.max(latest, end);
    const cost = view.costExclusive ?? 0;
    totalCost += cost;
    totalTokens += view.totalTokensExclusive ?? 0;
    if (view.status === 'error') errorCount++;
    if (view.costExclusive !== null) {
      costByCallType[view.kind] = (costByCallType[view.kind] ?? 0) + cost;
      costByAgent[view.service] = (costByAgent[view.service] ?? 0) + cost;
    }
    if (view.parentSpanId !== null) {
      const siblings = childIntervals.get(view.parentSpanId) ?? [];
      siblings.push([start, end]);
      childIntervals.set(view.parentSpanId, siblings);
    }
  });

  let bottleneck: TraceSummary['bottleneck'] = null;
  spans.forEach((span, index) => {
    const view = views[index] as StepView;
    const start = toMillis(span, 'startTime');
    const end = toMillis(span, 'endTime');
    const selfTimeMs = end - start - coveredMillis(childIntervals.get(view.spanId) ?? [], start, end);
    if (bottleneck === null || selfTimeMs > bottleneck.selfTimeMs) {
      bottleneck = { stepId: view.stepId, name: view.name, selfTimeMs };
    }
  });

  return {
    totalCost,
    totalTokens,
    durationMs: spans.length === 0 ? 0 : latest - earliest,
    stepCount: spans.length,
    errorCount,
    bottleneck,
    costByCallType,
    costByAgent,
  };
}
