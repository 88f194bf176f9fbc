import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';

interface ErrorBody {
  error: { code: string; message: string; issues: Array<{ path: string; reason: string }> };
}
interface AcceptBody {
  traceCount: number;
  stepCount: number;
  accepted: Array<{ a2aTraceId: string; stepCount: number; warnings: Array<{ path: string; code: string }> }>;
}

const KEY = 'github.com/a2aproject/a2a-samples/extensions/traceability/v1/traceability';
const MAX_ANSWER_BYTES = 64 * 1024;

async function refusal(response: Response): Promise<{ status: number; bytes: number; body: ErrorBody }> {
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as ErrorBody };
}

describe('a trace repeated in one body', () => {
  const { collector, sink } = createTestCollector();
  after(() => collector.shutdown());

  it('is refused when its copies are invalid, each copy at its own path, as the trace sent once is', async () => {
    const once = await refusal(await postJson(collector, '/v1/a2a/traces', { trace_id: 'x', steps: 5 }));
    assert.equal(once.status, 400);
    assert.deepEqual(once.body.error.issues, [{ path: 'steps', reason: 'expected an array of steps' }]);
    const twice = await refusal(await postJson(collector, '/v1/a2a/traces', [{ trace_id: 'x', steps: 5 }, { trace_id: 'x', steps: 5 }]));
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error.code, 'A2A_ERR_INVALID_TRACE');
    assert.deepEqual(twice.body.error.issues, [
      { path: '[0].steps', reason: 'expected an array of steps' },
      { path: '[1].steps', reason: 'expected an array of steps' },
    ]);
    assert.equal(sink.spans.length, 0);
  });

  it('is refused when one copy inside an envelope is invalid, even if a later copy of its step is valid', async () => {
    const bad = { trace_id: 'env-1', steps: [{ step_id: 's1', call_type: 'TOOL', name: 'llm', cost: 'lots' }] };
    const good = { trace_id: 'env-1', steps: [{ step_id: 's1', call_type: 'TOOL', name: 'llm', cost: 2, end_time: '2026-03-10T21:23:15Z' }] };
    const task = { jsonrpc: '2.0', id: 1, result: { kind: 'task', id: 't', contextId: 'c', status: { state: 'completed' }, metadata: { [KEY]: bad }, artifacts: [{ artifactId: 'a', parts: [{ kind: 'data', data: good }] }] } };
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', task));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.error.issues, [{ path: `result.metadata[${JSON.stringify(KEY)}].steps[0].cost`, reason: 'expected a number or a numeric string' }]);
    assert.equal(sink.spans.length, 0);
  });

  it('is still merged when every copy is valid: a trace that grew is taken once, whole', async () => {
    const s1 = { step_id: 's1', call_type: 'TOOL', name: 'llm', cost: 2 };
    const s2 = { step_id: 's2', call_type: 'TOOL', name: 'search', cost: 3 };
    const response = await postJson(collector, '/v1/a2a/traces', [{ trace_id: 'grown', steps: [s1] }, { trace_id: 'grown', steps: [s1, s2] }]);
    assert.equal(response.status, 202);
    const body = (await response.json()) as AcceptBody;
    assert.deepEqual([body.traceCount, body.stepCount], [1, 2]);
    assert.equal(sink.spans.length, 2);
  });
});

describe('bodies that would make huge answers', () => {
  const { collector, sink } = createTestCollector();
  after(() => collector.shutdown());

  it('lists the first 100 issues of a million bad array elements and counts the rest', async () => {
    const body = `[${Array.from({ length: 1_000_000 }, () => '1').join(',')}]`;
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', body));
    assert.equal(answer.status, 400);
    assert.ok(answer.bytes < MAX_ANSWER_BYTES, `${answer.bytes} bytes`);
    assert.equal(answer.body.error.code, 'A2A_ERR_INVALID_TRACE');
    assert.equal(answer.body.error.issues.length, 101);
    assert.deepEqual(answer.body.error.issues.slice(0, 2), [
      { path: '[0]', reason: 'expected a ResponseTrace object' },
      { path: '[1]', reason: 'expected a ResponseTrace object' },
    ]);
    assert.deepEqual(answer.body.error.issues[99], { path: '[99]', reason: 'expected a ResponseTrace object' });
    assert.deepEqual(answer.body.error.issues[100], { path: '', reason: '999900 more issues not listed' });
  });

  it('lists the first 100 of a million event-stream events that are not JSON and counts the rest', async () => {
    const response = await collector.app.request('/v1/a2a/traces', {
      method: 'POST',
      headers: { 'content-type': 'text/event-stream' },
      body: 'data:x\n\n'.repeat(1_000_000),
    });
    const answer = await refusal(response);
    assert.equal(answer.status, 400);
    assert.ok(answer.bytes < MAX_ANSWER_BYTES, `${answer.bytes} bytes`);
    assert.equal(answer.body.error.code, 'A2A_ERR_INVALID_JSON');
    assert.equal(answer.body.error.issues.length, 101);
    assert.equal(answer.body.error.issues[0]?.path, 'events[0]');
    assert.match(answer.body.error.issues[0]?.reason ?? '', /^line 1: the event's data is not JSON/);
    assert.equal(answer.body.error.issues[99]?.path, 'events[99]');
    assert.match(answer.body.error.issues[99]?.reason ?? '', /^line 199: /);
    assert.deepEqual(answer.body.error.issues[100], { path: '', reason: '999900 more issues not listed' });
  });

  it('refuses a million bad steps for the step limit, not as nesting, before reading any', async () => {
    const body = `{"trace_id":"x","steps":[${Array.from({ length: 1_000_000 }, () => '1').join(',')}]}`;
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', body));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'A2A_ERR_INVALID_TRACE');
    assert.deepEqual(answer.body.error.issues, [{ path: 'steps', reason: 'more than 10000 steps in one trace' }]);
  });

  it('lists the first 100 bad steps of a trace within a raised step limit and counts the rest', async () => {
    const raised = createTestCollector({ mapping: { max_steps_per_trace: 2_000_000 } });
    try {
      const body = `{"trace_id":"x","steps":[${Array.from({ length: 1_000_000 }, () => '1').join(',')}]}`;
      const answer = await refusal(await postJson(raised.collector, '/v1/a2a/traces', body));
      assert.equal(answer.status, 400);
      assert.ok(answer.bytes < MAX_ANSWER_BYTES, `${answer.bytes} bytes`);
      assert.equal(answer.body.error.code, 'A2A_ERR_INVALID_TRACE');
      assert.deepEqual(answer.body.error.issues.slice(0, 2), [
        { path: 'steps[0]', reason: 'expected a step object' },
        { path: 'steps[1]', reason: 'expected a step object' },
      ]);
      assert.deepEqual(answer.body.error.issues[100], { path: '', reason: '999900 more issues not listed' });
    } finally {
      await raised.collector.shutdown();
    }
  });

  it('counts issues exactly across many traces of one body', async () => {
    const traces = Array.from({ length: 60 }, (_, index) => ({ trace_id: `t${index}`, steps: [{ step_id: 'a', cost: 'x', latency: 'y' }] }));
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', { traces }));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.issues.length, 101);
    assert.deepEqual(answer.body.error.issues.slice(0, 2), [
      { path: 'traces[0].steps[0].cost', reason: 'expected a number or a numeric string' },
      { path: 'traces[0].steps[0].latency', reason: 'expected a number or a numeric string' },
    ]);
    assert.deepEqual(answer.body.error.issues[100], { path: '', reason: '20 more issues not listed' });
    assert.equal(sink.spans.length, 0);
  });
});

describe('numbers a double cannot hold', () => {
  const { collector, sink } = createTestCollector();
  after(() => collector.shutdown());

  it('refuses a cost whose sum over the trace overflows, at the step that overflows it, and takes nothing', async () => {
    const steps = [
      { step_id: 'a', call_type: 'TOOL', name: 'one', cost: 1e308 },
      { step_id: 'b', call_type: 'TOOL', name: 'two', cost: 1e308 },
    ];
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', { trace_id: 'inf', steps }));
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'A2A_ERR_INVALID_TRACE');
    assert.deepEqual(answer.body.error.issues, [
      { path: 'steps[1].cost', reason: "cost sum overflows a double (the trace's cost values, nested traces included, add up past 1.8e308)" },
    ]);
    assert.equal(sink.spans.length, 0);
  });

  it('sums magnitudes, so costs of opposite signs and nested traces count too', async () => {
    const nested = { trace_id: 'inner', steps: [{ step_id: 'n', call_type: 'TOOL', name: 'x', total_tokens: -1e308 }] };
    const steps = [
      { step_id: 'a', call_type: 'TOOL', name: 'one', total_tokens: 1e308 },
      { step_id: 'b', call_type: 'AGENT', name: 'callee', step_action: { agent_invocation: { agent_name: 'callee', response_trace: nested } } },
    ];
    const answer = await refusal(await postJson(collector, '/v1/a2a/traces', { trace_id: 'inf-2', steps }));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.error.issues, [
      {
        path: 'steps[1].step_action.agent_invocation.response_trace.steps[0].total_tokens',
        reason: "total_tokens sum overflows a double (the trace's total_tokens values, nested traces included, add up past 1.8e308)",
      },
    ]);
  });

  it('refuses 1e400, which JSON.parse reads as Infinity, with its path', async () => {
    const answer = await refusal(
      await postJson(collector, '/v1/a2a/traces', '{"trace_id":"big","steps":[{"step_id":"a","cost":1e400,"additional_attributes":{"input_tokens":1e400}}]}'),
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.error.issues, [
      { path: 'steps[0].additional_attributes.input_tokens', reason: 'expected a finite number (a double holds at most about 1.8e308)' },
      { path: 'steps[0].cost', reason: 'expected a finite number (a double holds at most about 1.8e308)' },
    ]);
    assert.equal(sink.spans.length, 0);
  });

  it('still accepts the largest costs whose sum is finite', async () => {
    const steps = [{ step_id: 'a', call_type: 'TOOL', name: 'one', cost: 8e307 }, { step_id: 'b', call_type: 'TOOL', name: 'two', cost: 8e307 }];
    const response = await postJson(collector, '/v1/a2a/traces', { trace_id: 'big-but-finite', steps });
    assert.equal(response.status, 202);
    assert.equal(sink.spans.length, 2);
  });
});
