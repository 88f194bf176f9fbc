/**
 * One lifecycle, every registered component. Each exporter: create from its schema's defaults,
 * export a mapped trace, flush, shut down twice, and still answer a call after shutdown. Each
 * in-process component (the store, the span metrics): built from the config's defaults, alone in a
 * collector it serves what it is for and the others' routes stay empty, and it shuts down twice and
 * still answers.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { builtInExporterFactories } from '../../exporters/index.js';
import type { UsageBatch } from '../../src/accounting/counted-once-ledger.js';
import { builtInConsumerFactories } from '../../src/components.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { ConsumerComponent } from '../../src/fan-out/consumer-factory.js';
import { SelfMetrics } from '../../src/telemetry/self-metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { closeServer, listen } from '../../src/http/http-listener.js';
import { createTestCollector, nestedFixtureSpans, postJson, readFixture } from '../helpers/collector-harness.js';
import { metricSamples } from '../helpers/metrics-text.js';

describe('exporter conformance', () => {
  const received: Array<{ url: string; contentType: string; bytes: number }> = [];
  const server = createServer((request: IncomingMessage, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      received.push({ url: request.url ?? '', contentType: request.headers['content-type'] ?? '', bytes });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let base = '';
  let spans: ReadableSpan[] = [];

  before(async () => {
    base = (await listen(server, 0, '127.0.0.1')).url;
    spans = await nestedFixtureSpans();
  });
  after(() => closeServer(server, 1_000));

  const settingsFor: Record<string, () => unknown> = {
    otlp: () => ({ endpoint: base }),
    zipkin: () => ({ endpoint: `${base}/api/v2/spans` }),
    debug: () => ({}),
  };

  it('covers every registered exporter type', () => {
    assert.deepEqual([...builtInExporterFactories.keys()].sort(), Object.keys(settingsFor).sort());
  });

  for (const [type, factory] of builtInExporterFactories) {
    it(`${type}: exports, flushes, shuts down twice, still answers after shutdown`, async (t) => {
      const stdoutWrite = t.mock.method(process.stdout, 'write');
      const lines: string[] = [];
      const config = factory.configSchema.parse(settingsFor[type]?.());
      const exporter = factory.create(config, { id: type, logger: silentLogger, writeLine: (line) => lines.push(line) });
      const before = received.length;
      const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      await exporter.forceFlush?.();
      if (type === 'debug') {
        assert.deepEqual(
          lines.map((line) => {
            const { traceId, spanId, name } = JSON.parse(line) as { traceId: string; spanId: string; name: string };
            return [traceId, spanId, name];
          }),
          spans.map((span) => [span.spanContext().traceId, span.spanContext().spanId, span.name]),
          'one line per span, in order',
        );
        assert.deepEqual(JSON.parse(lines[0] ?? 'null'), {
          traceId: '33950340ce51d0d74bed3a291d3fc984',
          spanId: '5a8625729a628f10',
          name: 'host trip-planner.handle',
          service: 'a2a-agent',
          start: '2026-03-10T21:23:14.000000000Z',
          durationMs: 1100,
          status: 0,
        });
      } else {
        assert.equal(received.length, before + 1, 'one request per export call');
        assert.ok((received[before]?.bytes ?? 0) > 500, 'the request carried the spans');
        assert.deepEqual(lines, [], 'a network exporter prints nothing');
      }
      await exporter.shutdown();
      await exporter.shutdown();
      // After shutdown the pipeline sends nothing more (its queue is closed); a stray call must still
      // be answered rather than hang or throw (the test times out otherwise).
      await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      // Matched by content: the test runner itself may write to stdout meanwhile.
      const spanLines = spans.map((span) => `"spanId":"${span.spanContext().spanId}"`);
      const printed = stdoutWrite.mock.calls.filter((call) => spanLines.some((text) => String(call.arguments[0]).includes(text)));
      assert.equal(printed.length, 0, 'no span line reached process.stdout');
    });
  }
});

const NESTED_TRACE_ID = 'trace-7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6';

describe('in-process component conformance', () => {
  let spans: ReadableSpan[] = [];
  before(async () => {
    spans = await nestedFixtureSpans();
  });

  /** What each component, alone in a collector, serves after the nested fixture was posted. */
  const serves: Record<string, (app: { request(path: string): Response | Promise<Response> }) => Promise<void>> = {
    store: async (app) => {
      const response = await app.request(`/api/traces/${NESTED_TRACE_ID}`);
      assert.equal(response.status, 200);
      const trace = (await response.json()) as { summary: { stepCount: number; totalCost: number; totalTokens: number } };
      assert.deepEqual([trace.summary.stepCount, trace.summary.totalCost, trace.summary.totalTokens], [6, 4, 1500]);
      assert.deepEqual(metricSamples(await (await app.request('/metrics')).text(), 'a2a_steps_total'), {}, 'no span metrics without their component');
    },
    span_metrics: async (app) => {
      const exposition = await (await app.request('/metrics')).text();
      assert.deepEqual(metricSamples(exposition, 'a2a_cost_total'), {
        '{agent="a2a-agent",call_type="tool",target="lookup_city",currency="USD"}': 0.5,
        '{agent="a2a-agent",call_type="agent",target="weather-agent",currency="USD"}': 0.5,
        '{agent="weather-agent",call_type="tool",target="forecast_api",currency="USD"}': 1,
        '{agent="weather-agent",call_type="tool",target="llm_summarize",currency="USD"}': 2,
      });
      const list = await app.request('/api/traces');
      assert.equal(list.status, 404, 'no query API without the store');
    },
  };

  it('covers every registered in-process component', () => {
    assert.deepEqual(builtInConsumerFactories.map((factory) => factory.name).sort(), Object.keys(serves).sort());
  });

  for (const factory of builtInConsumerFactories) {
    it(`${factory.name}: alone in a collector it serves what it is for; it shuts down twice and still answers`, async () => {
      const { collector } = createTestCollector({}, { consumerFactories: [factory] });
      assert.equal((await postJson(collector, '/v1/a2a/traces', readFixture('nested-multi-agent.json'))).status, 202);
      await serves[factory.name]?.(collector.app);
      await collector.shutdown();

      const config = validateConfig({}, builtInExporterFactories);
      const registry = new Registry();
      const component: ConsumerComponent | undefined = factory.create(config, { registry, metrics: new SelfMetrics(registry), logger: silentLogger });
      assert.ok(component !== undefined, 'on by default');
      assert.equal(component.name, factory.name);
      const batch: UsageBatch = { deltas: spans.map((span) => ({ span, costDelta: 0, tokensDelta: 0, countStep: true })), settled: [] };
      component.stage?.(spans)();
      component.record?.(batch);
      await component.shutdown();
      await component.shutdown();
      component.stage?.(spans)();
      component.record?.(batch);
    });
  }

  it('a component turned off in the config is not built', () => {
    const config = validateConfig({ store: { enabled: false }, metrics: { enabled: false } }, builtInExporterFactories);
    const registry = new Registry();
    const context = { registry, metrics: new SelfMetrics(registry), logger: silentLogger };
    const built = builtInConsumerFactories.map((factory) => factory.create(config, context));
    assert.deepEqual(built, [undefined, undefined]);
  });
});
