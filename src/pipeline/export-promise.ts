/**
 * @module Adapts the callback-style `SpanExporter.export` to a promise that never rejects.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * Runs one export; an exporter that throws is reported as a failed result, never as a rejection.
 * With `timeoutMillis`, an exporter that has not answered by then is reported as failed (its late
 * answer is ignored), so a backend that hangs cannot hold its queue forever.
 */
export function exportOnce(exporter: SpanExporter, spans: ReadableSpan[], timeoutMillis?: number): Promise<ExportResult> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (result: ExportResult): void => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(result);
    };
    if (timeoutMillis !== undefined) {
      timer = setTimeout(() => done({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${timeoutMillis} ms`) }), timeoutMillis);
    }
    try {
      exporter.export(spans, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  });
}
