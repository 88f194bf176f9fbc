/**
 * @module Adapts the callback-style `SpanExporter.export` to a promise that never rejects.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ExportFailure } from './export-outcome.js';

/**
 * Runs one export; never rejects. An exporter that throws is reported as a permanent
 * {@link ExportFailure}: it would throw again on the same spans.
 * With `timeoutMillis`, an exporter that has not answered by then is reported as a retryable
 * {@link ExportFailure} (its late answer is ignored), so a backend that hangs cannot hold its queue
 * forever.
 */
export function exportOnce(exporter: SpanExporter, spans: ReadableSpan[], timeoutMillis?: number): Promise<ExportResult> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (result: ExportResult): void => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(result);
    };
    if (timeoutMillis !== undefined) {
      timer = setTimeout(() => done({ code: ExportResultCode.FAILED, error: new ExportFailure(`export timed out after ${timeoutMillis} ms`, { kind: 'retryable' }) }), timeoutMillis);
    }
    try {
      exporter.export(spans, done);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      done({ code: ExportResultCode.FAILED, error: new ExportFailure(`exporter threw: ${message}`, { kind: 'permanent', cause: error }) });
    }
  });
}
