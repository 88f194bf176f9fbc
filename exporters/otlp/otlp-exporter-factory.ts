/**
 * @module The OTLP/HTTP exporter component: the OpenTelemetry JS OTLP trace exporters (protobuf by
 * default, JSON as an option) behind the collector's queue and retry. Sends to Jaeger v2, an
 * OpenTelemetry Collector, or any OTLP backend.
 */
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { z } from 'zod';
import { ExporterHelperShape, type ExporterFactory } from '../../src/pipeline/exporter-factory.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

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
  /** Timeout of one export request, in milliseconds. Default 10,000. */
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

/** Factory of `otlp` exporters. */
export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  type: 'otlp',
  configSchema: OtlpExporterConfigSchema,
  create(config) {
    const options = {
      url: otlpTracesUrl(config),
      headers: config.headers,
      timeoutMillis: config.timeout_millis,
      compression: config.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    };
    return config.protocol === 'http/json' ? new OtlpJsonExporter(options) : new OtlpProtobufExporter(options);
  },
};
