/**
 * @module The `debug` exporter component: writes each span as one JSON line to stdout (or to the
 * factory context's `writeLine`), basic fields only or every attribute and event (detailed). For
 * trying the collector out, not for production.
 */
import { ExportResultCode, hrTimeToMilliseconds, hrTimeToTimeStamp, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { ExporterHelperShape, type ExporterFactory } from '../../src/fan-out/exporter-factory.js';

/** Config of a `debug` exporter. */
export const DebugExporterConfigSchema = z.strictObject({
  /** `basic`: one line per span; `detailed`: every attribute and event. Default `basic`. */
  verbosity: z.enum(['basic', 'detailed']).default('basic'),
  ...ExporterHelperShape,
});

/** Parsed config of a `debug` exporter. */
export type DebugExporterConfig = z.infer<typeof DebugExporterConfigSchema>;

function writeLineToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes spans as text lines. */
export class DebugExporter implements SpanExporter {
  /**
   * @param writeLine Receives each line without its trailing newline. Default: write it to
   * `process.stdout`, newline appended.
   */
  constructor(
    private readonly verbosity: DebugExporterConfig['verbosity'],
    private readonly writeLine: (line: string) => void = writeLineToStdout,
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
        start: hrTimeToTimeStamp(span.startTime),
        durationMs: hrTimeToMilliseconds(span.duration),
        status: span.status.code,
      };
      const line =
        this.verbosity === 'detailed'
          ? { ...base, kind: span.kind, statusMessage: span.status.message, attributes: span.attributes, events: span.events }
          : base;
      this.writeLine(JSON.stringify(line));
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
  create(config, context) {
    return new DebugExporter(config.verbosity, context.writeLine);
  },
};
