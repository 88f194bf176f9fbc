/**
 * @module Deterministic OpenTelemetry ids from A2A's free-form ids (DESIGN §3): the same input
 * always gives the same ids, so a re-sent trace is recognisable downstream.
 */
import { hash } from 'node:crypto';

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX16 = /^[0-9a-f]{16}$/i;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** One-shot `crypto.hash`: no Hash object per id (a step's span id is derived on every step). */
function sha256Hex(text: string, hexChars: number): string {
  return hash('sha256', text, 'hex').slice(0, hexChars);
}

/** OTel trace id (32 lowercase hex) for an A2A trace id: 32-hex and UUIDs kept, anything else hashed. */
export function toOtelTraceId(a2aTraceId: string): string {
  if (HEX32.test(a2aTraceId) && a2aTraceId !== ZERO_TRACE) return a2aTraceId.toLowerCase();
  if (UUID.test(a2aTraceId)) {
    const hex = a2aTraceId.replace(/-/g, '').toLowerCase();
    if (hex !== ZERO_TRACE) return hex;
  }
  return sha256Hex(a2aTraceId, 32);
}

/**
 * OTel span id (16 lowercase hex) for a step: a 16-hex step id is kept, anything else is hashed
 * together with the OTel trace id and the A2A trace id the step is listed in (step ids like
 * `step-1` repeat across nested traces).
 */
export function toOtelSpanId(stepId: string, otelTraceId: string, a2aTraceId: string): string {
  if (HEX16.test(stepId) && stepId !== ZERO_SPAN) return stepId.toLowerCase();
  return sha256Hex(`${otelTraceId}\u0000${a2aTraceId}\u0000${stepId}`, 16);
}

/** A parsed W3C `traceparent` header. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Parses a W3C trace-context `traceparent` value; undefined when it is not valid per the spec. */
export function parseTraceParent(header: string | undefined | null): TraceParent | undefined {
  if (header === undefined || header === null) return undefined;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (match === null) return undefined;
  const [, version, traceId, spanId] = match as unknown as [string, string, string, string];
  // Version ff is forbidden; all-zero ids are invalid (W3C Trace Context §3.2.2).
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  if (version === '00' && header.trim().length !== 55) return undefined;
  return { traceId, spanId };
}
