/**
 * @module Retry as a decorator around any SpanExporter (the exporter itself stays "map and send"):
 * failed exports are tried again with exponential backoff and jitter until `maxElapsedTimeMillis`.
 * Vocabulary of the Collector's `retry_on_failure`.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { exportOnce } from './export-promise.js';

/** The Collector's `retry_on_failure` settings. */
export interface RetryOptions {
  /** Off: one attempt only. Default true. */
  readonly enabled?: boolean;
  /** Wait before the first retry, in milliseconds. Default 500. */
  readonly initialIntervalMillis?: number;
  /** Longest wait between retries, in milliseconds. Default 5,000. */
  readonly maxIntervalMillis?: number;
  /** Give up once this much time has passed since the first attempt, in milliseconds. Default 60,000. */
  readonly maxElapsedTimeMillis?: number;
  /** An attempt that has not answered after this many milliseconds counts as failed. Default: no limit. */
  readonly attemptTimeoutMillis?: number;
  /** Called for every failed attempt, retried or not. */
  readonly onFailure?: (error: Error | undefined) => void;
}

const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 413, 415, 422]);

/**
 * An error that retrying cannot fix: a 4xx other than 408 and 429 from the backend. The OTLP
 * exporters put the HTTP status in the error's `code` (with the status text as message); the Zipkin
 * exporter writes it into the message.
 */
export function isPermanent(result: ExportResult): boolean {
  const error = result.error;
  if (error === undefined) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  if (typeof code === 'number') return PERMANENT_STATUSES.has(code);
  const status = /\bstatus code from \w+: (\d{3})\b/.exec(error.message)?.[1] ?? /\b(4\d\d)\b/.exec(error.message)?.[1];
  return status !== undefined && PERMANENT_STATUSES.has(Number(status));
}

/** Wraps an exporter so that every export is retried per {@link RetryOptions}. */
export class RetryingExporter implements SpanExporter {
  private stopped = false;
  private readonly wakeups = new Set<() => void>();

  constructor(
    private readonly inner: SpanExporter,
    private readonly options: RetryOptions = {},
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    void this.exportWithRetry(spans).then(resultCallback);
  }

  private async exportWithRetry(spans: ReadableSpan[]): Promise<ExportResult> {
    const enabled = this.options.enabled ?? true;
    const maxElapsed = this.options.maxElapsedTimeMillis ?? 60_000;
    const maxInterval = this.options.maxIntervalMillis ?? 5_000;
    let interval = this.options.initialIntervalMillis ?? 500;
    const startedAt = Date.now();
    for (;;) {
      const result = await exportOnce(this.inner, spans, this.options.attemptTimeoutMillis);
      if (result.code === ExportResultCode.SUCCESS) return result;
      this.options.onFailure?.(result.error);
      if (!enabled || this.stopped || isPermanent(result)) return result;
      const wait = Math.min(interval, maxInterval) * (0.5 + Math.random());
      if (Date.now() - startedAt + wait > maxElapsed) return result;
      await this.sleep(wait);
      if (this.stopped) return result;
      interval *= 2;
    }
  }

  private sleep(millis: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, millis);
      this.wakeups.add(wake);
    });
  }

  /** Stops waiting between retries (pending exports end with their last failure), then shuts the inner exporter down. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.wakeups]) wake();
    await this.inner.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.();
  }
}
