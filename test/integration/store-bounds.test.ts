import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInExporterFactories } from '../../exporters/index.js';
import { validateConfig } from '../../src/config/load-config.js';
import { traceStoreOptionsFrom } from '../../src/store/trace-store-component.js';
import { TraceStore } from '../../src/store/trace-store.js';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';
import { metricSamples } from '../helpers/metrics-text.js';

const DEFAULT_STORE = traceStoreOptionsFrom(validateConfig({}, builtInExporterFactories));

interface StoredTrace {
  summary: { stepCount: number };
  steps: Array<{ stepId: string }>;
}

const step = (id: string) => ({ step_id: id, call_type: 'TOOL', name: 'work', cost: 1 });
const stepIds = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, index) => `s${String(from + index).padStart(5, '0')}`);

describe('the store under one trace id that keeps growing', () => {
  it('keeps the newest 10,000 spans of it, drops the oldest and counts them, and still answers', async () => {
    const { collector } = createTestCollector();
    try {
      for (let request = 0; request < 11; request++) {
        const response = await postJson(collector, '/v1/a2a/traces', { trace_id: 'grow-1', steps: stepIds(request * 1000, (request + 1) * 1000).map(step) });
        assert.equal(response.status, 202);
      }
      const response = await collector.app.request('/api/traces/grow-1');
      assert.equal(response.status, 200);
      const stored = (await response.json()) as StoredTrace;
      assert.equal(stored.summary.stepCount, 10_000);
      assert.deepEqual(stored.steps.map((each) => each.stepId), stepIds(1000, 11_000));
      const metrics = await (await collector.app.request('/metrics')).text();
      assert.deepEqual(metricSamples(metrics, 'a2a_collector_store_dropped_spans_total'), { '{reason="trace_span_limit"}': 1000 });
    } finally {
      await collector.shutdown();
    }
  });
});

describe('the store bounds', () => {
  it('hold per trace, in spans, for any store', async () => {
    const { collector, sink } = createTestCollector();
    try {
      await postJson(collector, '/v1/a2a/traces', { trace_id: 'seven', steps: stepIds(0, 7).map(step) });
      const store = new TraceStore({ ...DEFAULT_STORE, maxSpansPerTrace: 3 });
      store.export(sink.spans.slice(0, 5), () => undefined);
      store.export(sink.spans.slice(5), () => undefined);
      assert.deepEqual(store.get('seven')?.steps.map((each) => each.stepId), ['s00004', 's00005', 's00006']);
    } finally {
      await collector.shutdown();
    }
  });

  it('hold in bytes even when the newest trace alone is larger: it keeps its newest spans that fit', async () => {
    const { collector, sink } = createTestCollector();
    try {
      await postJson(collector, '/v1/a2a/traces', { trace_id: 'old', steps: stepIds(0, 1).map(step) });
      await postJson(collector, '/v1/a2a/traces', { trace_id: 'big', steps: stepIds(0, 1000).map(step) });
      const maxBytes = 20_000;
      const store = new TraceStore({ ...DEFAULT_STORE, maxBytes });
      store.export(sink.spans, () => undefined);
      assert.ok(store.bytes <= maxBytes, `${store.bytes} bytes`);
      assert.equal(store.size, 1);
      assert.equal(store.get('old'), undefined);
      const kept = store.get('big')?.steps.map((each) => each.stepId) ?? [];
      assert.ok(kept.length > 0 && kept.length < 1000, `${kept.length} spans kept`);
      assert.deepEqual(kept, stepIds(1000 - kept.length, 1000));
    } finally {
      await collector.shutdown();
    }
  });
});
