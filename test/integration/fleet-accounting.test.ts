import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestCollector, postJson, readFixture } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';

interface NestedFixture {
  steps: Array<{ step_id: string; step_action?: { agent_invocation?: { response_trace?: unknown } } }>;
}

/** The callee's own trace as it answered the caller: what the callee's sidecar reads. */
function calleeTrace(fixture: NestedFixture): unknown {
  const call = fixture.steps.find((step) => step.step_id === 'step-call-weather');
  return call?.step_action?.agent_invocation?.response_trace;
}

function costSum(exposition: string): number {
  return Object.values(metricSamples(exposition, 'a2a_cost_total')).reduce((sum, value) => sum + value, 0);
}

describe('a fleet of sidecars', () => {
  it('counts each step in one sidecar only, and links the caller AGENT span to the callee trace', async () => {
    const fixture = readFixture('nested-multi-agent.json') as NestedFixture;
    const host = createTestCollector({ service: { name: 'trip-planner' }, accounting: { sidecar_agents: ['weather-agent'] } });
    const weather = createTestCollector({ service: { name: 'weather-agent' }, accounting: { sidecar_agents: ['weather-agent'] } });

    const hostAnswer = await postJson(host.collector, '/v1/a2a/traces', fixture);
    assert.equal(hostAnswer.status, 202);
    assert.deepEqual(((await hostAnswer.json()) as { accepted: unknown[] }).accepted, [
      { traceId: '33950340ce51d0d74bed3a291d3fc984', a2aTraceId: 'trace-7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6', stepCount: 3, linkedStepCount: 3, warnings: [] },
    ]);
    assert.equal((await postJson(weather.collector, '/v1/a2a/traces', calleeTrace(fixture))).status, 202);

    assert.deepEqual(host.sink.spans.map((span) => span.name), ['host trip-planner.handle', 'execute_tool lookup_city', 'invoke_agent weather-agent']);
    assert.deepEqual(
      weather.sink.spans.map((span) => [span.name, span.resource.attributes['service.name']]),
      [
        ['host weather-agent.handle', 'weather-agent'],
        ['execute_tool forecast_api', 'weather-agent'],
        ['execute_tool llm_summarize', 'weather-agent'],
      ],
    );

    const call = host.sink.spans.find((span) => span.name === 'invoke_agent weather-agent');
    const calleeRoot = weather.sink.spans.find((span) => span.name === 'host weather-agent.handle');
    assert.equal(call?.attributes['a2a.callee.linked'], true);
    assert.deepEqual(
      call?.links.map((link) => [link.context.traceId, link.context.spanId, link.attributes]),
      [['edb2613ac8d932a5bf7c9f1510a763f5', '743f33a54113d166', { 'a2a.link.type': 'callee_trace', 'a2a.trace.id': 'trace-weather-001' }]],
    );
    // The link leads where the callee's sidecar put the callee's root.
    assert.deepEqual(call?.links.map((link) => [link.context.traceId, link.context.spanId]), [
      [calleeRoot?.spanContext().traceId, calleeRoot?.spanContext().spanId],
    ]);

    // Spend: lookup 0.5, the weather agent's own 1 + 2, the rest reported inclusively.
    const hostMetrics = await scrape(host.collector.app);
    const weatherMetrics = await scrape(weather.collector.app);
    assert.deepEqual(metricSamples(hostMetrics, 'a2a_cost_total'), {
      '{agent="trip-planner",call_type="tool",target="lookup_city",currency="USD"}': 0.5,
      '{agent="trip-planner",call_type="agent",target="weather-agent",currency="USD"}': 0.5,
    });
    assert.equal(costSum(hostMetrics) + costSum(weatherMetrics), 4);
    await host.collector.shutdown();
    await weather.collector.shutdown();
  });

  const matchCases: Array<[string, string[], number]> = [
    ['no list: the single-sidecar quick start counts the nested cost', [], 6],
    ['the callee by name', ['weather-agent'], 3],
    ['the callee by URL prefix', ['http://127.0.0.1:9999/'], 3],
    ['every callee', ['*'], 3],
    ['another agent only (a mixed fleet)', ['currency-agent', 'http://10.0.0.1/'], 6],
  ];
  for (const [name, sidecarAgents, spans] of matchCases) {
    it(`takes nested steps by accounting.sidecar_agents: ${name}`, async () => {
      const { collector, sink } = createTestCollector({ service: { name: 'trip-planner' }, accounting: { sidecar_agents: sidecarAgents } });
      assert.equal((await postJson(collector, '/v1/a2a/traces', readFixture('nested-multi-agent.json'))).status, 202);
      assert.equal(sink.spans.length, spans);
      const total = costSum(await scrape(collector.app));
      assert.equal(total, spans === 6 ? 4 : 1);
      await collector.shutdown();
    });
  }
});
