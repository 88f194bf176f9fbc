import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { builtInExporterFactories } from '../../exporters/index.js';
import { spanMetricsOptionsFrom } from '../../exporters/prometheus/span-metrics-component.js';
import { SpanMetrics } from '../../exporters/prometheus/span-metrics.js';
import { validateConfig } from '../../src/config/load-config.js';
import { metricSamples } from '../helpers/metrics-text.js';

/** The fields of a span the span metrics read (a unit-test double of our own mapping's output). */
function span(tool: string): ReadableSpan {
  return {
    attributes: { 'a2a.step.kind': 'tool', 'gen_ai.tool.name': tool },
    resource: { attributes: { 'service.name': 'agent' } },
    status: { code: 0 },
    duration: [1, 0],
  } as unknown as ReadableSpan;
}

describe('SpanMetrics.record', () => {
  it('counts a batch whole, or nothing of it when one value cannot be counted', async () => {
    const registry = new Registry();
    const metrics = new SpanMetrics(registry, spanMetricsOptionsFrom(validateConfig({}, builtInExporterFactories)));
    metrics.record({ deltas: [{ span: span('a'), costDelta: 1.5, tokensDelta: 10, countStep: true }], settled: [] });
    const bad = { deltas: [{ span: span('b'), costDelta: 2, tokensDelta: 0, countStep: true }, { span: span('c'), costDelta: Number.POSITIVE_INFINITY, tokensDelta: 0, countStep: false }], settled: [] };
    assert.throws(() => metrics.record(bad), /cost Infinity cannot be counted/);
    assert.throws(() => metrics.record({ deltas: [], settled: [{ traceId: 't', durationSeconds: 1, cost: Number.NaN, currency: undefined }] }), /trace cost NaN/);
    const text = await registry.metrics();
    assert.deepEqual(metricSamples(text, 'a2a_cost_total'), { '{agent="agent",call_type="tool",target="a",currency="USD"}': 1.5 });
    assert.deepEqual(metricSamples(text, 'a2a_steps_total'), { '{agent="agent",call_type="tool",status="ok"}': 1 });
    assert.deepEqual(metricSamples(text, 'a2a_trace_cost_count'), {});
  });
});
