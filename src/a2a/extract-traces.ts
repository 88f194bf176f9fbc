/**
 * @module Finds the ResponseTraces an A2A envelope carries (DESIGN §2): in a Task, Message,
 * Artifact or streaming event of protocol 0.3 or 1.0, bare or as a JSON-RPC response, in every
 * placement trace-placements.ts walks (the same ones `strip_trace` removes), plus the envelope's context.
 */
import type { FieldIssue } from '../errors.js';
import type { EnvelopeContext } from '../model/envelope-context.js';
import { indexPath, propertyPath } from '../model/field-path.js';
import { isObject, nonEmptyString, type JsonObject } from '../model/json-value.js';
import { CappedList } from './capped-list.js';
import { EnvelopeMarks, normalizeRole, normalizeState, stampOwnerOf } from './envelope-marks.js';
import { TIMESTAMP_METADATA_KEYS, TRACEPARENT_METADATA_KEY } from './extension-keys.js';
import { mergeRepeatedTraces } from './repeated-traces.js';
import { walkA2A, type A2AObjectKind, type A2AVisitor, type MetadataOwner, type TracePlacement } from './trace-placements.js';

/** A value that should be a ResponseTrace, where it was found, and the envelope around it. */
export interface ExtractedTrace {
  /** The trace value (already parsed when the envelope carried it as a JSON string). */
  readonly value: unknown;
  /** Path of the value in the body (src/model/field-path.ts), e.g. `result.metadata["trace"]`. */
  readonly path: string;
  readonly context: EnvelopeContext;
}

/** A JSON-RPC error response met in the body. */
export interface JsonRpcErrorReport {
  /** Path of its `error` member. */
  readonly path: string;
  /** The JSON-RPC error code, when it has one. */
  readonly code: number | string | undefined;
  /** The JSON-RPC error message (or the error as JSON when it has no message). */
  readonly message: string;
}

/** A place the extraction looked in and found no trace. */
export interface SearchedPlacement {
  readonly path: string;
  /** Kind of place: `Task.metadata`, `Message.metadata`, `data part`, ... */
  readonly placement: string;
  /** What was there instead, in words. */
  readonly outcome: string;
}

/** What {@link extractTraces} found. Every list is in document order. */
export interface Extraction {
  /** True when the body had an A2A or JSON-RPC response shape, with or without a trace in it. */
  readonly isEnvelope: boolean;
  /** The traces, each once (see repeated-traces.ts). */
  readonly traces: readonly ExtractedTrace[];
  /** Values under a traceability key that cannot be a trace (a string that is not JSON, a number). */
  readonly issues: readonly FieldIssue[];
  /** JSON-RPC error responses met. */
  readonly rpcErrors: readonly JsonRpcErrorReport[];
  /** Places searched without finding a trace, at most {@link MAX_SEARCHED_LISTED}. */
  readonly searched: readonly SearchedPlacement[];
  /** Places searched without finding a trace beyond those listed. */
  readonly searchedLeftOut: number;
}

/** How many searched places an extraction lists; the rest are only counted. */
export const MAX_SEARCHED_LISTED = 50;

/** Most JSON-RPC errors kept per envelope (a stream can carry any number of `event: error`). */
export const MAX_RPC_ERRORS_KEPT = 50;

/**
 * Collects the traces and the context of one envelope: one JSON-RPC response, one A2A object, or
 * every event of one stream (which share one context). Feed it with {@link add}, then
 * {@link finish}. Never throws on input.
 */
export class EnvelopeExtractor {
  private isEnvelope = false;
  private readonly traces: Array<{ readonly value: unknown; readonly path: string }> = [];
  private readonly issues: FieldIssue[] = [];
  private readonly rpcErrors = new CappedList<JsonRpcErrorReport>(MAX_RPC_ERRORS_KEPT);
  private readonly searched = new CappedList<SearchedPlacement>(MAX_SEARCHED_LISTED);
  private contextId: string | undefined;
  private taskId: string | undefined;
  private traceparent: { value: string; path: string } | undefined;
  private readonly marks = new EnvelopeMarks();
  /** The walk's reports, each into the list or the context it belongs to. */
  private readonly visitor: A2AVisitor = {
    placement: (placement) => this.takePlacement(placement),
    searched: (path, placement, outcome) => this.note(path, placement, outcome),
    rpcError: (error, path) => this.addRpcError(error, path),
    object: (kind, object, _path, taskId) => this.noteIds(kind, object, taskId),
    metadata: (metadata, path, owner) => this.readMetadataContext(metadata, path, owner),
    status: (status, path, taskId, message) => this.readStatus(status, path, taskId, message),
  };

  /**
   * Adds one JSON value: a JSON-RPC response, an A2A object (0.3 `kind`, 1.0 wrapper or bare) or a
   * stream event. `path` prefixes every path reported for it. Returns false, and records nothing,
   * when the value has none of these shapes.
   */
  add(value: unknown, path = ''): boolean {
    const recognized = walkA2A(value, this.visitor, { path, segments: [] });
    if (recognized) this.isEnvelope = true;
    return recognized;
  }

  /** Records a place searched without finding a trace (for the "no trace" answer). */
  note(path: string, placement: string, outcome: string): void {
    this.searched.add({ path, placement, outcome });
  }

  /** Records an error reported outside JSON-RPC (an SSE `error` event that is not a JSON-RPC response). */
  addError(path: string, message: string): void {
    this.isEnvelope = true;
    this.rpcErrors.add({ path, code: undefined, message });
  }

  /** Marks the input as an envelope even when nothing in it was recognized (an event stream). */
  markAsEnvelope(): void {
    this.isEnvelope = true;
  }

  /** What was found; every trace carries the context of the whole envelope. */
  finish(): Extraction {
    const context: EnvelopeContext = {
      contextId: this.contextId,
      taskId: this.taskId,
      traceparent: this.traceparent,
      marks: this.marks.list(),
      warnings: this.marks.warningsWithTotals(),
    };
    return {
      isEnvelope: this.isEnvelope,
      traces: mergeRepeatedTraces(this.traces).map(({ value, path }) => ({ value, path, context })),
      issues: [...this.issues],
      rpcErrors: this.rpcErrors.items(),
      searched: this.searched.items(),
      searchedLeftOut: this.searched.leftOut,
    };
  }

  private takePlacement(placement: TracePlacement): void {
    if (placement.content.kind === 'trace') this.traces.push({ value: placement.content.value, path: placement.path });
    else this.issues.push({ path: placement.path, reason: placement.content.reason });
  }

  private addRpcError(error: unknown, path: string): void {
    const code = isObject(error) && (typeof error['code'] === 'number' || typeof error['code'] === 'string') ? error['code'] : undefined;
    const message = isObject(error) && typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error);
    this.rpcErrors.add({ path, code, message });
  }

  /** The first task id and context id seen are the envelope's (an Artifact names neither). */
  private noteIds(kind: A2AObjectKind, object: JsonObject, taskId: string | undefined): void {
    if (kind === 'artifact') return;
    this.taskId ??= taskId;
    this.contextId ??= nonEmptyString(object['contextId']);
  }

  private readStatus(status: JsonObject, path: string, taskId: string | undefined, message: JsonObject | undefined): void {
    const timestamp = status['timestamp'];
    if (timestamp === undefined || timestamp === null) return;
    this.marks.add(timestamp, propertyPath(path, 'timestamp'), {
      source: 'task_status',
      taskId,
      state: normalizeState(status['state']),
      messageId: message === undefined ? undefined : nonEmptyString(message['messageId']),
      role: message === undefined ? undefined : normalizeRole(message['role']),
    });
  }

  /** Timestamp-extension stamps and a `traceparent` in an A2A object's metadata. */
  private readMetadataContext(metadata: JsonObject, path: string, owner: MetadataOwner): void {
    const stampOwner = stampOwnerOf(owner);
    for (const key of TIMESTAMP_METADATA_KEYS) {
      if (Object.hasOwn(metadata, key)) this.marks.add(metadata[key], propertyPath(path, key), stampOwner);
    }
    const traceparent = metadata[TRACEPARENT_METADATA_KEY];
    if (this.traceparent === undefined && typeof traceparent === 'string') {
      this.traceparent = { value: traceparent, path: propertyPath(path, TRACEPARENT_METADATA_KEY) };
    }
  }

}

/**
 * Extracts the traces of a JSON body holding an A2A envelope, or a JSON array of them (a JSON-RPC
 * batch: each element is its own envelope with its own context). `basePath` prefixes every path.
 * Pure: never throws on input; the caller decides what an envelope without a trace means.
 */
export function extractTraces(body: unknown, basePath = ''): Extraction {
  if (!Array.isArray(body)) {
    const extractor = new EnvelopeExtractor();
    extractor.add(body, basePath);
    return extractor.finish();
  }
  const parts = (body as unknown[]).map((element, index) => extractTraces(element, indexPath(basePath, index)));
  const searched = parts.flatMap((part) => part.searched);
  const leftOut = parts.reduce((sum, part) => sum + part.searchedLeftOut, 0);
  return {
    isEnvelope: parts.some((part) => part.isEnvelope),
    traces: mergeRepeatedTraces(parts.flatMap((part) => part.traces)),
    issues: parts.flatMap((part) => part.issues),
    rpcErrors: parts.flatMap((part) => part.rpcErrors),
    searched: searched.slice(0, MAX_SEARCHED_LISTED),
    searchedLeftOut: leftOut + Math.max(0, searched.length - MAX_SEARCHED_LISTED),
  };
}
