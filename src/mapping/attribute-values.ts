/**
 * @module Turns arbitrary JSON values from a step into OpenTelemetry attribute values: primitives
 * as they are, everything else as capped JSON text with secrets redacted.
 */
import type { AttributeValue } from '@opentelemetry/api';

/** Keys whose values are replaced by {@link REDACTED} wherever they appear in parameters or requests. */
export const DEFAULT_REDACT_PATTERN =
  /^(?:.*[_-])?(?:password|passwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|token|authorization|cookie|set-cookie|credentials?|private[_-]?key)$/i;

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Cuts `text` to `maxLength` characters, marking the cut. */
export function capText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return `${text.slice(0, Math.max(0, maxLength - 14))}...[truncated]`;
}

/**
 * JSON text of `value` with secret-looking keys redacted, capped at `maxLength` characters. A string
 * that holds a JSON object or array (`requests` often does) is redacted the same way.
 */
export function toJsonAttribute(value: unknown, maxLength: number, redact: RegExp = DEFAULT_REDACT_PATTERN): string {
  let subject = value;
  if (typeof value === 'string') {
    if (!/^\s*[[{]/.test(value)) return capText(value, maxLength);
    try {
      subject = JSON.parse(value);
    } catch {
      return capText(value, maxLength);
    }
  }
  // A replacer costs a call per value: only a value that holds a key to redact pays for one.
  const text = holdsKeyMatching(subject, redact)
    ? JSON.stringify(subject, (key, inner: unknown) => (key !== '' && redact.test(key) ? REDACTED : inner))
    : JSON.stringify(subject);
  return capText(text ?? String(value), maxLength);
}

/** Most keys remembered per pattern, so that a stream of distinct keys cannot grow the memory. */
const MAX_REMEMBERED_KEYS = 4096;
const keyVerdicts = new WeakMap<RegExp, Map<string, boolean>>();

function matchesKey(key: string, pattern: RegExp, verdicts: Map<string, boolean>): boolean {
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = pattern.test(key);
    if (verdicts.size < MAX_REMEMBERED_KEYS) verdicts.set(key, verdict);
  }
  return verdict;
}

/**
 * Whether any key JSON.stringify would hand a replacer (object keys and array indices, at any depth)
 * matches `pattern`. Walks with a stack of its own, so depth costs no call stack.
 */
function holdsKeyMatching(value: unknown, pattern: RegExp): boolean {
  let verdicts = keyVerdicts.get(pattern);
  if (verdicts === undefined) {
    verdicts = new Map();
    keyVerdicts.set(pattern, verdicts);
  }
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        if (matchesKey(String(index), pattern, verdicts)) return true;
        pending.push(current[index]);
      }
      continue;
    }
    const record = current as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (matchesKey(key, pattern, verdicts)) return true;
      pending.push(record[key]);
    }
  }
  return false;
}

/** An attribute value for a pass-through field: primitives and homogeneous primitive arrays kept, the rest as JSON. */
export function toAttributeValue(value: unknown, maxLength: number): AttributeValue | undefined {
  switch (typeof value) {
    case 'string':
      return capText(value, maxLength);
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    default:
      break;
  }
  if (value === null) return undefined;
  if (Array.isArray(value) && value.length > 0) {
    const first = typeof value[0];
    if ((first === 'string' || first === 'number' || first === 'boolean') && value.every((item) => typeof item === first)) {
      return first === 'string' ? (value as string[]).map((item) => capText(item, maxLength)) : (value as number[] | boolean[]);
    }
  }
  return toJsonAttribute(value, maxLength);
}
