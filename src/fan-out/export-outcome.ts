/**
 * @module What one export attempt came to, as data: success, a permanent failure, or a retryable
 * failure with an optional delay (OTel JS's `ExportResponse`, the Collector's
 * `consumererror.NewPermanent` and `NewThrottleRetry`). Decided from HTTP status codes and error
 * codes, never from message text.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';

/** The outcome of one export attempt. */
export type ExportOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'permanent'; readonly error: Error }
  | {
      readonly kind: 'retryable';
      readonly error: Error;
      /** The backend's `Retry-After`, in milliseconds from when the answer arrived; undefined when it sent none. */
      readonly retryAfterMillis?: number | undefined;
    };

/** An outcome that is not a success. */
export type FailedExportOutcome = Exclude<ExportOutcome, { kind: 'success' }>;

/** What an HTTP status code means for an export. */
export type HttpStatusVerdict = ExportOutcome['kind'];

/**
 * HTTP statuses worth retrying: the OTLP/HTTP specification's list ("429, 502, 503, 504; all other
 * 4xx and 5xx MUST NOT be retried"), which OTel JS (`isExportHTTPErrorRetryable`) and the
 * Collector's `otlphttp` exporter follow too.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Error codes of a request that never got an answer and may get one later (the set OTel JS's HTTP
 * transport retries). Node reports "socket hang up" as `ECONNRESET`; DNS failures are `ENOTFOUND`
 * and `EAI_AGAIN`.
 */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * The status table: 2xx succeeded; 429, 502, 503 and 504 are retryable; everything else is
 * permanent. That includes 500, which the OTLP specification, OTel JS and the Collector all treat
 * as not retryable (and which our own ingest answers for a permanent error), and 3xx, because
 * nothing was stored where we sent it.
 */
export function classifyHttpStatus(statusCode: number): HttpStatusVerdict {
  if (statusCode >= 200 && statusCode <= 299) return 'success';
  return RETRYABLE_STATUSES.has(statusCode) ? 'retryable' : 'permanent';
}

/**
 * Whether a request error (no HTTP answer at all) is worth retrying, by its `code`: connection
 * refused, reset or timed out, unreachable networks and DNS failures are. Any other request error
 * (a TLS certificate refused, a malformed answer) would fail again the same way.
 */
export function isRetryableNetworkError(error: Error): boolean {
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code);
}

/** Every HTTP-date form (RFC 9110 §5.6.7: IMF-fixdate, rfc850-date, asctime-date) opens with a day name. */
const HTTP_DATE_START = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i;

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as milliseconds
 * from `nowMillis` (epoch milliseconds, only used for a date). A date in the past gives 0; a value
 * that is neither gives undefined.
 */
export function parseRetryAfterMillis(value: string | undefined, nowMillis: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse alone would also take "1.5" or "-1" for dates.
  const date = HTTP_DATE_START.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis);
}

/** An outcome the pipeline will not retry (the Collector's `consumererror.NewPermanent`). */
export function permanentOutcome(error: Error): FailedExportOutcome {
  return { kind: 'permanent', error };
}

/** An outcome the pipeline retries, no sooner than `retryAfterMillis` when given (the Collector's `NewThrottleRetry`). */
export function retryableOutcome(error: Error, retryAfterMillis?: number): FailedExportOutcome {
  return { kind: 'retryable', error, retryAfterMillis };
}

/**
 * A failed export that carries its outcome, so the outcome survives the OTel JS `ExportResult`
 * callback (whose `error` is all a `SpanExporter` can hand back). Exporters that know their
 * transport report failures as this; {@link classifyExportResult} reads it back.
 */
export class ExportFailure extends Error {
  override readonly name = 'ExportFailure';
  readonly outcome: FailedExportOutcome;
  /** The HTTP status of the answer, when there was one. */
  readonly statusCode: number | undefined;

  /** `retryAfterMillis` only counts with kind `retryable`; `cause` is the error reported underneath (Node's, OTel JS's). */
  constructor(
    message: string,
    options: {
      readonly kind: FailedExportOutcome['kind'];
      readonly retryAfterMillis?: number | undefined;
      readonly statusCode?: number | undefined;
      readonly cause?: unknown;
    },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = options.statusCode;
    this.outcome = options.kind === 'permanent' ? permanentOutcome(this) : retryableOutcome(this, options.retryAfterMillis);
  }
}

/** The `ExportResult` that reports `outcome` through a `SpanExporter` callback. */
export function toExportResult(outcome: ExportOutcome): ExportResult {
  if (outcome.kind === 'success') return { code: ExportResultCode.SUCCESS };
  const error =
    outcome.error instanceof ExportFailure && outcome.error.outcome.kind === outcome.kind
      ? outcome.error
      : new ExportFailure(outcome.error.message, {
          kind: outcome.kind,
          retryAfterMillis: outcome.kind === 'retryable' ? outcome.retryAfterMillis : undefined,
          statusCode: outcome.error instanceof ExportFailure ? outcome.error.statusCode : undefined,
          cause: outcome.error,
        });
  return { code: ExportResultCode.FAILED, error };
}

/**
 * Reads an exporter's `ExportResult` as an {@link ExportOutcome}, in this order:
 * 1. an {@link ExportFailure} says what it is;
 * 2. a numeric `code` is an HTTP status (OTel JS's `OTLPExporterError`), read by {@link classifyHttpStatus};
 * 3. a string `code` is a Node request error, read by {@link isRetryableNetworkError};
 * 4. any other error is retryable, as in the Collector, where only an error marked permanent stops
 *    the retries (they stay bounded by `max_elapsed_time`).
 */
export function classifyExportResult(result: ExportResult): ExportOutcome {
  if (result.code === ExportResultCode.SUCCESS) return { kind: 'success' };
  const error = result.error ?? new Error('export failed without an error');
  if (error instanceof ExportFailure) return error.outcome;
  const code: unknown = (error as Error & { code?: unknown }).code;
  if (typeof code === 'number') {
    // A failed result never means success, whatever status it names.
    return classifyHttpStatus(code) === 'permanent' ? permanentOutcome(error) : retryableOutcome(error);
  }
  if (typeof code === 'string') return isRetryableNetworkError(error) ? retryableOutcome(error) : permanentOutcome(error);
  return retryableOutcome(error);
}
