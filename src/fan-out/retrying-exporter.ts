/**
 * @module Retry as a decorator around any SpanExporter (the exporter itself stays "map and send"):
 * the one retry layer of an exporter. Each attempt's result is read as an {@link ExportOutcome};
 * retryable failures are tried again with exponential backoff and jitter, honouring the backend's
 * `Retry-After`, until `maxElapsedTimeMillis`. Vocabulary of the Collector's `retry_on_failure`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExporterHelperSettings } from './exporter-factory.js';
import { classifyExportResult, toExportResult, type ExportOutcome } from './export-outcome.js';
import { exportOnce } from './export-promise.js';

/** Time as the retry loop sees it; tests inject one to count waits without waiting. */
export interface RetryClock {
  /** A monotonic time in milliseconds. */
  now(): number;
  /** Resolves after `millis`, or as soon as `signal` aborts (it MUST NOT reject). */
  sleep(millis: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and timers. */
export const systemClock: RetryClock = {
  now: () => performance.now(),
  sleep: (millis, signal) => delay(millis, undefined, { signal }).catch(() => undefined),
};

/** The Collector's `retry_on_failure` settings. */
export interface RetryOptions {
  /** Off: one attempt only. */
  readonly enabled: boolean;
  /** Backoff before the first retry, in milliseconds; it doubles after each retry. */
  readonly initialIntervalMillis: number;
  /** Longest backoff between retries (before jitter, which may add up to half), in milliseconds. */
  readonly maxIntervalMillis: number;
  /**
   * Give up once the next wait would end more than this many milliseconds after the first attempt
   * began; a `Retry-After` that ends past it gives up at once. 0: no limit (until shutdown).
   */
  readonly maxElapsedTimeMillis: number;
  /** An attempt that has not answered after this many milliseconds counts as a retryable failure. Default: no limit. */
  readonly attemptTimeoutMillis?: number;
  /** Called for every failed attempt, retried or not. */
  readonly onFailure?: (error: Error | undefined) => void;
  /** Time source and sleep. Default {@link systemClock}. */
  readonly clock?: RetryClock;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

/** The backoff settings of `retry_on_failure`, as {@link RetryOptions}; its defaults are the schema's. */
export function retryOptionsFrom(settings: ExporterHelperSettings['retry_on_failure']): Pick<RetryOptions, 'enabled' | 'initialIntervalMillis' | 'maxIntervalMillis' | 'maxElapsedTimeMillis'> {
  return {
    enabled: settings.enabled,
    initialIntervalMillis: settings.initial_interval_millis,
    maxIntervalMillis: settings.max_interval_millis,
    maxElapsedTimeMillis: settings.max_elapsed_time_millis,
  };
}

/**
 * Whether a failed result is one that retrying cannot fix, by {@link classifyExportResult}. The
 * results of {@link RetryingExporter} always carry their outcome, so this is exact for them.
 */
export function isPermanent(result: ExportResult): boolean {
  return classifyExportResult(result).kind === 'permanent';
}

/**
 * Wraps an exporter so that every export is retried per {@link RetryOptions}. The wait before a
 * retry is the backoff (`min(interval, maxIntervalMillis)` times a jitter in [0.5, 1.5)), or the
 * backend's `Retry-After` when that is longer: never sooner than the backend asked. The wait is
 * never cut short to fit `maxElapsedTimeMillis`; if it would end past it, the export gives up now.
 * A permanent failure is never retried. The failed result handed back carries its outcome (see
 * {@link isPermanent}).
 *
 * This MUST be the only retry layer of the exporter it wraps: exporters whose library retries on its
 * own (OTel JS's OTLP exporters) are built here without that inner retry.
 */
export class RetryingExporter implements SpanExporter {
  private readonly stopping = new AbortController();

  constructor(
    private readonly inner: SpanExporter,
    private readonly options: RetryOptions,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    void this.exportWithRetry(spans).then((outcome) => resultCallback(toExportResult(outcome)));
  }

  private async exportWithRetry(spans: ReadableSpan[]): Promise<ExportOutcome> {
    const clock = this.options.clock ?? systemClock;
    const random = this.options.random ?? Math.random;
    const enabled = this.options.enabled;
    const maxElapsed = this.options.maxElapsedTimeMillis;
    const maxInterval = this.options.maxIntervalMillis;
    let interval = this.options.initialIntervalMillis;
    const startedAt = clock.now();
    for (;;) {
      const outcome = classifyExportResult(await exportOnce(this.inner, spans, this.options.attemptTimeoutMillis));
      if (outcome.kind === 'success') return outcome;
      this.options.onFailure?.(outcome.error);
      if (outcome.kind === 'permanent' || !enabled || this.stopping.signal.aborted) return outcome;
      const backoff = Math.min(interval, maxInterval) * (0.5 + random());
      const wait = Math.max(backoff, outcome.retryAfterMillis ?? 0);
      // 0 is no limit, as in the Collector's retry_on_failure: with the spool, an outage is ridden out.
      if (maxElapsed > 0 && clock.now() - startedAt + wait > maxElapsed) return outcome;
      await clock.sleep(wait, this.stopping.signal);
      if (this.stopping.signal.aborted) return outcome;
      interval *= 2;
    }
  }

  /** Stops waiting between retries (pending exports end with their last failure), then shuts the inner exporter down. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    await this.inner.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }
}
