/**
 * End to end with a real Zipkin (the executable jar from Maven Central, run by
 * scripts/backends/zipkin.sh) and a real Jaeger at the same time: each exporter has its own queue,
 * so both receive the trace, and a Zipkin outage does not hold Jaeger back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJaegerTrace } from '../helpers/jaeger-api.js';
import { postNestedFixture, startLiveCollector } from '../helpers/live-collector.js';
import { eventually, freePort, startBackend, type RunningBackend } from '../helpers/backends.js';

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: string;
  name: string;
  localEndpoint: { serviceName: string };
  tags: Record<string, string>;
  annotations?: Array<{ timestamp: number; value: string }>;
}

async function readZipkinTrace(zipkinUrl: string, traceId: string, expectedSpans: number): Promise<ZipkinSpan[]> {
  return eventually(async () => {
    const response = await fetch(`${zipkinUrl}/api/v2/trace/${traceId}`);
    if (response.status !== 200) return undefined;
    const spans = (await response.json()) as ZipkinSpan[];
    return spans.length >= expectedSpans ? spans : undefined;
  });
}

describe('real Zipkin, next to real Jaeger', { timeout: 25 * 60_000 }, () => {
  let zipkin: RunningBackend;
  let jaeger: RunningBackend;
  let zipkinUrl: string;
  let jaegerQueryUrl: string;
  let jaegerOtlpUrl: string;

  before(async () => {
    [zipkin, jaeger] = await Promise.all([
      startBackend('zipkin.sh', ['ZIPKIN_PORT']),
      startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']),
    ]);
    zipkinUrl = `http://127.0.0.1:${zipkin.ports['ZIPKIN_PORT']}`;
    jaegerQueryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    jaegerOtlpUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`;
  });
  after(async () => {
    await Promise.all([zipkin?.stop(), jaeger?.stop()]);
  });

  it('delivers the nested trace to Zipkin and Jaeger, each through its own exporter', async () => {
    const { collector, address } = await startLiveCollector({
      OTEL_EXPORTER_OTLP_ENDPOINT: jaegerOtlpUrl,
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${zipkinUrl}/api/v2/spans`,
    });
    try {
      const traceId = await postNestedFixture(address);
      const spans = await readZipkinTrace(zipkinUrl, traceId, 6);
      assert.equal(spans.length, 6);
      const byStep = new Map(spans.map((span) => [span.tags['a2a.step.id'], span]));
      const byId = new Map(spans.map((span) => [span.id, span]));
      const parentStep = (stepId: string): string | null => {
        const parentId = byStep.get(stepId)?.parentId;
        return parentId === undefined ? null : (byId.get(parentId)?.tags['a2a.step.id'] ?? `missing ${parentId}`);
      };
      assert.deepEqual(
        ['step-host', 'step-lookup', 'step-call-weather', 'step-0', 'step-1', 'step-2'].map((id) => [id, parentStep(id), byStep.get(id)?.localEndpoint.serviceName]),
        [
          ['step-host', null, 'trip-planner'],
          ['step-lookup', 'step-host', 'trip-planner'],
          ['step-call-weather', 'step-host', 'trip-planner'],
          ['step-0', 'step-call-weather', 'weather-agent'],
          ['step-1', 'step-0', 'weather-agent'],
          ['step-2', 'step-0', 'weather-agent'],
        ],
      );
      const call = byStep.get('step-call-weather') as ZipkinSpan;
      assert.equal(call.kind, 'CLIENT');
      assert.equal(call.name, 'invoke_agent weather-agent');
      assert.equal(call.tags['a2a.step.cost'], '3.5');
      assert.equal(call.tags['a2a.step.cost.exclusive'], '0.5');
      const summarize = byStep.get('step-2') as ZipkinSpan;
      assert.equal(summarize.tags['gen_ai.usage.total_tokens'], '1500');
      assert.equal(summarize.tags['gen_ai.usage.input_tokens'], '1200');
      // The OTel JS Zipkin transform keeps an event's name and time (microseconds), not its attributes.
      assert.deepEqual(
        (summarize.annotations ?? []).map((a) => [a.value, a.timestamp]).sort(),
        [
          ['a2a.step.end', 1773177794950000],
          ['a2a.step.start', 1773177794700000],
        ],
      );
      const failed = byStep.get('step-1') as ZipkinSpan;
      // Zipkin's convention: the `error` tag holds the message.
      assert.equal(failed.tags['error'], 'TimeoutError: forecast API did not answer');
      assert.equal(failed.tags['otel.status_code'], 'ERROR');
      assert.deepEqual((failed.annotations ?? []).map((a) => a.value).sort(), ['a2a.step.end', 'a2a.step.start', 'exception']);

      assert.equal((await readJaegerTrace(jaegerQueryUrl, traceId, 6)).spans.length, 6);
    } finally {
      await collector.shutdown();
    }
  });

  it('keeps exporting to Jaeger while Zipkin is down', async () => {
    const deadZipkin = `http://127.0.0.1:${await freePort()}/api/v2/spans`;
    const { collector, address } = await startLiveCollector(
      {},
      {
        exporters: {
          otlp: { endpoint: jaegerOtlpUrl, batch: { scheduled_delay_millis: 50 } },
          zipkin: { endpoint: deadZipkin, batch: { scheduled_delay_millis: 50 }, retry_on_failure: { initial_interval_millis: 1000, max_elapsed_time_millis: 600_000 } },
        },
      },
    );
    try {
      const traceId = await postNestedFixture(address);
      assert.equal((await readJaegerTrace(jaegerQueryUrl, traceId, 6)).spans.length, 6);
      // Jaeger can hold the spans a moment before the exporter's callback has counted them.
      const metrics = await eventually(async () => {
        const text = await (await fetch(`${address.url}/metrics`)).text();
        return /^a2a_collector_exported_spans_total\{exporter="otlp"\} 6$/m.test(text) ? text : undefined;
      });
      const zipkinQueue = Number(/^a2a_collector_queue_bytes\{exporter="zipkin"\} (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(zipkinQueue > 0, 'the zipkin spans wait in their own queue');
      assert.match(metrics, /^a2a_collector_export_failures_total\{exporter="zipkin"\} [1-9]\d*$/m);
    } finally {
      await collector.shutdown(1_000);
    }
    const after = await (await collector.app.request('/metrics')).text();
    assert.match(after, /^a2a_collector_dropped_spans_total\{exporter="zipkin",reason="retries_exhausted"\} 6$/m);
  });
});
