/**
 * @module Finds the ResponseTraces an A2A envelope carries (DESIGN §2): in a Task, Message,
 * Artifact or streaming event of protocol 0.3 or 1.0, bare or as a JSON-RPC response, in every
 * placement and under every key the traceability extension is seen with, plus the envelope's context.
 */
import type { FieldIssue } from '../errors.js';
import { parseTimestamp } from '../model/timestamp.js';
import type { ReadWarning } from '../model/types.js';
import type { EnvelopeContext, EnvelopeMark, EnvelopeMarkSource } from './envelope-context.js';
import {
  STRICT_TRACEABILITY_METADATA_KEYS,
  TIMESTAMP_METADATA_KEYS,
  TRACEABILITY_METADATA_KEYS,
  TRACEPARENT_METADATA_KEY,
} from './extension-keys.js';
import { indexPath, propertyPath } from './json-path.js';
import { dropRepeatedTraces } from './repeated-traces.js';

/** A value that should be a ResponseTrace, where it was found, and the envelope around it. */
export interface ExtractedTrace {
  /** The trace value (already parsed when the envelope carried it as a JSON string). */
  readonly value: unknown;
  /** Path of the value in the body (see json-path.ts), e.g. `result.metadata["trace"]`. */
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
 * How many moments (span events) one envelope contributes, as OpenTelemetry's default span event
 * limit; a stream of thousands of status updates must not make one span unbounded.
 */
export const MAX_ENVELOPE_MARKS = 128;

/** How many envelope warnings are kept; the rest are counted in one last warning. */
const MAX_ENVELOPE_WARNINGS = 20;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A ResponseTrace has a `steps` array; that is all a data or text part needs to count as one. */
function looksLikeTrace(value: unknown): boolean {
  return isObject(value) && Array.isArray(value['steps']);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const PROTO_TASK_STATES: readonly string[] = [
  'unspecified',
  'submitted',
  'working',
  'completed',
  'failed',
  'canceled',
  'input-required',
  'rejected',
  'auth-required',
];

/** `TASK_STATE_INPUT_REQUIRED` (1.0), `input-required` (0.3) and the proto number 6 all read `input-required`. */
function normalizeState(state: unknown): string | undefined {
  if (typeof state === 'number') return PROTO_TASK_STATES[state];
  if (typeof state !== 'string' || state === '') return undefined;
  return state.toLowerCase().replace(/^task_state_/, '').replace(/_/g, '-');
}

/** `ROLE_AGENT` (1.0) and `agent` (0.3) both read `agent`. */
function normalizeRole(role: unknown): string | undefined {
  if (role === 1) return 'user';
  if (role === 2) return 'agent';
  if (typeof role !== 'string' || role === '') return undefined;
  return role.toLowerCase().replace(/^role_/, '');
}

function isJsonRpcResponse(value: JsonObject): boolean {
  return ('result' in value || 'error' in value) && ('jsonrpc' in value || 'id' in value);
}

/** Who a timestamp-extension stamp belongs to. */
type StampOwner = Omit<EnvelopeMark, 'time' | 'path' | 'state'> & { readonly source: Exclude<EnvelopeMarkSource, 'task_status'> };

/**
 * Collects the traces and the context of one envelope: one JSON-RPC response, one A2A object, or
 * every event of one stream (which share one context). Feed it with {@link add}, then
 * {@link finish}. Never throws on input.
 */
export class EnvelopeExtractor {
  private isEnvelope = false;
  private readonly traces: Array<{ readonly value: unknown; readonly path: string }> = [];
  private readonly issues: FieldIssue[] = [];
  private readonly rpcErrors: JsonRpcErrorReport[] = [];
  private readonly searched: SearchedPlacement[] = [];
  private searchedLeftOut = 0;
  private contextId: string | undefined;
  private taskId: string | undefined;
  private traceparent: { value: string; path: string } | undefined;
  private readonly marks: EnvelopeMark[] = [];
  private readonly markKeys = new Set<string>();
  private marksLeftOut = 0;
  private readonly warnings: ReadWarning[] = [];
  private warningsLeftOut = 0;

  /**
   * Adds one JSON value: a JSON-RPC response, an A2A object (0.3 `kind`, 1.0 wrapper or bare) or a
   * stream event. `path` prefixes every path reported for it. Returns false, and records nothing,
   * when the value has none of these shapes.
   */
  add(value: unknown, path = ''): boolean {
    if (!isObject(value)) return false;
    const recognized = isJsonRpcResponse(value) ? this.visitJsonRpc(value, path) : this.visitObject(value, path);
    if (recognized) this.isEnvelope = true;
    return recognized;
  }

  /** Records a place searched without finding a trace (for the "no trace" answer). */
  note(path: string, placement: string, outcome: string): void {
    if (this.searched.length < MAX_SEARCHED_LISTED) this.searched.push({ path, placement, outcome });
    else this.searchedLeftOut++;
  }

  /** Records an error reported outside JSON-RPC (an SSE `error` event that is not a JSON-RPC response). */
  addError(path: string, message: string): void {
    this.isEnvelope = true;
    if (this.rpcErrors.length < MAX_RPC_ERRORS_KEPT) this.rpcErrors.push({ path, code: undefined, message });
  }

  /** Marks the input as an envelope even when nothing in it was recognized (an event stream). */
  markAsEnvelope(): void {
    this.isEnvelope = true;
  }

  /** What was found; every trace carries the context of the whole envelope. */
  finish(): Extraction {
    const warnings = [...this.warnings];
    if (this.marksLeftOut > 0) {
      warnings.push({ path: '', code: 'envelope_marks_truncated', message: `${this.marksLeftOut} more envelope timestamps beyond ${MAX_ENVELOPE_MARKS} were not recorded` });
    }
    if (this.warningsLeftOut > 0) {
      warnings.push({ path: '', code: 'warnings_truncated', message: `${this.warningsLeftOut} more envelope warnings were not listed` });
    }
    const context: EnvelopeContext = {
      contextId: this.contextId,
      taskId: this.taskId,
      traceparent: this.traceparent,
      marks: [...this.marks],
      warnings,
    };
    return {
      isEnvelope: this.isEnvelope,
      traces: dropRepeatedTraces(this.traces).map(({ value, path }) => ({ value, path, context })),
      issues: [...this.issues],
      rpcErrors: [...this.rpcErrors],
      searched: [...this.searched],
      searchedLeftOut: this.searchedLeftOut,
    };
  }

  private visitJsonRpc(response: JsonObject, path: string): boolean {
    const error = response['error'];
    if (error !== undefined && error !== null) {
      const code = isObject(error) && (typeof error['code'] === 'number' || typeof error['code'] === 'string') ? error['code'] : undefined;
      const message = isObject(error) && typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error);
      if (this.rpcErrors.length < MAX_RPC_ERRORS_KEPT) this.rpcErrors.push({ path: propertyPath(path, 'error'), code, message });
    }
    if ('result' in response) {
      const resultPath = propertyPath(path, 'result');
      const result = response['result'];
      if (!isObject(result) || !this.visitObject(result, resultPath)) {
        this.note(resultPath, 'JSON-RPC result', 'not an A2A Task, Message, Artifact or task event');
      }
    }
    return true;
  }

  /** Visits an A2A object of either protocol version; false when it is none. */
  private visitObject(value: JsonObject, path: string): boolean {
    switch (value['kind']) {
      case 'task':
        this.visitTask(value, path);
        return true;
      case 'message':
        this.visitMessage(value, path);
        return true;
      case 'status-update':
        this.visitStatusUpdate(value, path);
        return true;
      case 'artifact-update':
        this.visitArtifactUpdate(value, path);
        return true;
      default:
        break;
    }
    // Protocol 1.0 wraps results and stream events in a one-member object (StreamResponse).
    let wrapped = false;
    for (const key of ['task', 'message', 'statusUpdate', 'status_update', 'artifactUpdate', 'artifact_update']) {
      const inner = value[key];
      if (!isObject(inner)) continue;
      wrapped = true;
      const innerPath = propertyPath(path, key);
      if (key === 'task') this.visitTask(inner, innerPath);
      else if (key === 'message') this.visitMessage(inner, innerPath);
      else if (key.startsWith('status')) this.visitStatusUpdate(inner, innerPath);
      else this.visitArtifactUpdate(inner, innerPath);
    }
    if (wrapped) return true;
    // Unwrapped objects: a 1.0 GetTask answers a bare Task, and agents post bare Artifacts.
    const taskId = nonEmptyString(value['taskId']);
    if (taskId !== undefined && isObject(value['status']) && !('id' in value)) this.visitStatusUpdate(value, path);
    else if (taskId !== undefined && isObject(value['artifact'])) this.visitArtifactUpdate(value, path);
    else if (typeof value['messageId'] === 'string' && Array.isArray(value['parts'])) this.visitMessage(value, path);
    else if (typeof value['artifactId'] === 'string') this.visitArtifact(value, path, undefined);
    else if (typeof value['id'] === 'string' && (isObject(value['status']) || typeof value['contextId'] === 'string')) this.visitTask(value, path);
    else return false;
    return true;
  }

  private noteIds(taskId: unknown, contextId: unknown): void {
    this.taskId ??= nonEmptyString(taskId);
    this.contextId ??= nonEmptyString(contextId);
  }

  private visitTask(task: JsonObject, path: string): void {
    const taskId = nonEmptyString(task['id']);
    this.noteIds(taskId, task['contextId']);
    this.inspectMetadata(task['metadata'], path, 'Task.metadata', { source: 'task', taskId });
    const status = task['status'];
    if (isObject(status)) this.visitStatus(status, propertyPath(path, 'status'), taskId);
    const artifacts = task['artifacts'];
    if (Array.isArray(artifacts)) {
      artifacts.forEach((artifact: unknown, index) => {
        if (isObject(artifact)) this.visitArtifact(artifact, indexPath(propertyPath(path, 'artifacts'), index), taskId);
      });
    }
    const history = task['history'];
    if (Array.isArray(history)) {
      history.forEach((message: unknown, index) => {
        if (isObject(message)) this.visitMessage(message, indexPath(propertyPath(path, 'history'), index));
      });
    }
  }

  private visitStatus(status: JsonObject, path: string, taskId: string | undefined): void {
    const message = status['message'];
    const timestamp = status['timestamp'];
    if (timestamp !== undefined && timestamp !== null) {
      this.addMark(timestamp, propertyPath(path, 'timestamp'), {
        source: 'task_status',
        taskId,
        state: normalizeState(status['state']),
        messageId: isObject(message) ? nonEmptyString(message['messageId']) : undefined,
        role: isObject(message) ? normalizeRole(message['role']) : undefined,
      });
    }
    if (isObject(message)) this.visitMessage(message, propertyPath(path, 'message'));
  }

  private visitStatusUpdate(event: JsonObject, path: string): void {
    const taskId = nonEmptyString(event['taskId']);
    this.noteIds(taskId, event['contextId']);
    this.inspectMetadata(event['metadata'], path, 'status-update metadata', { source: 'task', taskId });
    const status = event['status'];
    if (isObject(status)) this.visitStatus(status, propertyPath(path, 'status'), taskId);
  }

  private visitArtifactUpdate(event: JsonObject, path: string): void {
    const taskId = nonEmptyString(event['taskId']);
    this.noteIds(taskId, event['contextId']);
    this.inspectMetadata(event['metadata'], path, 'artifact-update metadata', { source: 'task', taskId });
    const artifact = event['artifact'];
    if (isObject(artifact)) this.visitArtifact(artifact, propertyPath(path, 'artifact'), taskId);
  }

  private visitMessage(message: JsonObject, path: string): void {
    const taskId = nonEmptyString(message['taskId']);
    this.noteIds(taskId, message['contextId']);
    this.inspectMetadata(message['metadata'], path, 'Message.metadata', {
      source: 'message',
      taskId,
      messageId: nonEmptyString(message['messageId']),
      role: normalizeRole(message['role']),
    });
    this.inspectParts(message['parts'], path);
  }

  private visitArtifact(artifact: JsonObject, path: string, taskId: string | undefined): void {
    this.inspectMetadata(artifact['metadata'], path, 'Artifact.metadata', {
      source: 'artifact',
      taskId,
      artifactId: nonEmptyString(artifact['artifactId']),
      artifactName: nonEmptyString(artifact['name']),
    });
    this.inspectParts(artifact['parts'], path);
  }

  private inspectMetadata(metadata: unknown, ownerPath: string, placement: string, owner: StampOwner): void {
    const path = propertyPath(ownerPath, 'metadata');
    if (!isObject(metadata)) {
      this.note(path, placement, metadata === undefined || metadata === null ? 'absent' : 'not an object');
      return;
    }
    let found = false;
    for (const key of TRACEABILITY_METADATA_KEYS) {
      if (Object.hasOwn(metadata, key)) {
        found = this.takeTrace(metadata[key], propertyPath(path, key), STRICT_TRACEABILITY_METADATA_KEYS.has(key)) || found;
      }
    }
    if (!found) {
      const keys = Object.keys(metadata);
      const listed = keys.slice(0, 10).map((key) => JSON.stringify(key)).join(', ');
      const more = keys.length > 10 ? `, and ${keys.length - 10} more` : '';
      this.note(path, placement, keys.length === 0 ? 'empty' : `no trace under a traceability key (keys: ${listed}${more})`);
    }
    for (const key of TIMESTAMP_METADATA_KEYS) {
      if (Object.hasOwn(metadata, key)) this.addMark(metadata[key], propertyPath(path, key), owner);
    }
    const traceparent = metadata[TRACEPARENT_METADATA_KEY];
    if (this.traceparent === undefined && typeof traceparent === 'string') {
      this.traceparent = { value: traceparent, path: propertyPath(path, TRACEPARENT_METADATA_KEY) };
    }
  }

  /**
   * Takes the value under a traceability key: a trace object, a JSON string of one, or an array of
   * them. Under a strict key anything there is a trace to read (and to refuse if malformed);
   * under the others only what looks like one. Returns whether it took or refused anything.
   */
  private takeTrace(value: unknown, path: string, strict: boolean): boolean {
    let parsed = value;
    if (typeof value === 'string') {
      const result = parseJson(value);
      if ('error' in result) {
        if (strict) this.issues.push({ path, reason: `expected a ResponseTrace or a JSON string of one; this string is not JSON (${result.error})` });
        return strict;
      }
      parsed = result.value;
    }
    if (parsed === null || parsed === undefined) return false;
    if (Array.isArray(parsed)) {
      let took = false;
      parsed.forEach((item: unknown, index) => {
        if (strict || looksLikeTrace(item)) {
          this.traces.push({ value: item, path: indexPath(path, index) });
          took = true;
        }
      });
      return took;
    }
    if (isObject(parsed)) {
      if (!strict && !looksLikeTrace(parsed)) return false;
      this.traces.push({ value: parsed, path });
      return true;
    }
    if (strict) this.issues.push({ path, reason: 'expected a ResponseTrace object or a JSON string of one' });
    return strict;
  }

  private inspectParts(parts: unknown, ownerPath: string): void {
    if (!Array.isArray(parts)) return;
    parts.forEach((part: unknown, index) => {
      if (!isObject(part)) return;
      const partPath = indexPath(propertyPath(ownerPath, 'parts'), index);
      // 0.3 parts say `kind: "data" | "text"`; 1.0 parts are a oneof of `data`, `text`, `url`, `raw`.
      if ('data' in part) this.takeDataPart(part['data'], propertyPath(partPath, 'data'));
      else if (typeof part['text'] === 'string') this.takeTextPart(part['text'], propertyPath(partPath, 'text'));
    });
  }

  private takeDataPart(data: unknown, path: string): void {
    let value = data;
    if (typeof data === 'string') {
      const result = parseJson(data);
      if ('value' in result) value = result.value;
    }
    if (looksLikeTrace(value)) {
      this.traces.push({ value, path });
      return;
    }
    // Early 1.0 drafts nest the payload once more: {"data": {"data": {...}}}.
    if (isObject(value) && looksLikeTrace(value['data'])) {
      this.traces.push({ value: value['data'], path: propertyPath(path, 'data') });
      return;
    }
    this.note(path, 'data part', 'not a ResponseTrace (no "steps" array)');
  }

  private takeTextPart(text: string, path: string): void {
    const trimmed = text.trim();
    if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
      const result = parseJson(trimmed);
      if ('value' in result && looksLikeTrace(result.value)) {
        this.traces.push({ value: result.value, path });
        return;
      }
    }
    this.note(path, 'text part', 'not a ResponseTrace as JSON');
  }

  private addMark(value: unknown, path: string, mark: Omit<EnvelopeMark, 'time' | 'path'>): void {
    const time = typeof value === 'string' ? parseTimestamp(value) : undefined;
    if (time === undefined) {
      const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : JSON.stringify(value)?.slice(0, 64);
      if (this.warnings.length < MAX_ENVELOPE_WARNINGS) {
        this.warnings.push({ path, code: 'envelope_timestamp_invalid', message: `not an RFC 3339 timestamp: ${shown ?? 'undefined'}; ignored` });
      } else {
        this.warningsLeftOut++;
      }
      return;
    }
    // The final Task repeats the last status and the history of the stream before it.
    const key = JSON.stringify([mark.source, time.raw, mark.state, mark.taskId, mark.messageId, mark.role, mark.artifactId]);
    if (this.markKeys.has(key)) return;
    if (this.marks.length >= MAX_ENVELOPE_MARKS) {
      this.marksLeftOut++;
      return;
    }
    this.markKeys.add(key);
    this.marks.push({ ...mark, time, path });
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
    traces: dropRepeatedTraces(parts.flatMap((part) => part.traces)),
    issues: parts.flatMap((part) => part.issues),
    rpcErrors: parts.flatMap((part) => part.rpcErrors),
    searched: searched.slice(0, MAX_SEARCHED_LISTED),
    searchedLeftOut: leftOut + Math.max(0, searched.length - MAX_SEARCHED_LISTED),
  };
}
