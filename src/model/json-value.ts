/**
 * @module The guards every reader of parsed JSON shares (A2A envelopes, configs, agent cards).
 */

/** A JSON object as `JSON.parse` returns it: string keys, values of any JSON type. */
export type JsonObject = Record<string, unknown>;

/** True for a non-null object that is not an array: a JSON object once the value came from `JSON.parse`. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a string other than `''`, else undefined (A2A ids are optional strings, often empty). */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * True for the RangeError V8 throws when a recursive walk runs out of stack: JSON that parses can
 * still nest too deeply for the walks after it (envelope search, stringify). V8 unwinds it cleanly.
 */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
