/**
 * @module The query API's view of a stored span: the step it came from, in plain JSON.
 */
import { SpanStatusCode, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as names from '../mapping/attribute-names.js';

/** One step as the query API returns it. */
export interface StepView {
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly stepId: string | null;
  readonly parentStepId: string | null;
  readonly a2aTraceId: string | null;
  readonly name: string;
  readonly spanName: string;
  readonly callType: string | number | null;
  readonly kind: string;
  readonly service: string;
  /** RFC 3339 with nanoseconds, UTC. */
  readonly startTime: string;
  readonly endTime: string;
  readonly durationMs: number;
  readonly cost: number | null;
  readonly costExclusive: number | null;
  /** `reported` by the producer, `computed` from tokens and the price table; null without a cost. */
  readonly costSource: 'reported' | 'computed' | null;
  readonly totalTokens: number | null;
  readonly totalTokensExclusive: number | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly status: 'ok' | 'error';
  readonly error: { readonly message: string; readonly type: string | null } | null;
  readonly orphan: boolean;
  readonly cycleBroken: boolean;
  readonly inFlight: boolean;
}

/** Formats an HrTime as RFC 3339 UTC with nine fraction digits. */
export function formatHrTime(time: HrTime): string {
  const date = new Date(time[0] * 1000);
  // Times past what Date can hold cannot come from the reader; never let one break a listing.
  if (Number.isNaN(date.getTime())) return `@${time[0]}s+${time[1]}ns`;
  const seconds = date.toISOString().slice(0, 19);
  return `${seconds}.${String(time[1]).padStart(9, '0')}Z`;
}

function numberOrNull(value: AttributeValue | undefined): number | null {
  return typeof value === 'number' ? value : null;
}

function stringOrNull(value: AttributeValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function costSourceOf(cost: AttributeValue | undefined, source: AttributeValue | undefined): StepView['costSource'] {
  if (typeof cost !== 'number') return null;
  return source === 'computed' ? 'computed' : 'reported';
}

/** The query view of one span the mapping produced. */
export function toStepView(span: ReadableSpan): StepView {
  const a = span.attributes;
  const callType = a[names.ATTR_STEP_CALL_TYPE];
  const exception = span.events.find((event) => event.name === names.EVENT_EXCEPTION);
  const isError = span.status.code === SpanStatusCode.ERROR;
  return {
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    stepId: stringOrNull(a[names.ATTR_STEP_ID]),
    parentStepId: stringOrNull(a[names.ATTR_STEP_PARENT_ID]),
    a2aTraceId: stringOrNull(a[names.ATTR_TRACE_ID]),
    name: stringOrNull(a[names.ATTR_STEP_NAME]) ?? span.name,
    spanName: span.name,
    callType: typeof callType === 'string' || typeof callType === 'number' ? callType : null,
    kind: stringOrNull(a[names.ATTR_STEP_KIND]) ?? 'other',
    service: String(span.resource.attributes[names.ATTR_SERVICE_NAME] ?? 'unknown_service'),
    startTime: formatHrTime(span.startTime),
    endTime: formatHrTime(span.endTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    cost: numberOrNull(a[names.ATTR_STEP_COST]),
    costExclusive: numberOrNull(a[names.ATTR_STEP_COST_EXCLUSIVE]),
    costSource: costSourceOf(a[names.ATTR_STEP_COST], a[names.ATTR_COST_SOURCE]),
    totalTokens: numberOrNull(a[names.ATTR_STEP_TOTAL_TOKENS]),
    totalTokensExclusive: numberOrNull(a[names.ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE]),
    inputTokens: numberOrNull(a[names.ATTR_GEN_AI_USAGE_INPUT_TOKENS]),
    outputTokens: numberOrNull(a[names.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]),
    status: isError ? 'error' : 'ok',
    error: isError
      ? {
          message: span.status.message ?? '',
          type: stringOrNull(exception?.attributes?.[names.ATTR_EXCEPTION_TYPE]),
        }
      : null,
    orphan: a[names.ATTR_STEP_ORPHAN] === true,
    cycleBroken: a[names.ATTR_STEP_CYCLE_BROKEN] === true,
    inFlight: a[names.ATTR_STEP_IN_FLIGHT] === true,
  };
}
