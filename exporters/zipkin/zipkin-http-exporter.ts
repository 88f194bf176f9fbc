/**
 * @module A Zipkin v2 JSON exporter: OTel JS's Zipkin mapping (`toZipkinSpan`) over the collector's
 * HTTP sender, so that a failure reports its status code and `Retry-After` as data. OTel JS's
 * `ZipkinExporter` is not used as it comes: it reports a failed answer only as message text ("Got
 * unexpected status code from zipkin: 503"), drops `Retry-After`, and sets no request timeout.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
// The mapping is not re-exported from the package root; the package has no `exports` map and its
// version is pinned, so this path is part of what we depend on.
import { defaultStatusCodeTagName, defaultStatusErrorTagName, toZipkinSpan } from '@opentelemetry/exporter-zipkin/build/src/transform.js';
import { ExportFailure, toExportResult } from '../../src/fan-out/export-outcome.js';
import { postExportRequest } from '../../src/fan-out/http-export-sender.js';

/** The service name OTel JS's Zipkin exporter falls back to. */
const DEFAULT_SERVICE_NAME = 'OpenTelemetry Service';

/** Settings of a {@link ZipkinHttpExporter}. */
export interface ZipkinHttpExporterOptions {
  /** Full URL of Zipkin's span endpoint (`/api/v2/spans`). */
  readonly url: string;
  /** Extra HTTP headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** A request not answered by then is abandoned as retryable, in milliseconds. */
  readonly timeoutMillis: number;
}

/** Posts spans to Zipkin once per export; retry is the pipeline's. Each span keeps its own `service.name`. */
export class ZipkinHttpExporter implements SpanExporter {
  private readonly sending = new Set<Promise<void>>();
  private isShutdown = false;

  constructor(private readonly options: ZipkinHttpExporterOptions) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.isShutdown) {
      setImmediate(() => resultCallback(toExportResult(new ExportFailure('the zipkin exporter is shut down', { kind: 'permanent' }).outcome)));
      return;
    }
    const zipkinSpans = spans.map((span) =>
      toZipkinSpan(
        span,
        String(span.attributes['service.name'] ?? span.resource.attributes['service.name'] ?? DEFAULT_SERVICE_NAME),
        defaultStatusCodeTagName,
        defaultStatusErrorTagName,
      ),
    );
    const sent = postExportRequest({
      url: this.options.url,
      headers: { ...this.options.headers, 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(zipkinSpans), 'utf8'),
      timeoutMillis: this.options.timeoutMillis,
    }).then((answer) => {
      this.sending.delete(sent);
      resultCallback(toExportResult(answer.outcome));
    });
    this.sending.add(sent);
  }

  /** Waits for the requests in flight; later exports fail at once. */
  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.forceFlush();
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.sending]);
  }
}
