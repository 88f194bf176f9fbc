/**
 * @module Finds the ResponseTraces in an ingest body: one trace, a JSON array of them,
 * `{"traces": [...]}`, an A2A envelope of any shape (src/a2a), or an event-stream transcript. Each
 * comes with its path in the body, for error messages, and the envelope context around it. Decides
 * what a body without a trace is answered with: 400 when it is no known shape or a JSON-RPC error,
 * 422 when it is an envelope that carries no trace.
 */
import type { EnvelopeContext } from '../a2a/envelope-context.js';
import { extractTracesFromEventStream } from '../a2a/extract-event-stream.js';
import {
  MAX_SEARCHED_LISTED,
  extractTraces,
  type Extraction,
  type JsonRpcErrorReport,
  type SearchedPlacement,
} from '../a2a/extract-traces.js';
import { TRACEABILITY_METADATA_KEYS } from '../a2a/extension-keys.js';
import { indexPath } from '../a2a/json-path.js';
import { dropRepeatedTraces } from '../a2a/repeated-traces.js';
import { parseEventStream } from '../a2a/sse-parser.js';
import { CollectorError, type FieldIssue } from '../errors.js';
import type { ReadWarning } from '../model/types.js';

/** A value that should be a ResponseTrace, and where it was found. */
export interface TraceCandidate {
  readonly value: unknown;
  /**
   * Path of the value in the body: `''` for the body itself, `[2]`, `traces[0]`,
   * `result.metadata["github.com/…/traceability"]`, `events[3].result.status.message.parts[0].text`.
   */
  readonly path: string;
  /** The A2A envelope the trace was found in; undefined for a bare trace. */
  readonly envelope?: EnvelopeContext | undefined;
}

/** The traces of one body, ready to read. */
export interface FoundTraces {
  /** Every trace, each once (a trace repeated with the same id and content is listed once). */
  readonly candidates: readonly TraceCandidate[];
  /** Values under a traceability key that cannot be a trace; the body MUST be refused when not empty. */
  readonly issues: readonly FieldIssue[];
  /** Oddities of the whole body (a JSON-RPC error beside the traces), for every accepted trace. */
  readonly warnings: readonly ReadWarning[];
}

const NOT_A_TRACE =
  'expected a ResponseTrace ({"trace_id": ..., "steps": [...]}), a JSON array of them, {"traces": [...]}, ' +
  'or an A2A Task, Message, Artifact, task event or JSON-RPC response carrying one';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeError(error: JsonRpcErrorReport): string {
  return error.code === undefined ? `error: ${error.message}` : `JSON-RPC error ${error.code}: ${error.message}`;
}

/** Gathers the traces of one body from bare traces and envelopes, in document order. */
class Findings {
  private readonly candidates: TraceCandidate[] = [];
  private readonly issues: FieldIssue[] = [];
  private readonly rpcErrors: JsonRpcErrorReport[] = [];
  private readonly searched: SearchedPlacement[] = [];
  private searchedLeftOut = 0;

  addBare(value: unknown, path: string): void {
    this.candidates.push({ value, path });
  }

  addExtraction(extraction: Extraction): void {
    for (const trace of extraction.traces) this.candidates.push({ value: trace.value, path: trace.path, envelope: trace.context });
    this.issues.push(...extraction.issues);
    this.rpcErrors.push(...extraction.rpcErrors);
    this.searched.push(...extraction.searched);
    this.searchedLeftOut += extraction.searchedLeftOut;
  }

  /** Adds one array element: a bare trace, an envelope, or a value the reader will refuse by field. */
  addElement(value: unknown, path: string): void {
    if (isObject(value) && 'steps' in value) {
      this.addBare(value, path);
      return;
    }
    const extraction = extractTraces(value, path);
    if (extraction.isEnvelope) this.addExtraction(extraction);
    else this.addBare(value, path);
  }

  /**
   * @throws CollectorError `A2A_ERR_INVALID_TRACE` when the envelopes hold only JSON-RPC errors,
   *   `A2A_ERR_NO_TRACE_IN_ENVELOPE` when they hold no trace at all.
   */
  settle(): FoundTraces {
    const candidates = dropRepeatedTraces(this.candidates);
    if (candidates.length === 0 && this.issues.length === 0) {
      if (this.rpcErrors.length > 0) throw this.errorResponseRefusal();
      throw this.noTraceRefusal();
    }
    const warnings = this.rpcErrors.map((error) => ({
      path: error.path,
      code: 'jsonrpc_error',
      message: `${describeError(error)}; the traces found beside it were accepted`,
    }));
    return { candidates, issues: this.issues, warnings };
  }

  private errorResponseRefusal(): CollectorError {
    const [first] = this.rpcErrors as [JsonRpcErrorReport, ...JsonRpcErrorReport[]];
    const more = this.rpcErrors.length > 1 ? ` (and ${this.rpcErrors.length - 1} more error responses)` : '';
    return new CollectorError(
      'A2A_ERR_INVALID_TRACE',
      `no trace in an error response: ${describeError(first)}${more}`,
      this.rpcErrors.map((error) => ({ path: error.path, reason: `no trace in an error response: ${describeError(error)}` })),
    );
  }

  private noTraceRefusal(): CollectorError {
    const keys = TRACEABILITY_METADATA_KEYS.map((key) => JSON.stringify(key)).join(', ');
    const listed = this.searched.slice(0, MAX_SEARCHED_LISTED);
    const issues: FieldIssue[] = listed.map((place) => ({ path: place.path, reason: `${place.placement}: ${place.outcome}` }));
    const leftOut = this.searchedLeftOut + this.searched.length - listed.length;
    if (leftOut > 0) issues.push({ path: '', reason: `${leftOut} more places searched without a trace` });
    if (issues.length === 0) issues.push({ path: '', reason: 'the envelope holds no A2A object to search' });
    return new CollectorError(
      'A2A_ERR_NO_TRACE_IN_ENVELOPE',
      'no ResponseTrace in the A2A envelope: searched the metadata of Tasks, status and artifact updates, Messages ' +
        `(status messages and history too) and Artifacts under the keys ${keys}, and data and text parts`,
      issues,
    );
  }
}

/**
 * Lists the traces a JSON body holds.
 * @throws CollectorError `A2A_ERR_INVALID_TRACE` (400) when the body has none of the accepted
 *   shapes, is empty, or holds only JSON-RPC error responses; `A2A_ERR_NO_TRACE_IN_ENVELOPE` (422)
 *   when it is an A2A envelope without a trace.
 */
export function findTraces(body: unknown): FoundTraces {
  const findings = new Findings();
  if (Array.isArray(body)) {
    if (body.length === 0) throw new CollectorError('A2A_ERR_INVALID_TRACE', 'empty array: no trace to ingest', [{ path: '', reason: 'empty array' }]);
    (body as unknown[]).forEach((value, index) => findings.addElement(value, indexPath('', index)));
    return findings.settle();
  }
  if (isObject(body)) {
    const traces: unknown = body['traces'];
    if (Array.isArray(traces)) {
      if (traces.length === 0) throw new CollectorError('A2A_ERR_INVALID_TRACE', 'empty "traces": no trace to ingest', [{ path: 'traces', reason: 'empty array' }]);
      (traces as unknown[]).forEach((value, index) => findings.addElement(value, indexPath('traces', index)));
      return findings.settle();
    }
    if ('steps' in body) return { candidates: [{ value: body, path: '' }], issues: [], warnings: [] };
    const extraction = extractTraces(body);
    if (extraction.isEnvelope) {
      findings.addExtraction(extraction);
      return findings.settle();
    }
  }
  throw new CollectorError('A2A_ERR_INVALID_TRACE', 'the body is not a ResponseTrace', [{ path: '', reason: NOT_A_TRACE }]);
}

/**
 * Lists the traces of a `text/event-stream` transcript (`message/stream`, `SendStreamingMessage`).
 * An event still open at the end of the text counts: a saved transcript often lacks the last blank line.
 * @throws CollectorError `A2A_ERR_INVALID_JSON` when an event's data is not JSON, and as {@link findTraces}.
 */
export function findTracesInEventStream(text: string): FoundTraces {
  const extraction = extractTracesFromEventStream(parseEventStream(text, { dispatchUnterminatedEvent: true }));
  if (extraction.invalidEvents.length > 0) {
    throw new CollectorError('A2A_ERR_INVALID_JSON', 'events of the event stream are not valid JSON', extraction.invalidEvents);
  }
  const findings = new Findings();
  findings.addExtraction(extraction);
  return findings.settle();
}

/**
 * Lists the traces of one extraction (the proxy reads responses into extractions itself).
 * @throws CollectorError as {@link findTraces}.
 */
export function findTracesInExtraction(extraction: Extraction): FoundTraces {
  const findings = new Findings();
  findings.addExtraction(extraction);
  return findings.settle();
}
