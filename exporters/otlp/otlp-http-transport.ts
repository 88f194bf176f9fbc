/**
 * @module The OTLP/HTTP transport without a retry of its own: an OTel JS `IExporterTransport` that
 * posts once through the collector's HTTP sender and reports the answer as an OTel JS
 * `ExportResponse` whose error carries the {@link ExportOutcome} (status code, `Retry-After`).
 */
import type * as http from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import type { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import type { ExportOutcome } from '../../src/fan-out/export-outcome.js';
import { postExportRequest } from '../../src/fan-out/http-export-sender.js';
import { COLLECTOR_VERSION } from '../../src/version.js';

const gzipAsync = promisify(gzip);

/** OTel JS's resolved OTLP/HTTP settings (URL, headers factory, agent factory, compression). */
export type OtlpHttpSettings = ReturnType<typeof convertLegacyHttpOptions>;

/** OTel JS's `ExportResponse` for an outcome; a failure's error is the outcome's `ExportFailure`. */
export function toExportResponse(outcome: ExportOutcome, body: Uint8Array): ExportResponse {
  switch (outcome.kind) {
    case 'success':
      return { status: 'success', data: body };
    case 'permanent':
      return { status: 'failure', error: outcome.error };
    case 'retryable':
      return { status: 'retryable', error: outcome.error, retryInMillis: outcome.retryAfterMillis };
  }
}

/**
 * Sends each OTLP request once. OTel JS's own OTLP exporters wrap their HTTP transport in
 * `createRetryingTransport` (up to 5 more requests inside one export, bounded by the request
 * timeout), which is why they are not used as they come: this transport takes its place, and the
 * pipeline's `RetryingExporter` is the only retry layer.
 */
export class OtlpHttpTransport implements IExporterTransport {
  private agent: Promise<http.Agent> | undefined;

  constructor(private readonly settings: OtlpHttpSettings) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    this.agent ??= Promise.resolve(this.settings.agentFactory(new URL(this.settings.url).protocol));
    const [agent, settingsHeaders] = await Promise.all([this.agent, this.settings.headers()]);
    const headers: Record<string, string> = { ...settingsHeaders, 'User-Agent': `a2a-trace-collector/${COLLECTOR_VERSION}` };
    let body = data;
    if (this.settings.compression === 'gzip') {
      body = await gzipAsync(data);
      headers['Content-Encoding'] = 'gzip';
    }
    const answer = await postExportRequest({ url: this.settings.url, headers, body, timeoutMillis, agent });
    return toExportResponse(answer.outcome, answer.body);
  }

  shutdown(): void {
    void this.agent?.then((agent) => agent.destroy());
  }
}
