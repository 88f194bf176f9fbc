/**
 * @module The `debug` exporter component: writes each span to stdout, one line per span (basic) or
 * as the span's full JSON (detailed). For trying the collector out, not for production.
 */
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { ExporterHelperShape, type ExporterFactory } from '../../src/pipeline/exporter-factory.js';
import { formatHrTime } from '../../src/store/step-view.js';

/** Config of a `debug` exporter. */
export const DebugExporterConfigSchema = z.strictObject({
  /** `basic`: one line per span; `detailed`: every attribute and event. Default `basic`. */
  verbosity: z.enum(['basic', 'detailed']).default('basic'),
  ...ExporterHelperShape,
});

/** Parsed config of a `debug` exporter. */
export type DebugExporterConfig = z.infer<typeof DebugExporterConfigSchema>;

/** Writes spans as text lines. */
export class DebugExporter implements SpanExporter {
  constructor(
    private readonly verbosity: DebugExporterConfig['verbosity'],
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      const base = {
        traceId: context.traceId,
        spanId: context.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        name: span.name,
        service: span.resource.attributes['service.name'],
        start: formatHrTime(span.startTime),
        durationMs: hrTimeToMilliseconds(span.duration),
        status: span.status.code,
      };
      const line =
        this.verbosity === 'detailed'
          ? { ...base, kind: span.kind, statusMessage: span.status.message, attributes: span.attributes, events: span.events }
          : base;
      this.write(`${JSON.stringify(line)}\n`);
    }
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}

/** Factory of `debug` exporters. */
export const debugExporterFactory: ExporterFactory<DebugExporterConfig> = {
  type: 'debug',
  configSchema: DebugExporterConfigSchema,
  create(config) {
    return new DebugExporter(config.verbosity);
  },
};
