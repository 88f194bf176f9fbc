/**
 * @module The A2A extension URIs and metadata keys the collector reads (DESIGN §2 "Where it
 * travels", "Timestamp extension"), in one place.
 */

/** URI of the traceability extension, as clients request it (`X-A2A-Extensions` / `A2A-Extensions`). */
export const TRACEABILITY_EXTENSION_URI = 'https://github.com/a2aproject/a2a-samples/extensions/traceability/v1';

/** The metadata key the reference implementation writes the ResponseTrace under. */
export const TRACEABILITY_METADATA_KEY = 'github.com/a2aproject/a2a-samples/extensions/traceability/v1/traceability';

/**
 * Every metadata key a ResponseTrace is looked for under, in order of preference: the canonical key,
 * the bare extension URI, the canonical key with the extra `samples/` segment the sample specs
 * use, and the generic `trace`.
 */
export const TRACEABILITY_METADATA_KEYS: readonly string[] = [
  TRACEABILITY_METADATA_KEY,
  TRACEABILITY_EXTENSION_URI,
  'github.com/a2aproject/a2a-samples/samples/extensions/traceability/v1/traceability',
  'trace',
];

/**
 * Keys under which the value must be a ResponseTrace: anything else there is reported as an
 * invalid trace. Under the other keys (`trace`) only a value that looks like a trace is taken.
 */
export const STRICT_TRACEABILITY_METADATA_KEYS: ReadonlySet<string> = new Set(TRACEABILITY_METADATA_KEYS.slice(0, 3));

/**
 * Metadata keys of a timestamp-extension stamp (one RFC 3339 string): the key the samples write,
 * and the one the spec text names (with the extra `samples/` segment).
 */
export const TIMESTAMP_METADATA_KEYS: readonly string[] = [
  'github.com/a2aproject/a2a-samples/extensions/timestamp/v1/timestamp',
  'github.com/a2aproject/a2a-samples/samples/extensions/timestamp/v1/timestamp',
];

/** Metadata key of a W3C `traceparent` an envelope may carry (the request header wins over it). */
export const TRACEPARENT_METADATA_KEY = 'traceparent';
