/**
 * @module Finds the ResponseTraces in an ingest body: one trace, a JSON array of them, or
 * `{"traces": [...]}`. Each comes with its path in the body, for error messages.
 */
import { CollectorError } from '../errors.js';

/** A value that should be a ResponseTrace, and where it was found. */
export interface TraceCandidate {
  readonly value: unknown;
  /** Path of the value in the body (`[2]`, `traces[0]`, or `''` for the body itself). */
  readonly path: string;
}

const NOT_A_TRACE =
  'expected a ResponseTrace ({"trace_id": ..., "steps": [...]}), a JSON array of them, or {"traces": [...]}';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lists the traces a body holds.
 * @throws CollectorError `A2A_ERR_INVALID_TRACE` when the body has none of the accepted shapes.
 */
export function findTraces(body: unknown): TraceCandidate[] {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new CollectorError('A2A_ERR_INVALID_TRACE', 'empty array: no trace to ingest', [{ path: '', reason: 'empty array' }]);
    return (body as unknown[]).map((value, index) => ({ value, path: `[${index}]` }));
  }
  if (isObject(body)) {
    const traces: unknown = body['traces'];
    if (Array.isArray(traces)) {
      if (traces.length === 0) throw new CollectorError('A2A_ERR_INVALID_TRACE', 'empty "traces": no trace to ingest', [{ path: 'traces', reason: 'empty array' }]);
      return (traces as unknown[]).map((value, index) => ({ value, path: `traces[${index}]` }));
    }
    if ('steps' in body) return [{ value: body, path: '' }];
  }
  throw new CollectorError('A2A_ERR_INVALID_TRACE', 'the body is not a ResponseTrace', [{ path: '', reason: NOT_A_TRACE }]);
}
