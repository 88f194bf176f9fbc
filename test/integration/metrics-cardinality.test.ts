import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OVERFLOW_LABEL_VALUE } from '../../exporters/prometheus/label-limiter.js';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';

describe('span metrics cardinality', () => {
  it('stays bounded when agents send 10,000 distinct agent and tool names', async () => {
    const { collector } = createTestCollector({ metrics: { max_label_values: 50 } });
    const traces = [];
    for (let i = 0; i < 10_000; i++) {
      traces.push({
        trace_id: `t-${i}`,
        steps: [{ step_id: 's', call_type: 'TOOL', name: `tool-${i}`, cost: 1, total_tokens: 2 }],
      });
    }
    // Each batch comes from a different agent name, so both the agent and the target labels flood.
    for (let batch = 0; batch < 100; batch++) {
      const response = await postJson(collector, `/v1/a2a/traces?service=agent-${batch}`, traces.slice(batch * 100, batch * 100 + 100));
      assert.equal(response.status, 202);
    }
    const text = await (await collector.app.request('/metrics')).text();
    const costSeries = text.split('\n').filter((line) => line.startsWith('a2a_cost_total{'));
    const agents = new Set(costSeries.map((line) => /agent="([^"]*)"/.exec(line)?.[1]));
    const targets = new Set(costSeries.map((line) => /target="([^"]*)"/.exec(line)?.[1]));
    assert.equal(agents.size, 51);
    assert.ok(agents.has(OVERFLOW_LABEL_VALUE));
    assert.ok(targets.size <= 51 && targets.has(OVERFLOW_LABEL_VALUE));
    assert.ok(costSeries.length <= 51 * 51, `${costSeries.length} series`);
    // Overflowing loses no cost: the counters still add up to every step's cost.
    const total = costSeries.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    assert.equal(total, 10_000);
    await collector.shutdown();
  });
});

describe('span metrics series cap', () => {
  it('keeps each metric at metrics.max_series (default 2,000) label combinations, and the sums right across the cap', async () => {
    const { collector } = createTestCollector();
    // 100 agents × 100 tools: every per-label cap holds, the product would be 10,000 series.
    for (let batch = 0; batch < 100; batch++) {
      const traces = Array.from({ length: 100 }, (_, i) => ({
        trace_id: `series-${batch}-${i}`,
        steps: [{ step_id: 's', call_type: 'TOOL', name: `tool-${i}`, cost: 1, total_tokens: 2, end_time: '2026-03-10T21:23:14Z' }],
      }));
      const response = await postJson(collector, `/v1/a2a/traces?service=agent-${batch}`, traces);
      assert.equal(response.status, 202);
    }
    const text = await (await collector.app.request('/metrics')).text();
    const series = (name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`));
    const sum = (lines: readonly string[]): number => lines.reduce((total, line) => total + Number(line.split(' ').pop()), 0);
    const cost = series('a2a_cost_total');
    const tokens = series('a2a_tokens_total');
    assert.equal(cost.length, 2000);
    assert.equal(tokens.length, 2000);
    const overflow = OVERFLOW_LABEL_VALUE;
    assert.ok(cost.includes(`a2a_cost_total{agent="${overflow}",call_type="${overflow}",target="${overflow}",currency="${overflow}"} 8001`), 'the overflow series holds what the 1,999 others do not');
    assert.equal(sum(cost), 10_000);
    assert.equal(sum(tokens), 20_000);
    // Steps have 100 combinations (agent × TOOL × ok): under the cap, untouched.
    assert.equal(series('a2a_steps_total').length, 100);
    assert.equal(sum(series('a2a_steps_total')), 10_000);
    await collector.shutdown();
  });
});

describe('span metrics currency', () => {
  it('labels a trace cost with the configured currency even when the first step has no cost', async () => {
    const { collector } = createTestCollector({ mapping: { currency: 'EUR' } });
    const response = await postJson(collector, '/v1/a2a/traces', {
      trace_id: 'eur',
      steps: [
        { step_id: 'root', call_type: 'HOST', name: 'free', end_time: '2026-03-10T21:23:15Z' },
        { step_id: 'paid', parent_step_id: 'root', call_type: 'TOOL', name: 'llm', cost: 2.5, end_time: '2026-03-10T21:23:14Z' },
      ],
    });
    assert.equal(response.status, 202);
    const text = await (await collector.app.request('/metrics')).text();
    assert.match(text, /^a2a_trace_cost_sum\{currency="EUR"\} 2\.5$/m);
    assert.doesNotMatch(text, /currency="USD"/);
    await collector.shutdown();
  });
});
