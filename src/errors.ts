/**
 * @module The error codes and what carries them: every error the collector reports to a user has a
 * stable code documented in docs/errors.md (a test keeps the two in sync), its HTTP status, and its
 * field issues. The messages are worded in one place, src/error-catalog.ts.
 */

/** One problem with one field of an ingest payload or a config file. */
export interface FieldIssue {
  /** Where the problem is, in the notation of src/model/field-path.ts (`steps[2].start_time`, `exporters["otlp/jaeger"].endpoint`); empty for the whole body. */
  readonly path: string;
  /** Why the value was refused, in words a user can act on. */
  readonly reason: string;
}

/**
 * The codes an HTTP answer can carry (ingest, query API, proxy), with their statuses. Documented in
 * docs/errors.md.
 */
export const HttpErrorStatuses = {
  A2A_ERR_INVALID_JSON: 400,
  A2A_ERR_INVALID_TRACE: 400,
  A2A_ERR_NESTING_TOO_DEEP: 400,
  A2A_ERR_INVALID_OTLP: 400,
  A2A_ERR_UNDECODABLE_BODY: 400,
  A2A_ERR_NO_TRACE_IN_ENVELOPE: 422,
  A2A_ERR_UPSTREAM_UNAVAILABLE: 502,
  A2A_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  A2A_ERR_BODY_TOO_LARGE: 413,
  A2A_ERR_UNAUTHORIZED: 401,
  A2A_ERR_QUEUE_FULL: 503,
  A2A_ERR_SPOOL_FULL: 503,
  A2A_ERR_SPOOL_UNAVAILABLE: 503,
  A2A_ERR_NOT_FOUND: 404,
  A2A_ERR_INTERNAL: 500,
} as const;

/**
 * The codes of configuration and start-up problems. They never reach HTTP; how the CLI exits on
 * them is the CLI's business (src/commands/command.ts). Documented in docs/errors.md.
 */
export const ConfigErrorCodes = ['CFG_ERR_INVALID', 'CFG_ERR_FILE', 'CFG_ERR_SPOOL_LOCKED'] as const;

/** A code an HTTP answer can carry. */
export type HttpErrorCode = keyof typeof HttpErrorStatuses;

/** A code of a configuration or start-up problem. */
export type ConfigErrorCode = (typeof ConfigErrorCodes)[number];

/** A code from the catalog. */
export type ErrorCode = HttpErrorCode | ConfigErrorCode;

function isHttpErrorCode(code: ErrorCode): code is HttpErrorCode {
  return Object.hasOwn(HttpErrorStatuses, code);
}

/** Most issues one error lists; the rest are only counted, so no input can make an answer unbounded. */
export const MAX_LISTED_ISSUES = 100;

/**
 * Issues as they are found: the first {@link MAX_LISTED_ISSUES} kept, the rest only counted.
 * Collectors of issues use one so that memory stays bounded whatever the input holds.
 */
export class IssueList {
  private readonly listed: FieldIssue[] = [];
  private omittedCount = 0;

  /** A list of `issues` (the ones past the bound counted). */
  static of(issues: readonly FieldIssue[]): IssueList {
    const list = new IssueList();
    for (const issue of issues) list.add(issue);
    return list;
  }

  /** Adds one issue. */
  add(issue: FieldIssue): void {
    if (this.listed.length < MAX_LISTED_ISSUES) this.listed.push(issue);
    else this.omittedCount++;
  }

  /** Adds what another list holds, listed and counted. */
  addAll(other: IssueList): void {
    for (const issue of other.listed) this.add(issue);
    this.omittedCount += other.omittedCount;
  }

  /** Counts `count` more issues without listing them (a producer that bounded its own list). */
  countMore(count: number): void {
    this.omittedCount += count;
  }

  /** Every issue added, listed or not. */
  get count(): number {
    return this.listed.length + this.omittedCount;
  }

  /** Issues added past the bound. */
  get omitted(): number {
    return this.omittedCount;
  }

  /** The listed issues, then `{path: "", reason: "N more issues not listed"}` when some were left out. */
  toArray(): FieldIssue[] {
    if (this.omittedCount === 0) return [...this.listed];
    return [...this.listed, { path: '', reason: `${this.omittedCount} more issues not listed` }];
  }
}

/**
 * The one error type the collector raises for user-facing problems. It knows its code, its HTTP
 * status and the field issues behind it, so the ingest layer turns it into a response in one place.
 */
export class CollectorError extends Error {
  /** Stable catalog code. */
  readonly code: ErrorCode;
  /**
   * Field-level problems, at most {@link MAX_LISTED_ISSUES} and then one line counting the rest;
   * empty when the error is about the request as a whole.
   */
  readonly issues: readonly FieldIssue[];
  /** How many issues were found beyond those listed (0 when all are). */
  readonly issuesOmitted: number;
  /** Seconds a client should wait before retrying (only for retryable errors). */
  readonly retryAfterSeconds: number | undefined;

  /**
   * Issues past {@link MAX_LISTED_ISSUES} are counted, not kept: `issues` then ends with one line
   * `{path: "", reason: "N more issues not listed"}`, and {@link issuesOmitted} is N.
   */
  constructor(
    code: ErrorCode,
    message: string,
    issues: readonly FieldIssue[] | IssueList = [],
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'CollectorError';
    this.code = code;
    const list = issues instanceof IssueList ? issues : IssueList.of(issues);
    this.issues = list.toArray();
    this.issuesOmitted = list.omitted;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** HTTP status for this error (a config error never reaches HTTP; were it to, it would be a 500). */
  get httpStatus(): number {
    return isHttpErrorCode(this.code) ? HttpErrorStatuses[this.code] : 500;
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
