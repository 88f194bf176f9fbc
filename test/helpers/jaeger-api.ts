/**
 * @module Reading traces back from a real Jaeger's query API (`GET /api/traces/{id}`, the JSON the
 * Jaeger UI uses), for end-to-end tests.
 */
import { eventually } from './backends.js';

/** A tag (span attribute) or log field. */
export interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}

/** One span as the query API returns it. */
export interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: JaegerTag[];
  logs: Array<{ fields: JaegerTag[] }>;
  processID: string;
}

/** One trace as the query API returns it; `processes` holds each span's service. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** The trace once Jaeger holds at least `expectedSpans` of its spans (it stores them as they arrive). */
export function readJaegerTrace(queryUrl: string, traceId: string, expectedSpans: number, timeoutMillis?: number): Promise<JaegerTrace> {
  return eventually(async () => {
    const response = await fetch(`${queryUrl}/api/traces/${traceId}`);
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { data: JaegerTrace[] | null };
    const trace = body.data?.[0];
    return trace !== undefined && trace.spans.length >= expectedSpans ? trace : undefined;
  }, timeoutMillis);
}

/** A span's tag value. */
export function jaegerTag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

/** A span's service name. */
export function jaegerService(trace: JaegerTrace, span: JaegerSpan): string | undefined {
  return trace.processes[span.processID]?.serviceName;
}
