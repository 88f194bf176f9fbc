/**
 * @module The one map of where a ResponseTrace can sit in an A2A value (DESIGN §2 "Where it
 * travels", "Envelopes"): a walk over a JSON-RPC response, or a Task, Message, Artifact or task
 * event of protocol 0.3 (`kind` shapes and the proto-JSON of HTTP+JSON) or 1.0 (oneof wrappers),
 * that reports every trace placement with its path, its value and the member to delete to remove
 * it. Extraction (extract-traces.ts) and `strip_trace` (receivers/a2a-proxy/strip-trace.ts) both walk with it,
 * so what one reads is exactly what the other removes.
 */
import { STRICT_TRACEABILITY_METADATA_KEYS, TRACEABILITY_METADATA_KEYS } from './extension-keys.js';
import { isObject, nonEmptyString, type JsonObject } from '../model/json-value.js';
import { indexPath, propertyPath } from '../model/field-path.js';

/** One step from a value into one of its members: an object key or an array index. */
export type PathSegment = string | number;

/** Where a value is: its path as reported (field-path.ts notation), and the members leading to it from the walked value. */
export interface Location {
  readonly path: string;
  readonly segments: readonly PathSegment[];
}

/** The walked value itself, reported as the empty path. */
export const ROOT_LOCATION: Location = { path: '', segments: [] };

/** The kinds of A2A object the walk recognizes. */
export type A2AObjectKind = 'task' | 'message' | 'artifact' | 'status-update' | 'artifact-update';

/** What holds a trace placement (also the `placement` of a searched place). */
export type TraceHolder =
  | 'Task.metadata'
  | 'Message.metadata'
  | 'Artifact.metadata'
  | 'status-update metadata'
  | 'artifact-update metadata'
  | 'Part.metadata'
  | 'data part'
  | 'text part';

/** What a placement holds: a trace (parsed when it was a JSON string), or a value under a traceability key that cannot be one. */
export type PlacementContent = { readonly kind: 'trace'; readonly value: unknown } | { readonly kind: 'refused'; readonly reason: string };

/** One trace placement. */
export interface TracePlacement {
  readonly holder: TraceHolder;
  /** Path of the trace, e.g. `result.metadata["trace"]`, `result.parts[1].data`, `result.metadata["trace"][0]`. */
  readonly path: string;
  readonly content: PlacementContent;
  /**
   * The member to delete from the walked value to remove the placement: the metadata key (or, for
   * a `trace` array that also holds other values, the array element), the part, or the artifact of
   * a Task when all its parts are traces. Several placements may share one removal.
   */
  readonly removal: readonly PathSegment[];
  /** True when the placement is a part of an artifact-update's artifact whose parts are all traces: with them gone the event carries nothing. */
  readonly emptiesEvent: boolean;
}

/** The object whose `metadata` the walk reports to {@link A2AVisitor.metadata}. */
export interface MetadataOwner {
  readonly kind: A2AObjectKind;
  readonly object: JsonObject;
  /** As in {@link A2AVisitor.object}. */
  readonly taskId: string | undefined;
}

/**
 * What a walk reports, in document order. Only {@link placement} is required; the other members
 * serve extraction, which also reads the envelope around the traces.
 */
export interface A2AVisitor {
  /** A trace placement. */
  placement(placement: TracePlacement): void;
  /** A place that can hold a trace and holds none: `outcome` says what was there instead. */
  searched?(path: string, placement: string, outcome: string): void;
  /** The `error` member of a JSON-RPC error response (whatever its type), at `path`. */
  rpcError?(error: unknown, path: string): void;
  /**
   * An A2A object, before anything in it. `taskId` is the task it belongs to, when it names one:
   * a Task's `id`, a task event's or a Message's own `taskId`, an Artifact's enclosing task or event.
   */
  object?(kind: A2AObjectKind, object: JsonObject, path: string, taskId: string | undefined): void;
  /** The `metadata` object of an A2A object (not of a part), at `path`, after its placements. */
  metadata?(metadata: JsonObject, path: string, owner: MetadataOwner): void;
  /** A task status, before its message; `message` is that message (`message` in JSON-RPC and 1.0, `update` in 0.3 proto-JSON). */
  status?(status: JsonObject, path: string, taskId: string | undefined, message: JsonObject | undefined): void;
}

/** Where an artifact sits, which decides what removing all its parts removes. */
type ArtifactSetting = 'task' | 'event' | 'bare';

/** A part's trace placement before the artifact around it decides its removal. */
interface PartPlacement {
  readonly holder: TraceHolder;
  readonly path: string;
  readonly content: PlacementContent;
  readonly removal: readonly PathSegment[];
  /** True when the part's content is the trace (the whole part goes), false for a trace in its metadata. */
  readonly isWholePart: boolean;
}

/** A part searched in vain. */
interface PartMiss {
  readonly holder: TraceHolder;
  readonly path: string;
  readonly outcome: string;
}

/** A placement as the metadata reader finds it, before its owner completes it. */
type MetadataPlacement = Pick<TracePlacement, 'holder' | 'path' | 'content' | 'removal'>;

/** Protocol 1.0 wraps results and stream events in one-member objects; 0.3 proto-JSON names a message `msg`. */
const WRAPPERS: ReadonlyArray<readonly [string, 'task' | 'message' | 'status-update' | 'artifact-update']> = [
  ['task', 'task'],
  ['message', 'message'],
  ['msg', 'message'],
  ['statusUpdate', 'status-update'],
  ['status_update', 'status-update'],
  ['artifactUpdate', 'artifact-update'],
  ['artifact_update', 'artifact-update'],
];

function member(at: Location, key: string): Location {
  return { path: propertyPath(at.path, key), segments: [...at.segments, key] };
}

function item(at: Location, index: number): Location {
  return { path: indexPath(at.path, index), segments: [...at.segments, index] };
}

/** A ResponseTrace has a `steps` array; that is all a part or the generic `trace` key needs to count as one. */
function looksLikeTrace(value: unknown): boolean {
  return isObject(value) && Array.isArray(value['steps']);
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function isJsonRpcResponse(value: JsonObject): boolean {
  return ('result' in value || 'error' in value) && ('jsonrpc' in value || 'id' in value);
}

/** A message's parts: `parts` (JSON-RPC, 1.0), or `content` (0.3 proto-JSON, `repeated Part content = 5`). */
function messageParts(message: JsonObject): { key: string; parts: readonly unknown[] } | undefined {
  for (const key of ['parts', 'content']) {
    const parts = message[key];
    if (Array.isArray(parts)) return { key, parts };
  }
  return undefined;
}

class Walker {
  constructor(private readonly visitor: A2AVisitor) {}

  /** Visits a JSON-RPC response or an A2A object; false when the value is neither. */
  walk(value: unknown, at: Location): boolean {
    if (!isObject(value)) return false;
    if (!isJsonRpcResponse(value)) return this.visitObject(value, at);
    const error = value['error'];
    if (error !== undefined && error !== null) this.visitor.rpcError?.(error, propertyPath(at.path, 'error'));
    if ('result' in value) {
      const resultAt = member(at, 'result');
      const result = value['result'];
      if (!isObject(result) || !this.visitObject(result, resultAt)) {
        this.visitor.searched?.(resultAt.path, 'JSON-RPC result', 'not an A2A Task, Message, Artifact or task event');
      }
    }
    return true;
  }

  private visitObject(value: JsonObject, at: Location): boolean {
    switch (value['kind']) {
      case 'task':
        this.visitTask(value, at);
        return true;
      case 'message':
        this.visitMessage(value, at);
        return true;
      case 'status-update':
        this.visitStatusUpdate(value, at);
        return true;
      case 'artifact-update':
        this.visitArtifactUpdate(value, at);
        return true;
      default:
        break;
    }
    let wrapped = false;
    for (const [key, kind] of WRAPPERS) {
      const inner = value[key];
      if (!isObject(inner)) continue;
      wrapped = true;
      const innerAt = member(at, key);
      if (kind === 'task') this.visitTask(inner, innerAt);
      else if (kind === 'message') this.visitMessage(inner, innerAt);
      else if (kind === 'status-update') this.visitStatusUpdate(inner, innerAt);
      else this.visitArtifactUpdate(inner, innerAt);
    }
    // A 1.0 ListTasksResponse: `{tasks: Task[], nextPageToken, ...}`.
    const tasks = value['tasks'];
    if (Array.isArray(tasks)) {
      wrapped = true;
      const tasksAt = member(at, 'tasks');
      tasks.forEach((task: unknown, index) => {
        if (isObject(task)) this.visitTask(task, item(tasksAt, index));
      });
    }
    if (wrapped) return true;
    // Unwrapped objects: a 1.0 GetTask answers a bare Task, and agents post bare Artifacts.
    const taskId = nonEmptyString(value['taskId']);
    if (taskId !== undefined && isObject(value['status']) && !('id' in value)) this.visitStatusUpdate(value, at);
    else if (taskId !== undefined && isObject(value['artifact'])) this.visitArtifactUpdate(value, at);
    else if (typeof value['messageId'] === 'string' && messageParts(value) !== undefined) this.visitMessage(value, at);
    else if (typeof value['artifactId'] === 'string') this.visitArtifact(value, at, undefined, 'bare');
    else if (typeof value['id'] === 'string' && (isObject(value['status']) || typeof value['contextId'] === 'string')) this.visitTask(value, at);
    else return false;
    return true;
  }

  private visitTask(task: JsonObject, at: Location): void {
    const taskId = nonEmptyString(task['id']);
    this.visitor.object?.('task', task, at.path, taskId);
    this.visitMetadata(task, at, 'Task.metadata', { kind: 'task', object: task, taskId });
    const status = task['status'];
    if (isObject(status)) this.visitStatus(status, member(at, 'status'), taskId);
    const artifacts = task['artifacts'];
    if (Array.isArray(artifacts)) {
      const artifactsAt = member(at, 'artifacts');
      artifacts.forEach((artifact: unknown, index) => {
        if (isObject(artifact)) this.visitArtifact(artifact, item(artifactsAt, index), taskId, 'task');
      });
    }
    const history = task['history'];
    if (Array.isArray(history)) {
      const historyAt = member(at, 'history');
      history.forEach((message: unknown, index) => {
        if (isObject(message)) this.visitMessage(message, item(historyAt, index));
      });
    }
  }

  private visitStatus(status: JsonObject, at: Location, taskId: string | undefined): void {
    const key = isObject(status['message']) ? 'message' : 'update';
    const message = status[key];
    const statusMessage = isObject(message) ? message : undefined;
    this.visitor.status?.(status, at.path, taskId, statusMessage);
    if (statusMessage !== undefined) this.visitMessage(statusMessage, member(at, key));
  }

  private visitStatusUpdate(event: JsonObject, at: Location): void {
    const taskId = nonEmptyString(event['taskId']);
    this.visitor.object?.('status-update', event, at.path, taskId);
    this.visitMetadata(event, at, 'status-update metadata', { kind: 'status-update', object: event, taskId });
    const status = event['status'];
    if (isObject(status)) this.visitStatus(status, member(at, 'status'), taskId);
  }

  private visitArtifactUpdate(event: JsonObject, at: Location): void {
    const taskId = nonEmptyString(event['taskId']);
    this.visitor.object?.('artifact-update', event, at.path, taskId);
    this.visitMetadata(event, at, 'artifact-update metadata', { kind: 'artifact-update', object: event, taskId });
    const artifact = event['artifact'];
    if (isObject(artifact)) this.visitArtifact(artifact, member(at, 'artifact'), taskId, 'event');
  }

  private visitMessage(message: JsonObject, at: Location): void {
    const taskId = nonEmptyString(message['taskId']);
    this.visitor.object?.('message', message, at.path, taskId);
    this.visitMetadata(message, at, 'Message.metadata', { kind: 'message', object: message, taskId });
    const found = messageParts(message);
    if (found === undefined) return;
    for (const finding of readParts(found.parts, member(at, found.key))) {
      if ('outcome' in finding) this.visitor.searched?.(finding.path, finding.holder, finding.outcome);
      else this.emitPart(finding, finding.removal, false);
    }
  }

  private visitArtifact(artifact: JsonObject, at: Location, taskId: string | undefined, setting: ArtifactSetting): void {
    this.visitor.object?.('artifact', artifact, at.path, taskId);
    const parts = artifact['parts'];
    // Parts are read before the metadata is reported, as an artifact of only traces is removed whole.
    const findings = Array.isArray(parts) ? readParts(parts, member(at, 'parts')) : [];
    this.visitMetadata(artifact, at, 'Artifact.metadata', { kind: 'artifact', object: artifact, taskId });
    const wholeParts = findings.filter((finding) => 'isWholePart' in finding && finding.isWholePart).length;
    const onlyTraces = Array.isArray(parts) && parts.length > 0 && wholeParts === parts.length;
    for (const finding of findings) {
      if ('outcome' in finding) this.visitor.searched?.(finding.path, finding.holder, finding.outcome);
      else if (onlyTraces && setting === 'task') this.emitPart(finding, at.segments, false);
      else this.emitPart(finding, finding.removal, onlyTraces && setting === 'event' && finding.isWholePart);
    }
  }

  private emitPart(placement: PartPlacement, removal: readonly PathSegment[], emptiesEvent: boolean): void {
    this.visitor.placement({ holder: placement.holder, path: placement.path, content: placement.content, removal, emptiesEvent });
  }

  /** Reports the placements in an A2A object's `metadata`, what it searched in vain, then the metadata itself. */
  private visitMetadata(owner: JsonObject, ownerAt: Location, holder: TraceHolder, metadataOwner: MetadataOwner): void {
    const at = member(ownerAt, 'metadata');
    const metadata = owner['metadata'];
    if (!isObject(metadata)) {
      this.visitor.searched?.(at.path, holder, metadata === undefined || metadata === null ? 'absent' : 'not an object');
      return;
    }
    const placements = readMetadata(metadata, at, holder);
    for (const placement of placements) this.visitor.placement({ ...placement, emptiesEvent: false });
    if (placements.length === 0) {
      const keys = Object.keys(metadata);
      const listed = keys.slice(0, 10).map((key) => JSON.stringify(key)).join(', ');
      const more = keys.length > 10 ? `, and ${keys.length - 10} more` : '';
      this.visitor.searched?.(at.path, holder, keys.length === 0 ? 'empty' : `no trace under a traceability key (keys: ${listed}${more})`);
    }
    this.visitor.metadata?.(metadata, at.path, metadataOwner);
  }
}

/**
 * The placements under the traceability keys of one `metadata`: a trace object, a JSON string of
 * one, or an array of them. Under a strict key anything there is a trace to read (and to refuse
 * if malformed; `null` is nothing); under the others (`trace`) only what looks like one.
 */
function readMetadata(metadata: JsonObject, at: Location, holder: TraceHolder): MetadataPlacement[] {
  const placements: MetadataPlacement[] = [];
  for (const key of TRACEABILITY_METADATA_KEYS) {
    if (!Object.hasOwn(metadata, key)) continue;
    const keyAt = member(at, key);
    const strict = STRICT_TRACEABILITY_METADATA_KEYS.has(key);
    const value = metadata[key];
    let parsed = value;
    if (typeof value === 'string') {
      const result = parseJson(value);
      if ('error' in result) {
        if (strict) {
          const reason = `expected a ResponseTrace or a JSON string of one; this string is not JSON (${result.error})`;
          placements.push({ holder, path: keyAt.path, content: { kind: 'refused', reason }, removal: keyAt.segments });
        }
        continue;
      }
      parsed = result.value;
    }
    if (parsed === null || parsed === undefined) continue;
    if (Array.isArray(parsed)) {
      const items: readonly unknown[] = parsed;
      const taken = items.flatMap((element, index) => (strict || looksLikeTrace(element) ? [index] : []));
      // One element of a JSON string cannot be removed; an array of nothing but traces goes with its key.
      const whole = typeof value === 'string' || taken.length === items.length;
      for (const index of taken) {
        const itemAt = item(keyAt, index);
        placements.push({ holder, path: itemAt.path, content: { kind: 'trace', value: items[index] }, removal: whole ? keyAt.segments : itemAt.segments });
      }
    } else if (isObject(parsed)) {
      if (strict || looksLikeTrace(parsed)) placements.push({ holder, path: keyAt.path, content: { kind: 'trace', value: parsed }, removal: keyAt.segments });
    } else if (strict) {
      placements.push({ holder, path: keyAt.path, content: { kind: 'refused', reason: 'expected a ResponseTrace object or a JSON string of one' }, removal: keyAt.segments });
    }
  }
  return placements;
}

/**
 * Reads the parts of a Message or Artifact, in order: 0.3 parts say `kind: "data" | "text" |
 * "file"`; 1.0 parts are a oneof of `data`, `text`, `url`, `raw`; early 1.0 drafts and 0.3
 * proto-JSON nest a data part once more (`{data: {data: {...}}}`). A part's own `metadata` is read
 * too, without reporting where it found nothing (parts rarely have one).
 */
function readParts(parts: readonly unknown[], partsAt: Location): Array<PartPlacement | PartMiss> {
  const findings: Array<PartPlacement | PartMiss> = [];
  parts.forEach((part: unknown, index) => {
    if (!isObject(part)) return;
    const partAt = item(partsAt, index);
    const content = 'data' in part ? readDataPart(part['data'], member(partAt, 'data')) : typeof part['text'] === 'string' ? readTextPart(part['text'], member(partAt, 'text')) : undefined;
    if (content !== undefined) findings.push('outcome' in content ? content : { ...content, removal: partAt.segments, isWholePart: true });
    const metadata = part['metadata'];
    if (isObject(metadata)) {
      for (const placement of readMetadata(metadata, member(partAt, 'metadata'), 'Part.metadata')) findings.push({ ...placement, isWholePart: false });
    }
  });
  return findings;
}

function readDataPart(data: unknown, at: Location): Pick<PartPlacement, 'holder' | 'path' | 'content'> | PartMiss {
  let value = data;
  if (typeof data === 'string') {
    const result = parseJson(data);
    if ('value' in result) value = result.value;
  }
  if (looksLikeTrace(value)) return { holder: 'data part', path: at.path, content: { kind: 'trace', value } };
  if (isObject(value) && looksLikeTrace(value['data'])) return { holder: 'data part', path: propertyPath(at.path, 'data'), content: { kind: 'trace', value: value['data'] } };
  return { holder: 'data part', path: at.path, outcome: 'not a ResponseTrace (no "steps" array)' };
}

function readTextPart(text: string, at: Location): Pick<PartPlacement, 'holder' | 'path' | 'content'> | PartMiss {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    const result = parseJson(trimmed);
    if ('value' in result && looksLikeTrace(result.value)) return { holder: 'text part', path: at.path, content: { kind: 'trace', value: result.value } };
  }
  return { holder: 'text part', path: at.path, outcome: 'not a ResponseTrace as JSON' };
}

/**
 * Walks one JSON-RPC response or A2A object (0.3 `kind`, 1.0 wrapper, 0.3 proto-JSON, or bare)
 * and reports to `visitor` every trace placement and, for extraction, the envelope around them.
 * `start` locates the value inside a larger body (its path prefixes every reported path, its
 * segments every removal). Returns false, having reported nothing, when the value has none of
 * these shapes. Never throws on input; recursion is bounded by the A2A object shapes, not by the
 * depth of the value. A JSON-RPC batch (an array) is the caller's to split.
 */
export function walkA2A(value: unknown, visitor: A2AVisitor, start: Location = ROOT_LOCATION): boolean {
  return new Walker(visitor).walk(value, start);
}
