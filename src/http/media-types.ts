/**
 * @module Media types: one reading of a `Content-Type` value (RFC 9110 §8.3.1) for every receiver
 * and command. Each predicate takes a whole field value; parameters and case do not matter.
 */

/** The media type of JSON bodies. */
export const JSON_MEDIA_TYPE = 'application/json';

/** The media type of event streams (WHATWG HTML §9.2). */
export const EVENT_STREAM_MEDIA_TYPE = 'text/event-stream';

/** The `type/subtype` of a `Content-Type` value, lower case, without parameters; `''` when empty. */
export function mediaTypeEssence(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** True for `application/json` and the `+json` structured-syntax types (RFC 6839 §3.1). */
export function isJsonMediaType(contentType: string): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence === JSON_MEDIA_TYPE || /^application\/[\w.-]+\+json$/.test(essence);
}

/** True for `text/event-stream`. */
export function isEventStreamMediaType(contentType: string): boolean {
  return mediaTypeEssence(contentType) === EVENT_STREAM_MEDIA_TYPE;
}

/**
 * True for the types `curl -d` and HTML forms send when nobody names one (`text/plain`,
 * `application/x-www-form-urlencoded`); ingest reads such bodies as JSON.
 */
export function isUnlabelledMediaType(contentType: string): boolean {
  const essence = mediaTypeEssence(contentType);
  return essence === 'text/plain' || essence === 'application/x-www-form-urlencoded';
}
