/**
 * Cost from the price table for A2A steps: a step that reports tokens and a model but no cost is
 * priced from its own tokens, says so on its span, and takes part in the exclusive rule like a
 * reported cost; tokens no price covers are counted by model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4799';

describe('A2A steps priced from the price table', () => {
  it('prices a step with tokens and a model, and its reporting parent keeps only its own share', async () => {
    const { collector, sink } = createTestCollector();
    const response = await postJson(collector, '/v1/a2a/traces?service=planner', {
      trace_id: TRACE,
      steps: [
        { step_id: '00f067aa0ba90201', parent_step_id: null, call_type: 'AGENT', name: 'researcher', cost: 1, end_time: '2026-03-10T21:23:16Z' },
        {
          step_id: '00f067aa0ba90202',
          parent_step_id: '00f067aa0ba90201',
          call_type: 'TOOL',
          name: 'llm',
          end_time: '2026-03-10T21:23:15Z',
          // gpt-4o-mini: 0.15 per million input, 0.60 per million output: 0.15 + 0.6.
          additional_attributes: { 'gen_ai.request.model': 'gpt-4o-mini', input_tokens: 1_000_000, output_tokens: 1_000_000 },
        },
        {
          step_id: '00f067aa0ba90203',
          parent_step_id: '00f067aa0ba90201',
          call_type: 'TOOL',
          name: 'house-llm',
          total_tokens: 300,
          end_time: '2026-03-10T21:23:15Z',
          additional_attributes: { model: 'house-model-7b', input_tokens: 200, output_tokens: 100 },
        },
      ],
    });
    assert.equal(response.status, 202);
    const priced = sink.spans.find((span) => span.attributes['a2a.step.id'] === '00f067aa0ba90202');
    assert.equal(priced?.attributes['a2a.step.cost'], 0.75);
    assert.equal(priced?.attributes['a2a.step.cost.exclusive'], 0.75);
    assert.equal(priced?.attributes['a2a.cost.source'], 'computed');
    assert.equal(priced?.attributes['a2a.cost.currency'], 'USD');
    assert.equal(priced?.attributes['gen_ai.usage.cost'], undefined);
    const parent = sink.spans.find((span) => span.attributes['a2a.step.id'] === '00f067aa0ba90201');
    assert.equal(parent?.attributes['a2a.cost.source'], 'reported');
    // It reported 1 for its children's 0.75: 0.25 is its own.
    assert.equal(parent?.attributes['a2a.step.cost.exclusive'], 0.25);
    const metrics = await scrape(collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {
      '{agent="planner",call_type="agent",target="researcher",currency="USD"}': 0.25,
      '{agent="planner",call_type="tool",target="llm",currency="USD"}': 0.75,
    });
    assert.deepEqual(metricSamples(metrics, 'a2a_unpriced_tokens_total'), { '{model="house-model-7b"}': 300 });
    const stored = (await (await collector.app.request(`/api/traces/${TRACE}`)).json()) as { summary: { totalCost: number; computedCost: number } };
    assert.deepEqual([stored.summary.totalCost, stored.summary.computedCost], [1, 0.75]);
    await collector.shutdown();
  });
});
