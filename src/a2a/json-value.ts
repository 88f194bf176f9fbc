/**
 * @module The guards the A2A readers share for values that came from `JSON.parse`.
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
