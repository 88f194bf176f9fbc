/**
 * @module The notation of every field path the collector reports, in a body, an envelope or a
 * config: members by name (`result.status`), array items by index (`steps[2]`), and keys that are
 * not identifiers as JSON strings in brackets (`metadata["github.com/…/traceability"]`,
 * `exporters["otlp/jaeger"].endpoint`).
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `base` followed by the member `key`: `.key` when the key is an identifier, else `["key"]` with the
 * key written as a JSON string (metadata keys are URIs). An empty `base` is the whole body.
 */
export function propertyPath(base: string, key: string): string {
  if (IDENTIFIER.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** `base` followed by the array index `index`: `base[index]`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/**
 * `base` followed by every segment of a zod or reader path, numbers as array indexes and other keys
 * as members: `['steps', 2, 'cost']` under `traces[1]` is `traces[1].steps[2].cost`. An empty `base`
 * is the whole body (or the whole config).
 */
export function fieldPath(base: string, segments: readonly PropertyKey[]): string {
  let path = base;
  for (const segment of segments) path = typeof segment === 'number' ? indexPath(path, segment) : propertyPath(path, String(segment));
  return path;
}
