import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';

const T0 = '2026-03-10T21:23:14';

/** A step of a Python-style trace (snake_case, every key present). */
function step(id: string, parent: string | null, callType: string, name: string, cost: number | null, end: string | null, tokens: number | null = null) {
  return {
    step_id: id,
    trace_id: 'trace-once',
    parent_step_id: parent,
    call_type: callType,
    name,
    parameters: null,
    requests: null,
    step_type: null,
    cost,
    total_tokens: tokens,
    additional_attributes: null,
    latency: end === null ? null : 100,
    start_time: `${T0}.000000+00:00`,
    end_time: end,
    error: '',
  };
}

/** Parallel children listed in completion order; the host sums them in call order. */
const fourSteps = {
  trace_id: 'trace-once',
  steps: [
    step('s-c', 'root', 'TOOL', 'rates', 0.3, `${T0}.300000+00:00`, 30),
    step('s-a', 'root', 'TOOL', 'search', 0.1, `${T0}.100000+00:00`, 10),
    step('s-b', 'root', 'TOOL', 'summarize', 0.2, `${T0}.200000+00:00`, 20),
    step('root', null, 'HOST', 'planner.handle', 0.6, `${T0}.400000+00:00`, 60),
  ],
};

const KEY = TRACEABILITY_METADATA_KEY;

/** The same trace as message/send and tasks/get answers carry it (protocol 0.3). */
function asTask(trace: unknown, id: number) {
  return {
    jsonrpc: '2.0',
    id,
    result: {
      kind: 'task',
      id: 'task-1',
      contextId: 'ctx-1',
      status: { state: 'completed', timestamp: `${T0}.500Z` },
      metadata: { [KEY]: trace },
    },
  };
}

const expectedCost = {
  '{agent="a2a-agent",call_type="tool",target="rates",currency="USD"}': 0.3,
  '{agent="a2a-agent",call_type="tool",target="search",currency="USD"}': 0.1,
  '{agent="a2a-agent",call_type="tool",target="summarize",currency="USD"}': 0.2,
};

describe('each step is counted once', () => {
  it('counts a trace read four times (a re-POST, message/send, tasks/get twice) once, and exports it once', async () => {
    const { collector, sink } = createTestCollector();
    for (const body of [fourSteps, fourSteps, asTask(fourSteps, 1), asTask(fourSteps, 2), asTask(fourSteps, 3)]) {
      const response = await postJson(collector, '/v1/a2a/traces', body);
      assert.equal(response.status, 202);
    }
    const metrics = await scrape(collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), expectedCost);
    assert.deepEqual(metricSamples(metrics, 'a2a_tokens_total'), {
      '{agent="a2a-agent",call_type="tool",target="rates"}': 30,
      '{agent="a2a-agent",call_type="tool",target="search"}': 10,
      '{agent="a2a-agent",call_type="tool",target="summarize"}': 20,
    });
    assert.deepEqual(metricSamples(metrics, 'a2a_steps_total'), {
      '{agent="a2a-agent",call_type="tool",status="ok"}': 3,
      '{agent="a2a-agent",call_type="host",status="ok"}': 1,
    });
    assert.deepEqual(metricSamples(metrics, 'a2a_trace_cost_count'), { '{currency="USD"}': 1 });
    assert.deepEqual(metricSamples(metrics, 'a2a_trace_cost_sum'), { '{currency="USD"}': 0.6 });
    // The envelope copies add the task id: the first of them changes each span once.
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_span_versions_total'), {
      '{outcome="new"}': 4,
      '{outcome="unchanged"}': 12,
      '{outcome="changed"}': 4,
    });
    assert.equal(sink.spans.length, 8);
    assert.deepEqual(
      sink.spans.map((span) => span.attributes['a2a.task.id'] ?? null),
      [null, null, null, null, 'task-1', 'task-1', 'task-1', 'task-1'],
    );
    const summary = (await (await collector.app.request('/api/traces/trace-once')).json()) as { summary: { totalCost: number; totalTokens: number } };
    assert.equal(summary.summary.totalCost, 0.6);
    assert.equal(summary.summary.totalTokens, 60);
    await collector.shutdown();
  });

  it('counts a trace that grows during a stream by what each copy adds', async () => {
    const { collector, sink } = createTestCollector();
    const [c, a, b, root] = fourSteps.steps;
    for (const steps of [[c], [c, a], [c, a, b], [c, a, b, root]]) {
      assert.equal((await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps })).status, 202);
    }
    const metrics = await scrape(collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), expectedCost);
    assert.deepEqual(metricSamples(metrics, 'a2a_steps_total'), {
      '{agent="a2a-agent",call_type="tool",status="ok"}': 3,
      '{agent="a2a-agent",call_type="host",status="ok"}': 1,
    });
    // Children listed before their parent are orphans until it arrives: the trace settles with the last copy.
    assert.deepEqual(metricSamples(metrics, 'a2a_trace_cost_count'), { '{currency="USD"}': 1 });
    assert.deepEqual(metricSamples(metrics, 'a2a_trace_cost_sum'), { '{currency="USD"}': 0.6 });
    // Each child again when its parent arrives (no longer an orphan), the parent once.
    assert.deepEqual(
      sink.spans.map((span) => `${String(span.attributes['a2a.step.id'])}${span.attributes['a2a.step.orphan'] === true ? ' (orphan)' : ''}`),
      ['s-c (orphan)', 's-a (orphan)', 's-b (orphan)', 'root', 's-c', 's-a', 's-b'],
    );
    await collector.shutdown();
  });

  it('adds only the change of a step that ends, or gets its cost, later', async () => {
    const { collector } = createTestCollector();
    const inFlight = step('llm', null, 'TOOL', 'llm', null, null);
    const ended = step('llm', null, 'TOOL', 'llm', 2.5, `${T0}.900000+00:00`, 1200);
    const revised = step('llm', null, 'TOOL', 'llm', 3, `${T0}.900000+00:00`, 1500);
    const samples = async () => {
      const metrics = await scrape(collector.app);
      return [metricSamples(metrics, 'a2a_cost_total'), metricSamples(metrics, 'a2a_tokens_total'), metricSamples(metrics, 'a2a_steps_total')];
    };
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [inFlight] });
    assert.deepEqual(await samples(), [{}, {}, {}]);
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [ended] });
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [ended] });
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [revised] });
    assert.deepEqual(await samples(), [
      { '{agent="a2a-agent",call_type="tool",target="llm",currency="USD"}': 3 },
      { '{agent="a2a-agent",call_type="tool",target="llm"}': 1500 },
      { '{agent="a2a-agent",call_type="tool",status="ok"}': 1 },
    ]);
    await collector.shutdown();
  });

  it('keeps a trace total right when a later copy moves a parent share to a child listed later', async () => {
    const { collector } = createTestCollector();
    const parent = step('p', null, 'AGENT', 'worker', 1, `${T0}.900000+00:00`);
    const first = step('a', 'p', 'TOOL', 'first', 0.4, `${T0}.300000+00:00`);
    const late = step('b', 'p', 'TOOL', 'late', 0.6, `${T0}.600000+00:00`);
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [first, parent] });
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [first, late, parent] });
    const metrics = await scrape(collector.app);
    // Counters only go up: the parent keeps the 0.6 counted first, and the late child's 0.6 pays it back.
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {
      '{agent="a2a-agent",call_type="agent",target="worker",currency="USD"}': 0.6,
      '{agent="a2a-agent",call_type="tool",target="first",currency="USD"}': 0.4,
    });
    const detail = (await (await collector.app.request('/api/traces/trace-once')).json()) as { summary: { totalCost: number; costByCallType: Record<string, number> } };
    assert.deepEqual([detail.summary.totalCost, detail.summary.costByCallType], [1, { tool: 1, agent: 0 }]);
    await collector.shutdown();
  });

  it('counts once with the store disabled', async () => {
    const { collector, sink } = createTestCollector({ store: { enabled: false } });
    await postJson(collector, '/v1/a2a/traces', fourSteps);
    await postJson(collector, '/v1/a2a/traces', fourSteps);
    assert.deepEqual(metricSamples(await scrape(collector.app), 'a2a_cost_total'), expectedCost);
    assert.equal(sink.spans.length, 4);
    await collector.shutdown();
  });

  it('counts a trace again once the ledger has forgotten it, and says so in a metric', async () => {
    // Each one-step trace is 960 estimated bytes: two fit, a third evicts the oldest.
    const { collector } = createTestCollector({ accounting: { ledger_max_bytes: 2000 } });
    const single = (id: string) => ({ trace_id: id, steps: [step('only', null, 'TOOL', id, 1, `${T0}.100000+00:00`)] });
    for (const id of ['t1', 't2', 't3', 't1', 't3']) await postJson(collector, '/v1/a2a/traces', single(id));
    const metrics = await scrape(collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {
      '{agent="a2a-agent",call_type="tool",target="t1",currency="USD"}': 2,
      '{agent="a2a-agent",call_type="tool",target="t2",currency="USD"}': 1,
      '{agent="a2a-agent",call_type="tool",target="t3",currency="USD"}': 1,
    });
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_ledger_evicted_traces_total'), { '': 2 });
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_ledger_bytes'), { '': 1920 });
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_ledger_capacity_bytes'), { '': 2000 });
    await collector.shutdown();
  });

  it('changes nothing for a refused request, so its retry is counted', async () => {
    const { collector, sink } = createTestCollector({
      exporters: { debug: { verbosity: 'basic', sending_queue: { queue_size_bytes: 2048 } } },
    });
    const response = await postJson(collector, '/v1/a2a/traces', fourSteps);
    assert.equal(response.status, 413);
    const metrics = await scrape(collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {});
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_span_versions_total'), {});
    assert.equal(sink.spans.length, 0);
    await collector.shutdown();
  });

  it('observes a trace with a step still in flight once it has been quiet for trace_settle_millis', async () => {
    const { collector } = createTestCollector({ server: { port: 0 }, accounting: { trace_settle_millis: 50 } });
    await collector.start();
    const done = step('done', null, 'TOOL', 'done', 1.5, `${T0}.100000+00:00`);
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [done, step('open', null, 'TOOL', 'open', null, null)] });
    const before = await scrape(collector.app);
    assert.deepEqual(metricSamples(before, 'a2a_trace_cost_count'), {});
    assert.deepEqual(metricSamples(before, 'a2a_steps_total'), { '{agent="a2a-agent",call_type="tool",status="ok"}': 1 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const after = await scrape(collector.app);
    assert.deepEqual(metricSamples(after, 'a2a_trace_cost_count'), { '{currency="USD"}': 1 });
    assert.deepEqual(metricSamples(after, 'a2a_trace_cost_sum'), { '{currency="USD"}': 1.5 });
    // The step still in flight is counted when its trace settles, and not again when it ends.
    assert.deepEqual(metricSamples(after, 'a2a_steps_total'), { '{agent="a2a-agent",call_type="tool",status="ok"}': 2 });
    await postJson(collector, '/v1/a2a/traces', { trace_id: 'trace-once', steps: [done, step('open', null, 'TOOL', 'open', 0.5, `${T0}.500000+00:00`)] });
    const ended = await scrape(collector.app);
    assert.deepEqual(metricSamples(ended, 'a2a_steps_total'), { '{agent="a2a-agent",call_type="tool",status="ok"}': 2 });
    assert.deepEqual(metricSamples(ended, 'a2a_trace_cost_count'), { '{currency="USD"}': 1 });
    assert.deepEqual(metricSamples(ended, 'a2a_cost_total'), {
      '{agent="a2a-agent",call_type="tool",target="done",currency="USD"}': 1.5,
      '{agent="a2a-agent",call_type="tool",target="open",currency="USD"}': 0.5,
    });
    await collector.shutdown();
  });
});
