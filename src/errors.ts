/**
 * @module Coded error catalog: every error the collector reports to a user carries a stable code
 * documented in docs/errors.md (a test keeps the two in sync).
 */

/** One problem with one field of an ingest payload or a config file. */
export interface FieldIssue {
  /** Where the problem is, as a JSONPath-like string (`steps[2].start_time`, `exporters.otlp.endpoint`); empty for the whole body. */
  readonly path: string;
  /** Why the value was refused, in words a user can act on. */
  readonly reason: string;
}

/** Stable error codes and their HTTP statuses. Documented in docs/errors.md. */
export const ErrorCodes = {
  A2A_ERR_INVALID_JSON: 400,
  A2A_ERR_INVALID_TRACE: 400,
  A2A_ERR_NESTING_TOO_DEEP: 400,
  A2A_ERR_NO_TRACE_IN_ENVELOPE: 422,
  A2A_ERR_UPSTREAM_UNAVAILABLE: 502,
  A2A_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  A2A_ERR_BODY_TOO_LARGE: 413,
  A2A_ERR_UNAUTHORIZED: 401,
  A2A_ERR_QUEUE_FULL: 503,
  A2A_ERR_NOT_FOUND: 404,
  A2A_ERR_INTERNAL: 500,
  CFG_ERR_INVALID: 1,
  CFG_ERR_FILE: 1,
} as const;

/** A code from the catalog. */
export type ErrorCode = keyof typeof ErrorCodes;

/**
 * The one error type the collector raises for user-facing problems. It knows its code, its HTTP
 * status and the field issues behind it, so the ingest layer turns it into a response in one place.
 */
export class CollectorError extends Error {
  /** Stable catalog code. */
  readonly code: ErrorCode;
  /** Field-level problems; empty when the error is about the request as a whole. */
  readonly issues: readonly FieldIssue[];
  /** Seconds a client should wait before retrying (only for retryable errors). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    issues: readonly FieldIssue[] = [],
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'CollectorError';
    this.code = code;
    this.issues = issues;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** HTTP status for this error (config errors are never sent over HTTP and map to 500). */
  get httpStatus(): number {
    const status = ErrorCodes[this.code];
    return status >= 400 ? status : 500;
  }

  /** The JSON body the HTTP API answers with. */
  toJSON(): { error: { code: ErrorCode; message: string; issues: readonly FieldIssue[] } } {
    return { error: { code: this.code, message: this.message, issues: this.issues } };
  }
}

/** Formats field issues one per line, `path: reason`, for terminals and logs. */
export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => `  ${issue.path === '' ? '(root)' : issue.path}: ${issue.reason}`).join('\n');
}
