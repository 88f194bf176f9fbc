import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Collector } from '../../src/collector.js';
import { createTestCollector, postJson, readFixture, type SinkExporter } from '../helpers/collector-harness.js';

const NESTED = readFixture('nested-multi-agent.json');
const OUTER_ID = 'trace-7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6';
// Ids are deterministic from the A2A trace and step ids (DESIGN §3, docs/design-notes.md "Identity
// and version"): the same trace must map to these same ids in every release, so they are literals.
const OUTER_OTEL_TRACE_ID = '33950340ce51d0d74bed3a291d3fc984';
const NESTED_SPAN_IDS = {
  'step-host': '5a8625729a628f10',
  'step-lookup': 'df9cb11ad16d1c9f',
  'step-call-weather': '43d32079db7037ae',
  'step-0': '6cbfac8501a9e0cf',
  'step-1': '817a2eec12352df0',
  'step-2': '6c547099ee2dd9a5',
};

interface AcceptBody {
  traceCount: number;
  stepCount: number;
  accepted: Array<{ traceId: string; a2aTraceId: string; stepCount: number; warnings: Array<{ path: string; code: string }> }>;
}
interface ErrorBody {
  error: { code: string; message: string; issues: Array<{ path: string; reason: string }> };
}

describe('POST /v1/a2a/traces', () => {
  // Every case gets its own collector and posts what it reads, so any one runs alone and in any order.
  let collector: Collector;
  let sink: SinkExporter;
  beforeEach(() => {
    ({ collector, sink } = createTestCollector());
  });
  afterEach(() => collector.shutdown());

  async function acceptNested(): Promise<void> {
    assert.equal((await postJson(collector, '/v1/a2a/traces?service=trip-planner', NESTED)).status, 202);
  }

  it('accepts a nested multi-agent trace and answers 202 with what it took', async () => {
    const response = await postJson(collector, '/v1/a2a/traces?service=trip-planner', NESTED);
    assert.equal(response.status, 202);
    const body = (await response.json()) as AcceptBody;
    assert.deepEqual(body, {
      traceCount: 1,
      stepCount: 6,
      accepted: [{ traceId: OUTER_OTEL_TRACE_ID, a2aTraceId: OUTER_ID, stepCount: 6, linkedStepCount: 0, warnings: [] }],
    });
    assert.deepEqual(
      sink.spans.map((span) => [span.spanContext().traceId, span.spanContext().spanId]),
      Object.values(NESTED_SPAN_IDS).map((spanId) => [OUTER_OTEL_TRACE_ID, spanId]),
    );
  });

  it('serves the trace by OTel id and by A2A id, with the summary', async () => {
    await acceptNested();
    const byA2A = await collector.app.request(`/api/traces/${OUTER_ID}`);
    assert.equal(byA2A.status, 200);
    const trace = (await byA2A.json()) as {
      traceId: string;
      a2aTraceIds: string[];
      summary: unknown;
      steps: Array<{ stepId: string; service: string; parentSpanId: string | null; spanId: string; status: string; costExclusive: number | null }>;
    };
    assert.equal(trace.traceId, OUTER_OTEL_TRACE_ID);
    const byOtel = await collector.app.request(`/api/traces/${OUTER_OTEL_TRACE_ID}`);
    assert.equal(byOtel.status, 200);
    assert.deepEqual(await byOtel.json(), trace);
    const nestedById = await collector.app.request('/api/traces/trace-weather-001');
    assert.equal(((await nestedById.json()) as { traceId: string }).traceId, OUTER_OTEL_TRACE_ID);

    assert.deepEqual(trace.a2aTraceIds.sort(), [OUTER_ID, 'trace-weather-001'].sort());
    // Hand-computed from the fixture (see its costs and times): exclusive costs 0 + 0.5 + 0.5 + 0 + 1 + 2.
    assert.deepEqual(trace.summary, {
      totalCost: 4,
      computedCost: 0,
      totalTokens: 1500,
      durationMs: 1100,
      stepCount: 6,
      errorCount: 1,
      bottleneck: { stepId: 'step-1', name: 'forecast_api', selfTimeMs: 500 },
      costByCallType: { host: 0, agent: 0.5, tool: 3.5 },
      costByAgent: { 'trip-planner': 1, 'weather-agent': 3 },
    });
    const byStep = new Map(trace.steps.map((step) => [step.stepId, step]));
    const parentOf = (id: string) => trace.steps.find((s) => s.spanId === byStep.get(id)?.parentSpanId)?.stepId ?? null;
    assert.deepEqual(
      Object.keys(NESTED_SPAN_IDS).map((id) => [id, byStep.get(id)?.spanId, parentOf(id), byStep.get(id)?.service]),
      [
        ['step-host', NESTED_SPAN_IDS['step-host'], null, 'trip-planner'],
        ['step-lookup', NESTED_SPAN_IDS['step-lookup'], 'step-host', 'trip-planner'],
        ['step-call-weather', NESTED_SPAN_IDS['step-call-weather'], 'step-host', 'trip-planner'],
        ['step-0', NESTED_SPAN_IDS['step-0'], 'step-call-weather', 'weather-agent'],
        ['step-1', NESTED_SPAN_IDS['step-1'], 'step-0', 'weather-agent'],
        ['step-2', NESTED_SPAN_IDS['step-2'], 'step-0', 'weather-agent'],
      ],
    );
    assert.equal(byStep.get('step-1')?.status, 'error');
  });

  it('lists traces newest first', async () => {
    await acceptNested();
    assert.equal((await postJson(collector, '/v1/a2a/traces', { trace_id: 'second', steps: [{ step_id: 'a', call_type: 'HOST', name: 'later' }] })).status, 202);
    const list = (await (await collector.app.request('/api/traces')).json()) as { traces: Array<{ a2aTraceIds: string[]; rootName: string }> };
    assert.deepEqual(list.traces.map((t) => t.a2aTraceIds[0]), ['second', OUTER_ID]);
    assert.equal(list.traces[0]?.rootName, 'later');
  });

  it('accepts an array and {"traces": [...]}, and joins an incoming traceparent', async () => {
    const asArray = (await (await postJson(collector, '/v1/a2a/traces', [{ trace_id: 'x1', steps: [] }, { trace_id: 'x2', steps: [{ step_id: 's', call_type: 'TOOL' }] }])).json()) as AcceptBody;
    assert.deepEqual(asArray.accepted.map((t) => [t.a2aTraceId, t.stepCount]), [['x1', 0], ['x2', 1]]);
    assert.deepEqual(asArray.accepted[0]?.warnings.map((w) => w.code), ['no_steps']);
    assert.equal(sink.spans.length, 1);

    const joined = await postJson(
      collector,
      '/v1/a2a/traces',
      { traces: [{ trace_id: 'x3', steps: [{ step_id: 'r', call_type: 'HOST' }] }] },
      { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    );
    assert.equal(((await joined.json()) as AcceptBody).accepted[0]?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(sink.spans.length, 2);
    const root = sink.spans[1];
    assert.equal(root?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(root?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });

  it('refuses bad JSON and bad traces with 400, naming every field, and takes nothing', async () => {
    const badJson = await postJson(collector, '/v1/a2a/traces', '{"trace_id": ');
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as ErrorBody).error.code, 'A2A_ERR_INVALID_JSON');

    const badTraces = await postJson(collector, '/v1/a2a/traces', [
      { trace_id: 'ok', steps: [{ step_id: 'a', call_type: 'HOST' }] },
      { trace_id: 'bad', steps: [{ step_id: 'b', latency: 'slow', start_time: 'noon' }] },
    ]);
    assert.equal(badTraces.status, 400);
    assert.deepEqual(((await badTraces.json()) as ErrorBody).error.issues, [
      { path: '[1].steps[0].latency', reason: 'expected a number or a numeric string' },
    ]);
    const notATrace = await postJson(collector, '/v1/a2a/traces', { hello: 'world' });
    assert.equal(notATrace.status, 400);
    assert.equal(((await notATrace.json()) as ErrorBody).error.issues[0]?.path, '');
    assert.equal(sink.spans.length, 0);
  });

  it('treats an empty service parameter as absent', async () => {
    assert.equal((await postJson(collector, '/v1/a2a/traces?service=', { trace_id: 'empty-service', steps: [{ step_id: 's', call_type: 'TOOL' }] })).status, 202);
    assert.equal(sink.spans.length, 1);
    assert.equal(sink.spans[0]?.resource.attributes['service.name'], 'a2a-agent');
  });

  it('answers 415 for a media type it cannot read and 404 with JSON for unknown traces', async () => {
    const protobuf = await postJson(collector, '/v1/a2a/traces', 'x', { 'content-type': 'application/x-protobuf' });
    assert.equal(protobuf.status, 415);
    const missing = await collector.app.request('/api/traces/nope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as ErrorBody).error.code, 'A2A_ERR_NOT_FOUND');
  });

  it('serves health, and metrics of what it accepted', async () => {
    const health = await collector.app.request('/healthz');
    assert.equal(health.status, 200);
    await acceptNested();
    const metrics = await (await collector.app.request('/metrics')).text();
    assert.match(metrics, /^a2a_cost_total\{agent="weather-agent",call_type="tool",target="llm_summarize",currency="USD"\} 2$/m);
    assert.match(metrics, /^a2a_cost_total\{agent="trip-planner",call_type="agent",target="weather-agent",currency="USD"\} 0\.5$/m);
    assert.match(metrics, /^a2a_tokens_total\{agent="weather-agent",call_type="tool",target="llm_summarize"\} 1500$/m);
    assert.match(metrics, /^a2a_steps_total\{agent="weather-agent",call_type="tool",status="error"\} 1$/m);
    assert.match(metrics, /^a2a_step_duration_seconds_count\{agent="weather-agent",call_type="tool"\} 2$/m);
    assert.match(metrics, /^a2a_trace_cost_sum\{currency="USD"\} 4$/m);
  });

  it('counts refused requests by reason', async () => {
    assert.equal((await postJson(collector, '/v1/a2a/traces', '{"trace_id": ')).status, 400);
    assert.equal((await postJson(collector, '/v1/a2a/traces', [{ trace_id: 'bad', steps: [{ step_id: 'b', latency: 'slow' }] }])).status, 400);
    assert.equal((await postJson(collector, '/v1/a2a/traces', { hello: 'world' })).status, 400);
    assert.equal((await postJson(collector, '/v1/a2a/traces', 'x', { 'content-type': 'application/x-protobuf' })).status, 415);
    const metrics = await (await collector.app.request('/metrics')).text();
    assert.match(metrics, /^a2a_collector_rejected_requests_total\{reason="invalid"\} 3$/m);
    assert.match(metrics, /^a2a_collector_rejected_requests_total\{reason="unsupported_media_type"\} 1$/m);
  });
});

describe('limits', () => {
  it('answers 413 for a body over max_body_bytes', async () => {
    const { collector } = createTestCollector({ server: { max_body_bytes: 1024 } });
    const response = await postJson(collector, '/v1/a2a/traces', { trace_id: 't', steps: [], pad: 'x'.repeat(2000) });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as ErrorBody).error.code, 'A2A_ERR_BODY_TOO_LARGE');
    await collector.shutdown();
  });

  it('answers 401 without the configured bearer token', async () => {
    const { collector } = createTestCollector({ server: { auth_token: 'let-me-in' } });
    const trace = { trace_id: 't', steps: [] };
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace)).status, 401);
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace, { authorization: 'Bearer let-me-in' })).status, 202);
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace, { authorization: 'bearer let-me-in' })).status, 202, 'the scheme is case-insensitive');
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace, { authorization: 'Bearer LET-ME-IN' })).status, 401, 'the token is not');
    await collector.shutdown();
  });

  it('answers 503 with Retry-After when an exporter queue is full, and counts it', async () => {
    // An OTLP exporter aimed at a closed port keeps its queue occupied while it retries.
    const { collector, sink } = createTestCollector({
      exporters: {
        otlp: {
          endpoint: 'http://127.0.0.1:9',
          sending_queue: { queue_size_bytes: 6000 },
          retry_on_failure: { max_elapsed_time_millis: 0 },
          batch: { scheduled_delay_millis: 60_000 },
        },
      },
    });
    const step = (i: number) => ({ step_id: `s${i}`, call_type: 'TOOL', name: 'tool', parameters: { pad: 'x'.repeat(300) } });
    const first = await postJson(collector, '/v1/a2a/traces', { trace_id: 'a', steps: [step(1), step(2), step(3)] });
    assert.equal(first.status, 202);
    // Fits the queue's capacity, not the room the first trace left.
    const second = await postJson(collector, '/v1/a2a/traces', { trace_id: 'b', steps: [step(1), step(2), step(3)] });
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), '5');
    assert.equal(((await second.json()) as ErrorBody).error.code, 'A2A_ERR_QUEUE_FULL');
    assert.equal(sink.spans.length, 3, 'the refused trace reached no consumer');
    const metrics = await (await collector.app.request('/metrics')).text();
    assert.match(metrics, /^a2a_collector_rejected_requests_total\{reason="queue_full"\} 1$/m);
    await collector.shutdown(5_000);
    const after = await (await collector.app.request('/metrics')).text();
    assert.match(after, /^a2a_collector_dropped_spans_total\{exporter="otlp",reason="retries_exhausted"\} 3$/m);
  });
});

describe('hostile nesting', () => {
  it('answers 400 (not 500) for JSON nested deeper than the recursive walks can go, and keeps serving', async () => {
    const { collector, sink } = createTestCollector();
    const depth = 100_000;
    const deepParameters = `{"trace_id":"deep","steps":[{"step_id":"s","call_type":"TOOL","parameters":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`;
    const deepArray = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    for (const body of [deepParameters, deepArray]) {
      const response = await postJson(collector, '/v1/a2a/traces', body);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as ErrorBody).error.code, 'A2A_ERR_NESTING_TOO_DEEP');
    }
    assert.equal(sink.spans.length, 0);
    assert.equal((await postJson(collector, '/v1/a2a/traces', { trace_id: 'after', steps: [] })).status, 202);
    await collector.shutdown();
  });
});

describe('requests larger than a queue', () => {
  it('answer 413, not a 503 that no retry could ever clear', async () => {
    const { collector } = createTestCollector({ exporters: { debug: { sending_queue: { queue_size_bytes: 2000 } } } });
    const steps = Array.from({ length: 10 }, (_, i) => ({ step_id: `s${i}`, call_type: 'TOOL', name: 'tool' }));
    const response = await postJson(collector, '/v1/a2a/traces', { trace_id: 'big', steps });
    assert.equal(response.status, 413);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'A2A_ERR_BODY_TOO_LARGE');
    assert.match(body.error.message, /exporter debug's queue/);
    await collector.shutdown();
  });
});
