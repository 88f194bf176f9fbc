/**
 * @module The path notation of every field path the collector reports inside an envelope:
 * `result.artifacts[0].metadata["github.com/…/traceability"].steps[2].cost`.
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
