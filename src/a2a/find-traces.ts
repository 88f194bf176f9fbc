/**
 * @module Finds the ResponseTraces in an ingest body: one trace, a JSON array of them,
 * `{"traces": [...]}`, an A2A envelope of any shape (src/a2a), or an event-stream transcript. Each
 * comes with its path in the body, for error messages, and the envelope context around it. Decides
 * what a body without a trace is answered with: 400 when it is no known shape or a JSON-RPC error,
 * 422 when it is an envelope that carries no trace.
 */
import type { EnvelopeContext } from '../model/envelope-context.js';
import { extractTracesFromEventStream } from './extract-event-stream.js';
import {
  MAX_SEARCHED_LISTED,
  extractTraces,
  type Extraction,
  type JsonRpcErrorReport,
  type SearchedPlacement,
} from './extract-traces.js';
import { CappedList } from './capped-list.js';
import { TRACEABILITY_METADATA_KEYS } from './extension-keys.js';
import { indexPath } from '../model/field-path.js';
import { repeatedCopiesOf } from './repeated-traces.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import type { CollectorError} from '../errors.js';
import { IssueList, MAX_LISTED_ISSUES, type FieldIssue } from '../errors.js';
import type { ReadWarning } from '../model/types.js';
import { isObject } from '../model/json-value.js';
import * as errors from '../error-catalog.js';

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
  /**
   * Every copy of every trace, in document order: copies of one trace id are all listed (the
   * extraction's merges undone), so that each is read, and refused at its own path, before the
   * reader merges them (repeated-traces.ts).
   */
  readonly candidates: readonly TraceCandidate[];
  /** Values under a traceability key that cannot be a trace; the body MUST be refused when not empty. */
  readonly issues: IssueList;
  /** Oddities of the whole body (a JSON-RPC error beside the traces), for every accepted trace; at most {@link MAX_BODY_WARNINGS}. */
  readonly warnings: readonly ReadWarning[];
}

/** Most JSON-RPC errors beside traces reported as warnings; every accepted trace carries them. */
export const MAX_BODY_WARNINGS = 10;

/** Characters of an event stream handed to the parser at a time, so that its events are extracted as they are parsed. */
const EVENT_STREAM_CHUNK_CHARS = 64 * 1024;

const NOT_A_TRACE =
  'expected a ResponseTrace ({"trace_id": ..., "steps": [...]}), a JSON array of them, {"traces": [...]}, ' +
  'or an A2A Task, Message, Artifact, task event or JSON-RPC response carrying one';


function describeError(error: JsonRpcErrorReport): string {
  return error.code === undefined ? `error: ${error.message}` : `JSON-RPC error ${error.code}: ${error.message}`;
}

/**
 * Gathers the traces of one body from bare traces and envelopes, in document order. Everything but
 * the traces is kept up to a bound and counted past it, as a body may hold a million envelopes.
 */
class Findings {
  private readonly candidates: TraceCandidate[] = [];
  private readonly issues = new IssueList();
  private readonly rpcErrors = new CappedList<JsonRpcErrorReport>(MAX_LISTED_ISSUES);
  private readonly searched = new CappedList<SearchedPlacement>(MAX_SEARCHED_LISTED);
  /** Places the extractions searched past their own bound, counted only. */
  private searchedLeftOutByExtractions = 0;

  addBare(value: unknown, path: string): void {
    this.candidates.push({ value, path });
  }

  addExtraction(extraction: Extraction): void {
    for (const trace of extraction.traces) {
      for (const copy of repeatedCopiesOf(trace)) this.candidates.push({ value: copy.value, path: copy.path, envelope: trace.context });
    }
    for (const issue of extraction.issues) this.issues.add(issue);
    for (const error of extraction.rpcErrors) this.rpcErrors.add(error);
    for (const place of extraction.searched) this.searched.add(place);
    this.searchedLeftOutByExtractions += extraction.searchedLeftOut;
  }

  /** Adds one array element: a bare trace, an envelope, or a value the reader will refuse by field. */
  addElement(value: unknown, path: string): void {
    // Only an object can be an envelope (an array, a JSON-RPC batch of them); anything else is the reader's to refuse.
    if ((isObject(value) && 'steps' in value) || typeof value !== 'object' || value === null) {
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
    const candidates = this.candidates;
    if (candidates.length === 0 && this.issues.count === 0) {
      if (this.rpcErrors.items().length > 0) throw this.errorResponseRefusal();
      throw this.noTraceRefusal();
    }
    const rpcErrors = this.rpcErrors.items();
    const warnings: ReadWarning[] = rpcErrors.slice(0, MAX_BODY_WARNINGS).map((error) => ({
      path: error.path,
      code: 'jsonrpc_error',
      message: `${describeError(error)}; the traces found beside it were accepted`,
    }));
    const warningsLeftOut = rpcErrors.length + this.rpcErrors.leftOut - warnings.length;
    if (warningsLeftOut > 0) {
      warnings.push({ path: '', code: 'warnings_truncated', message: `${warningsLeftOut} more JSON-RPC error responses beside the traces were not listed` });
    }
    return { candidates, issues: this.issues, warnings };
  }

  private errorResponseRefusal(): CollectorError {
    const rpcErrors = this.rpcErrors.items();
    const [first] = rpcErrors as [JsonRpcErrorReport, ...JsonRpcErrorReport[]];
    const total = rpcErrors.length + this.rpcErrors.leftOut;
    const issues = IssueList.of(rpcErrors.map((error) => ({ path: error.path, reason: `no trace in an error response: ${describeError(error)}` })));
    issues.countMore(this.rpcErrors.leftOut);
    return errors.onlyErrorResponses(describeError(first), total, issues);
  }

  private noTraceRefusal(): CollectorError {
    const keys = TRACEABILITY_METADATA_KEYS.map((key) => JSON.stringify(key)).join(', ');
    const issues: FieldIssue[] = this.searched.items().map((place) => ({ path: place.path, reason: `${place.placement}: ${place.outcome}` }));
    const leftOut = this.searchedLeftOutByExtractions + this.searched.leftOut;
    if (leftOut > 0) issues.push({ path: '', reason: `${leftOut} more places searched without a trace` });
    if (issues.length === 0) issues.push({ path: '', reason: 'the envelope holds no A2A object to search' });
    return errors.noTraceInEnvelope(keys, issues);
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
    if (body.length === 0) throw errors.noTraceToIngest('array');
    (body as unknown[]).forEach((value, index) => findings.addElement(value, indexPath('', index)));
    return findings.settle();
  }
  if (isObject(body)) {
    const traces: unknown = body['traces'];
    if (Array.isArray(traces)) {
      if (traces.length === 0) throw errors.noTraceToIngest('traces');
      (traces as unknown[]).forEach((value, index) => findings.addElement(value, indexPath('traces', index)));
      return findings.settle();
    }
    if ('steps' in body) return { candidates: [{ value: body, path: '' }], issues: new IssueList(), warnings: [] };
    const extraction = extractTraces(body);
    if (extraction.isEnvelope) {
      findings.addExtraction(extraction);
      return findings.settle();
    }
  }
  throw errors.notATrace(NOT_A_TRACE);
}

/**
 * Lists the traces of a `text/event-stream` transcript (`message/stream`, `SendStreamingMessage`).
 * An event still open at the end of the text counts: a saved transcript often lacks the last blank line.
 * @throws CollectorError `A2A_ERR_INVALID_JSON` when an event's data is not JSON, and as {@link findTraces}.
 */
export function findTracesInEventStream(text: string): FoundTraces {
  const extraction = extractTracesFromEventStream(eventsOf(text));
  if (extraction.invalidEvents.length > 0) {
    throw errors.invalidEvents(IssueList.of(extraction.invalidEvents));
  }
  const findings = new Findings();
  findings.addExtraction(extraction);
  return findings.settle();
}

/** The events of a whole transcript, parsed a chunk at a time as the extraction asks for them. */
function* eventsOf(text: string): Generator<SseEvent> {
  const parser = new SseParser({ dispatchUnterminatedEvent: true });
  for (let start = 0; start < text.length; start += EVENT_STREAM_CHUNK_CHARS) {
    yield* parser.push(text.slice(start, start + EVENT_STREAM_CHUNK_CHARS));
  }
  yield* parser.end();
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
