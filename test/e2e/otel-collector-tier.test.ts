/**
 * The scale-out path end to end, all real: collector sidecar --OTLP--> OpenTelemetry Collector
 * gateway (built from otelcol-builder.yaml, configured by the repo's otel-collector.yaml) --> Jaeger
 * and Zipkin, with the gateway's span metrics scraped by Prometheus.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { jaegerService, readJaegerTrace } from '../helpers/jaeger-api.js';
import { postNestedFixture, startLiveCollector } from '../helpers/live-collector.js';
import { eventually, freePort, runScript, startBackend, type RunningBackend } from '../helpers/backends.js';

const GATEWAY_CONFIG = fileURLToPath(new URL('../../otel-collector.yaml', import.meta.url));

async function promQuery(prometheusUrl: string, query: string): Promise<number | undefined> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  const value = body.data?.result?.[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

/** The query's value once it has reached `atLeast` (spans reach the gateway in batches). */
function promValueReaching(prometheusUrl: string, query: string, atLeast: number): Promise<number> {
  return eventually(async () => {
    const value = await promQuery(prometheusUrl, query);
    return value !== undefined && value >= atLeast ? value : undefined;
  }, 60_000);
}

describe('OpenTelemetry Collector gateway tier', { timeout: 25 * 60_000 }, () => {
  const backends: RunningBackend[] = [];
  let jaegerQueryUrl = '';
  let zipkinUrl = '';
  let prometheusUrl = '';
  let gatewayOtlpHttp = '';

  before(async () => {
    // Build (or reuse) the gateway while the trace backends start.
    const [jaeger, zipkin] = await Promise.all([
      startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']),
      startBackend('zipkin.sh', ['ZIPKIN_PORT']),
      runScript('otelcol.sh', ['install']),
    ]);
    backends.push(jaeger, zipkin);
    jaegerQueryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    zipkinUrl = `http://127.0.0.1:${zipkin.ports['ZIPKIN_PORT']}`;

    const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    gatewayOtlpHttp = `http://127.0.0.1:${httpPort}`;
    backends.push(
      await startBackend('otelcol.sh', [], {
        OTELCOL_CONFIG: GATEWAY_CONFIG,
        OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpcPort}`,
        OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}`,
        OTELCOL_JAEGER_OTLP_ENDPOINT: `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`,
        OTELCOL_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
        OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${metricsPort}`,
        OTELCOL_SPANMETRICS_FLUSH_INTERVAL: '1s',
      }),
    );

    const promDir = mkdtempSync(join(tmpdir(), 'a2a-e2e-prom-config-'));
    const promConfig = join(promDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: otelcol-gateway', '    static_configs:', `      - targets: ['127.0.0.1:${metricsPort}']`, ''].join('\n'),
    );
    const prometheus = await startBackend('prometheus.sh', ['PROMETHEUS_PORT'], { PROMETHEUS_CONFIG: promConfig });
    backends.push(prometheus);
    prometheusUrl = `http://127.0.0.1:${prometheus.ports['PROMETHEUS_PORT']}`;
  });
  after(async () => {
    await Promise.all(backends.map((backend) => backend.stop()));
  });

  it('validates otel-collector.yaml with the built Collector, and refuses a broken copy', async () => {
    const output = await runScript('otelcol.sh', ['validate', GATEWAY_CONFIG]);
    assert.doesNotMatch(output, /error/i);
    const broken = join(mkdtempSync(join(tmpdir(), 'a2a-otelcol-broken-')), 'broken.yaml');
    copyFileSync(GATEWAY_CONFIG, broken);
    writeFileSync(broken, readFileSync(broken, 'utf8').replace('exporters: [otlp_http/jaeger, zipkin, span_metrics]', 'exporters: [otlp_http/jaeger, zipkin, span_metrics, kafka]'));
    await assert.rejects(runScript('otelcol.sh', ['validate', broken]), /kafka/);
  });

  it('carries a trace from the sidecar through the gateway to Jaeger, Zipkin and Prometheus', async () => {
    const { collector: sidecar, address } = await startLiveCollector({ OTEL_EXPORTER_OTLP_ENDPOINT: gatewayOtlpHttp });
    try {
      const traceId = await postNestedFixture(address);

      const jaegerTrace = await readJaegerTrace(jaegerQueryUrl, traceId, 6, 60_000);
      assert.deepEqual(
        jaegerTrace.spans.map((span) => jaegerService(jaegerTrace, span)).sort(),
        ['trip-planner', 'trip-planner', 'trip-planner', 'weather-agent', 'weather-agent', 'weather-agent'],
      );

      const zipkinSpans = await eventually(async () => {
        const result = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
        if (result.status !== 200) return undefined;
        const spans = (await result.json()) as Array<{ parentId?: string; localEndpoint: { serviceName: string } }>;
        return spans.length === 6 ? spans : undefined;
      }, 60_000);
      assert.equal(zipkinSpans.filter((span) => span.parentId === undefined).length, 1);

      const total = await promValueReaching(prometheusUrl, 'sum(traces_span_metrics_calls_total)', 6);
      assert.equal(total, 6);
      assert.equal(await promQuery(prometheusUrl, 'sum(traces_span_metrics_calls_total{service_name="weather-agent"})'), 3);
      assert.equal(await promQuery(prometheusUrl, 'sum(traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR"})'), 1);
      // The normalized kind groups the fixture's TOOL and 2 (the proto enum) call types together.
      assert.equal(await promQuery(prometheusUrl, 'sum(traces_span_metrics_calls_total{a2a_step_kind="tool"})'), 3);
      assert.equal(await promQuery(prometheusUrl, 'sum(traces_span_metrics_calls_total{a2a_step_call_type="TOOL"})'), 2);
    } finally {
      await sidecar.shutdown();
    }
  });
});
