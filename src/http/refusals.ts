/**
 * @module What every receiver does with a refusal: the bearer-token check they share, and the
 * counting of a refused request by reason (`a2a_collector_rejected_requests_total`), an error that is
 * not a CollectorError being logged and answered as an internal one.
 */
import { CollectorError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { RejectReason, SelfMetrics } from '../telemetry/self-metrics.js';
import * as errors from '../error-catalog.js';

const REASON_OF_CODE: Partial<Record<CollectorError['code'], RejectReason>> = {
  A2A_ERR_INVALID_JSON: 'invalid',
  A2A_ERR_INVALID_TRACE: 'invalid',
  A2A_ERR_INVALID_OTLP: 'invalid',
  A2A_ERR_UNDECODABLE_BODY: 'invalid',
  A2A_ERR_NESTING_TOO_DEEP: 'invalid',
  A2A_ERR_NO_TRACE_IN_ENVELOPE: 'no_trace',
  A2A_ERR_BODY_TOO_LARGE: 'too_large',
  A2A_ERR_QUEUE_FULL: 'queue_full',
  A2A_ERR_SPOOL_FULL: 'spool_full',
  A2A_ERR_SPOOL_UNAVAILABLE: 'spool_unavailable',
  A2A_ERR_UNAUTHORIZED: 'unauthorized',
  A2A_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
};

/**
 * Whether `authorization` (an `Authorization` header or gRPC metadata value) carries `token` as a
 * bearer token; always true without a token. The scheme name is case-insensitive (RFC 9110 §11.1),
 * the token is not.
 */
export function isAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  return token === undefined || /^bearer +(.*)$/i.exec(authorization?.trim() ?? '')?.[1] === token;
}

/** Counts a refused request and returns the error to answer with (unknown errors are logged and become 500). */
export function countRefusal(error: unknown, metrics: SelfMetrics, logger: Logger): CollectorError {
  const known = error instanceof CollectorError ? error : errors.internal();
  if (!(error instanceof CollectorError)) {
    logger.log('error', 'unhandled error in ingest', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  metrics.rejectedRequests.inc({ reason: REASON_OF_CODE[known.code] ?? 'internal' });
  return known;
}
