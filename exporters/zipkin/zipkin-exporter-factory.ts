/**
 * @module The Zipkin exporter component: OpenTelemetry JS's Zipkin mapping (JSON v2 over HTTP)
 * behind the collector's own queue and retry, so a Zipkin outage never stalls another exporter.
 */
import { z } from 'zod';
import { ExporterHelperShape, type ExporterFactory } from '../../src/fan-out/exporter-factory.js';
import { ZipkinHttpExporter } from './zipkin-http-exporter.js';

/** Zipkin's default span endpoint, as in the OpenTelemetry specification. */
export const DEFAULT_ZIPKIN_ENDPOINT = 'http://localhost:9411/api/v2/spans';

/** Config of a `zipkin` exporter. */
export const ZipkinExporterConfigSchema = z.strictObject({
  /** Full URL of Zipkin's span endpoint. Default {@link DEFAULT_ZIPKIN_ENDPOINT}. */
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default(DEFAULT_ZIPKIN_ENDPOINT),
  /** Extra HTTP headers. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Timeout of one export request, in milliseconds; a request past it is retried. Default 10,000. */
  timeout_millis: z.number().int().positive().default(10_000),
  ...ExporterHelperShape,
});

/** Parsed config of a `zipkin` exporter. */
export type ZipkinExporterConfig = z.infer<typeof ZipkinExporterConfigSchema>;

/** Factory of `zipkin` exporters. Each span keeps its own resource's service.name. */
export const zipkinExporterFactory: ExporterFactory<ZipkinExporterConfig> = {
  type: 'zipkin',
  configSchema: ZipkinExporterConfigSchema,
  create(config) {
    return new ZipkinHttpExporter({ url: config.endpoint, headers: config.headers, timeoutMillis: config.timeout_millis });
  },
};
