/**
 * @module The ingest endpoint's behaviour, independent of the HTTP layer: what is checked before the
 * body is read (auth, media type), how a body is ingested, what the 202 answer holds, and how every
 * refusal is counted. The hono route and the node:http fast path (node-listener.ts) are both thin
 * adapters over this one implementation.
 */
import type { CollectorError } from '../../src/errors.js';
import { countRefusal, isAuthorized } from '../../src/http/refusals.js';
import type { Logger } from '../../src/telemetry/logger.js';
import type { SelfMetrics } from '../../src/telemetry/self-metrics.js';
import { isEventStreamMediaType, isJsonMediaType, isUnlabelledMediaType, JSON_MEDIA_TYPE } from '../../src/http/media-types.js';
import type { AcceptedTrace, TraceIntake } from '../../src/accounting/trace-intake.js';
import * as errors from '../../src/error-catalog.js';

/** Path of the ingest endpoint. */
export const INGEST_PATH = '/v1/a2a/traces';

/** The request facts the endpoint looks at (header names lowercase). */
export interface IngestRequest {
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly traceparent: string | undefined;
  /** `?service=` query parameter, else the `X-A2A-Agent-Name` header. */
  readonly service: string | undefined;
}

/** The 202 answer. */
export interface IngestAnswer {
  readonly traceCount: number;
  readonly stepCount: number;
  readonly accepted: readonly AcceptedTrace[];
}

/** Settings of the endpoint. */
export interface IngestEndpointOptions {
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Bearer token ingest requires, when set. */
  readonly authToken?: string | undefined;
}

/** The ingest endpoint. */
export class IngestEndpoint {
  readonly maxBodyBytes: number;

  constructor(
    private readonly intake: TraceIntake,
    private readonly metrics: SelfMetrics,
    private readonly logger: Logger,
    private readonly options: IngestEndpointOptions,
  ) {
    this.maxBodyBytes = options.maxBodyBytes;
  }

  /**
   * Checks what can be checked before reading the body; returns the media type to read it as.
   * @throws CollectorError 401 or 415.
   */
  admit(request: IngestRequest): string {
    if (!isAuthorized(request.authorization, this.options.authToken)) throw errors.unauthorized();
    const mediaType = request.contentType ?? JSON_MEDIA_TYPE;
    if (!isJsonMediaType(mediaType) && !isEventStreamMediaType(mediaType) && !isUnlabelledMediaType(mediaType)) {
      throw errors.unsupportedMediaType(mediaType);
    }
    return mediaType;
  }

  /**
   * Ingests a body admitted with {@link admit}; resolves once what it accepted is durable (in the
   * spool, when there is one), so the caller can answer 202.
   * @throws CollectorError for anything refused (nothing of the body is taken then), and
   *   `A2A_ERR_SPOOL_UNAVAILABLE` when writing the spool failed.
   */
  async ingest(text: string, mediaType: string, request: IngestRequest): Promise<IngestAnswer> {
    const service = request.service?.trim();
    const accepted = this.intake.ingestText(text, mediaType, { traceparent: request.traceparent, service: service === '' ? undefined : service });
    try {
      await this.intake.durable();
    } catch (error) {
      this.logger.log('error', 'spool write failed', { error: (error as Error).message });
      throw errors.spoolUnavailable(5);
    }
    let stepCount = 0;
    for (const trace of accepted) stepCount += trace.stepCount;
    return { traceCount: accepted.length, stepCount, accepted };
  }

  /** Counts a refused ingest request and returns the error to answer with (unknown errors are logged and become 500). */
  refuse(error: unknown): CollectorError {
    return countRefusal(error, this.metrics, this.logger);
  }

}
