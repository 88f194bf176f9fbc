/**
 * @module The OTLP/HTTP exporter component: OpenTelemetry JS's OTLP trace export (its JSON
 * serializer or, for protobuf, the direct encoder that writes the same bytes as its own; its export
 * delegate) over a transport that sends each request once, behind the collector's queue and its one
 * retry layer. Sends to Jaeger v2, an OpenTelemetry Collector, or any OTLP backend.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CompressionAlgorithm, OTLPExporterBase, createOtlpNetworkExportDelegate } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { z } from 'zod';
import { ExporterHelperShape, type ExporterFactory } from '../../src/fan-out/exporter-factory.js';
import { DirectProtobufTraceSerializer } from '../../src/otlp/otlp-encode.js';
import { OtlpHttpTransport } from './otlp-http-transport.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** The `otel.component.type` OTel JS's own OTLP/HTTP span exporters report. */
const OTLP_HTTP_SPAN_EXPORTER_COMPONENT = 'otlp_http_span_exporter';

/** Config of an `otlp` exporter. */
export const OtlpExporterConfigSchema = z.strictObject({
  /** Base URL; `/v1/traces` is appended (as OTEL_EXPORTER_OTLP_ENDPOINT). Default `http://localhost:4318`, the OTLP/HTTP default. */
  endpoint: httpUrl.default('http://localhost:4318'),
  /** Full URL of the traces endpoint, used as is (as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  traces_endpoint: httpUrl.optional(),
  /** Wire encoding. Default `http/protobuf`. */
  protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  /** Extra HTTP headers (authentication, tenancy). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Timeout of one export request, in milliseconds; a request past it is retried. Default 10,000. */
  timeout_millis: z.number().int().positive().default(10_000),
  /** Request body compression. Default `none`. */
  compression: z.enum(['none', 'gzip']).default('none'),
  ...ExporterHelperShape,
});

/** Parsed config of an `otlp` exporter. */
export type OtlpExporterConfig = z.infer<typeof OtlpExporterConfigSchema>;

/** The URL spans are posted to. */
export function otlpTracesUrl(config: Pick<OtlpExporterConfig, 'endpoint' | 'traces_endpoint'>): string {
  if (config.traces_endpoint !== undefined) return config.traces_endpoint;
  return `${config.endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Factory of `otlp` exporters. One retry layer: the exporter is assembled from
 * `@opentelemetry/otlp-exporter-base` as OTel JS's `OTLPTraceExporter` is, except that its transport
 * is {@link OtlpHttpTransport} instead of `createRetryingTransport` around the HTTP transport. The
 * pipeline's retry is the one kept because it is the one that follows `retry_on_failure`, outlives
 * a single request timeout, counts every failed attempt, and honours `Retry-After` (DESIGN §6).
 */
export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  type: 'otlp',
  configSchema: OtlpExporterConfigSchema,
  create(config): SpanExporter {
    const json = config.protocol === 'http/json';
    const settings = convertLegacyHttpOptions(
      {
        url: otlpTracesUrl(config),
        headers: config.headers,
        timeoutMillis: config.timeout_millis,
        compression: config.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        // The delegate refuses exports past its limit (30 unless told); the queue's consumers are the bound.
        concurrencyLimit: config.sending_queue.num_consumers,
      },
      'TRACES',
      'v1/traces',
      { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' },
    );
    const metrics = createOtlpHttpExporterMetrics(OTLP_HTTP_SPAN_EXPORTER_COMPONENT, TraceExporterMetricsHelper, settings.url, undefined);
    const delegate = createOtlpNetworkExportDelegate<ReadableSpan[], unknown>(
      settings,
      json ? JsonTraceSerializer : DirectProtobufTraceSerializer,
      metrics,
      new OtlpHttpTransport(settings),
    );
    return new OTLPExporterBase(delegate);
  },
};
