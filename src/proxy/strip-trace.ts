/**
 * @module Removes ResponseTraces from an A2A response or stream event (for `strip_trace`): the
 * traceability keys of every `metadata`, and every data or text part that is a trace. Copy on write:
 * a value with no trace comes back as the same object.
 */
import { STRICT_TRACEABILITY_METADATA_KEYS, TRACEABILITY_METADATA_KEYS } from '../a2a/extension-keys.js';

/** What {@link stripTraces} did. */
export interface StripResult {
  /** The value without traces (the input itself when `removed` is 0). */
  readonly value: unknown;
  /** Placements removed. */
  readonly removed: number;
  /**
   * An artifact-update event whose artifact held nothing but traces: the event carries nothing for
   * the client and should be dropped.
   */
  readonly emptiedEvent: boolean;
}

/** A2A envelopes are a few levels deep; past this depth values are left as they are. */
const MAX_DEPTH = 64;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function looksLikeTrace(value: unknown): boolean {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!trimmed.startsWith('{')) return false;
    try {
      return looksLikeTrace(JSON.parse(trimmed));
    } catch {
      return false;
    }
  }
  return isObject(value) && Array.isArray(value['steps']);
}

/** A part (0.3 `kind` parts, 1.0 oneof parts, 0.3 proto-JSON parts) whose content is a trace. */
function isTracePart(part: unknown): boolean {
  if (!isObject(part)) return false;
  if ('data' in part) {
    const data = part['data'];
    return looksLikeTrace(data) || (isObject(data) && looksLikeTrace(data['data']));
  }
  return typeof part['text'] === 'string' && looksLikeTrace(part['text']);
}

/** Strips one object's metadata; returns the new metadata and how many keys went. */
function stripMetadata(metadata: JsonObject): { value: JsonObject; removed: number } {
  let removed = 0;
  let result = metadata;
  for (const key of TRACEABILITY_METADATA_KEYS) {
    if (!(key in metadata)) continue;
    if (!STRICT_TRACEABILITY_METADATA_KEYS.has(key) && !looksLikeTrace(metadata[key])) continue;
    if (result === metadata) result = { ...metadata };
    delete result[key];
    removed++;
  }
  return { value: result, removed };
}

class Stripper {
  removed = 0;
  emptiedEvent = false;

  visit(value: unknown, depth: number): unknown {
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return this.visitArray(value, depth);
    if (!isObject(value)) return value;
    let result = value;
    const replace = (key: string, next: unknown): void => {
      if (next === result[key]) return;
      if (result === value) result = { ...value };
      result[key] = next;
    };
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (key === 'metadata' && isObject(member)) {
        const stripped = stripMetadata(member);
        this.removed += stripped.removed;
        replace(key, this.visit(stripped.value, depth + 1));
      } else if ((key === 'parts' || key === 'content') && Array.isArray(member)) {
        replace(key, this.stripParts(member, depth));
      } else if (key === 'artifacts' && Array.isArray(member)) {
        replace(key, this.stripArtifacts(member, depth));
      } else if (key === 'artifact' && isObject(member)) {
        const artifact = this.visit(member, depth + 1);
        if (this.isEmptied(member, artifact)) this.emptiedEvent = true;
        replace(key, artifact);
      } else {
        replace(key, this.visit(member, depth + 1));
      }
    }
    return result;
  }

  private visitArray(values: readonly unknown[], depth: number): unknown[] {
    let result: unknown[] | undefined;
    values.forEach((item, index) => {
      const next = this.visit(item, depth + 1);
      if (next !== item) {
        result ??= [...values];
        result[index] = next;
      }
    });
    return result ?? (values as unknown[]);
  }

  private stripParts(parts: readonly unknown[], depth: number): unknown[] {
    const kept = parts.filter((part) => !isTracePart(part));
    this.removed += parts.length - kept.length;
    const visited = this.visitArray(kept, depth);
    return kept.length === parts.length && visited === kept ? (parts as unknown[]) : visited;
  }

  /** An artifact left with no part (it held only traces) is removed from a Task's artifacts. */
  private stripArtifacts(artifacts: readonly unknown[], depth: number): unknown[] {
    let changed = false;
    const result: unknown[] = [];
    for (const artifact of artifacts) {
      const next = this.visit(artifact, depth + 1);
      if (next !== artifact) changed = true;
      if (this.isEmptied(artifact, next)) continue;
      result.push(next);
    }
    return changed ? result : (artifacts as unknown[]);
  }

  private isEmptied(before: unknown, after: unknown): boolean {
    if (!isObject(before) || !isObject(after) || before === after) return false;
    const partsBefore = before['parts'] ?? before['content'];
    const partsAfter = after['parts'] ?? after['content'];
    return Array.isArray(partsBefore) && partsBefore.length > 0 && Array.isArray(partsAfter) && partsAfter.length === 0;
  }
}

/**
 * Removes every trace from an A2A value (a JSON-RPC response, a Task, Message, Artifact or stream
 * event of either protocol version): the traceability metadata keys (the generic `trace` key only
 * when it holds a trace), data and text parts holding a trace, and artifacts left with no part.
 */
export function stripTraces(value: unknown): StripResult {
  const stripper = new Stripper();
  const stripped = stripper.visit(value, 0);
  return { value: stripped, removed: stripper.removed, emptiedEvent: stripper.emptiedEvent };
}
