/**
 * @module What became of a proxied response whose body was read to its end: decided from what its
 * inspector found, what ingesting that came to, and what the segments of a long stream ingested
 * before its end came to.
 */
import type { ProxyIntakeResult } from './proxy-intake.js';
import type { ProxyOutcome } from './proxy-metrics.js';
import type { InspectionResult } from './response-inspectors.js';

/**
 * What the segments of a long stream ingested before its end came to (response-inspectors.ts):
 * `failed` once one failed, else `traced` once one had traces; undefined while neither.
 */
export type SegmentsOutcome = 'failed' | 'traced' | undefined;

/** `segments` after one more segment's ingest came to `ingested`. */
export function withSegment(segments: SegmentsOutcome, ingested: ProxyIntakeResult): SegmentsOutcome {
  if (ingested.outcome === 'failed') return 'failed';
  if (ingested.outcome === 'traced' && segments !== 'failed') return 'traced';
  return segments;
}

/**
 * The outcome of a response read whole: `result` is what its inspector found, `ingested` what
 * ingesting its extraction came to (undefined: there was none).
 */
export function responseOutcome(result: InspectionResult, ingested: ProxyIntakeResult | undefined, segments: SegmentsOutcome): ProxyOutcome {
  let outcome: ProxyOutcome;
  if (ingested === undefined) outcome = result.failures.length > 0 ? 'ingest_failed' : 'not_inspected';
  else outcome = ingested.outcome === 'failed' ? 'ingest_failed' : ingested.outcome;
  // A long stream's earlier segments count too: one failed segment fails it, one traced one traces it.
  if (segments === 'failed') return 'ingest_failed';
  if (segments === 'traced' && outcome !== 'ingest_failed') return 'traced';
  return outcome;
}
