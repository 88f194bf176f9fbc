/**
 * @module The proxy's way into the intake: hands the traces it read from a response to the
 * collector's intake, with the same reading limits and the same all-or-nothing rule as the ingest
 * API, and decides what became of the response. Never throws: a failure is counted and logged once
 * per burst, the client never sees it.
 */
import type { Extraction } from '../../src/a2a/extract-traces.js';
import { CollectorError } from '../../src/errors.js';
import type { AcceptedTrace, IngestContext, TraceIntake } from '../../src/accounting/trace-intake.js';
import { BurstLogger, type Logger } from '../../src/telemetry/logger.js';
import type { IngestFailureReason, ProxyMetrics } from './proxy-metrics.js';

/** What ingesting one response's extraction came to. */
export interface ProxyIntakeResult {
  /** `traced`: traces ingested; `no_trace`: an A2A response without one; `not_a2a`: no A2A envelope; `failed`: see `failure`. */
  readonly outcome: 'traced' | 'no_trace' | 'not_a2a' | 'failed';
  readonly accepted: readonly AcceptedTrace[];
  readonly failure?: IngestFailureReason | undefined;
}

/** Takes into the intake what the proxy found in responses. */
export class ProxyIntake {
  private readonly burstLoggers = new Map<IngestFailureReason, BurstLogger>();

  constructor(
    private readonly intake: TraceIntake,
    private readonly metrics: ProxyMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads every trace of `extraction` and ingests them all, or none when one is invalid (as the
   * ingest API refuses such a body whole).
   */
  take(extraction: Extraction, context: IngestContext): ProxyIntakeResult {
    if (!extraction.isEnvelope) return { outcome: 'not_a2a', accepted: [] };
    // A trace-less answer (error responses included) is the agent's business, not an ingest failure.
    if (extraction.traces.length === 0 && extraction.issues.length === 0) return { outcome: 'no_trace', accepted: [] };
    try {
      const accepted = this.intake.ingestExtraction(extraction, context);
      this.metrics.tracesIngested.inc(accepted.length);
      this.logger.log('debug', 'proxy: ingested traces', { traces: accepted.map((trace) => ({ a2aTraceId: trace.a2aTraceId, traceId: trace.traceId, steps: trace.stepCount })) });
      return { outcome: 'traced', accepted };
    } catch (error) {
      if (error instanceof CollectorError) {
        const reason: IngestFailureReason =
          error.code === 'A2A_ERR_QUEUE_FULL' ? 'queue_full' : error.code === 'A2A_ERR_NESTING_TOO_DEEP' ? 'nesting_too_deep' : 'invalid_trace';
        return this.fail(reason, error.message, { code: error.code, issues: error.issues.slice(0, 5) });
      }
      return this.fail('internal', 'unexpected error while ingesting a proxied response', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }

  /** Counts (and logs, once per burst) a response whose traces were not, or not all, ingested. */
  recordFailure(reason: IngestFailureReason, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.metrics.ingestFailures.inc({ reason });
    let logger = this.burstLoggers.get(reason);
    if (logger === undefined) {
      logger = new BurstLogger(this.logger);
      this.burstLoggers.set(reason, logger);
    }
    logger.log(reason === 'internal' ? 'error' : 'warn', `proxy: ${message}`, { reason, ...fields });
  }

  private fail(reason: IngestFailureReason, message: string, fields: Readonly<Record<string, unknown>>): ProxyIntakeResult {
    this.recordFailure(reason, message, fields);
    return { outcome: 'failed', accepted: [], failure: reason };
  }
}
