import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';
import type { Collector } from '../../src/collector.js';
import { toOtelTraceId } from '../../src/mapping/ids.js';
import { createTestCollector, postJson, readFixture } from '../helpers/collector-harness.js';

interface AcceptBody {
  traceCount: number;
  stepCount: number;
  accepted: Array<{ traceId: string; a2aTraceId: string; stepCount: number; warnings: Array<{ path: string; code: string; message: string }> }>;
}
interface ErrorBody {
  error: { code: string; message: string; issues: Array<{ path: string; reason: string }> };
}

const KEY = JSON.stringify(TRACEABILITY_METADATA_KEY);

function readStream(name: string): string {
  return readFileSync(new URL(`../fixtures/a2a/${name}`, import.meta.url), 'utf8');
}

function postText(collector: Collector, text: string, contentType: string, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(collector.app.request('/v1/a2a/traces', { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: text }));
}

/** Posts a body and returns the answer with the spans it produced. */
async function ingest(collector: Collector, spans: ReadableSpan[], send: () => Promise<Response>) {
  const before = spans.length;
  const response = await send();
  return { response, body: (await response.json()) as AcceptBody & ErrorBody, spans: spans.slice(before) };
}

const rootOf = (spans: ReadableSpan[]) => spans.find((span) => span.parentSpanContext === undefined || span.parentSpanContext.isRemote === true);

describe('POST /v1/a2a/traces with A2A envelopes', () => {
  // A collector per case: one collector counts a trace once, and several cases post the same fixture.
  let { collector, sink } = createTestCollector();
  beforeEach(() => ({ collector, sink } = createTestCollector()));
  afterEach(() => collector.shutdown());

  const jsonCases: Array<{ fixture: string; a2aTraceId: string; steps: number; contextId: string; taskId: string | undefined }> = [
    { fixture: 'v03-message-send-task.json', a2aTraceId: 'trace-3f1c9a52-8d4e-4b7a-9c21-5e6f7a8b9c0d', steps: 2, contextId: 'ctx-58c1a9e0-3b7d-4f26-8e14-9a0b1c2d3e4f', taskId: 'task-1b7e4c2a-9f3d-4e8b-a6c5-0d9e8f7a6b5c' },
    { fixture: 'v03-message-send-message.json', a2aTraceId: 'trace-12345', steps: 1, contextId: 'ctx-weather-7781', taskId: undefined },
    { fixture: 'v03-tasks-get-text-part.json', a2aTraceId: 'trace-9d0c4e3b', steps: 1, contextId: 'ctx-translate-9', taskId: 'task-translate-42' },
    { fixture: 'v10-send-message-task.json', a2aTraceId: '5b8efff798038103d269b633813fc60c', steps: 2, contextId: '7e9f1a3b-5c7d-4e9f-8a1b-3c5d7e9f1a3b', taskId: '0b6a2f5e-8c1d-4e7a-9b3f-2d4c6e8a0b1c' },
    { fixture: 'v10-send-message-message.json', a2aTraceId: 'trace-faq-1', steps: 1, contextId: 'ctx-faq-1', taskId: undefined },
    { fixture: 'v10-get-task.json', a2aTraceId: 'trace-report-q1', steps: 1, contextId: 'ctx-report-88', taskId: 'task-report-2026-04' },
  ];
  for (const { fixture, a2aTraceId, steps, contextId, taskId } of jsonCases) {
    it(`ingests the JSON-RPC response ${fixture}, with its conversation and task on every span`, async () => {
      const { response, body, spans } = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', readFixture(`a2a/${fixture}`)));
      assert.equal(response.status, 202, JSON.stringify(body));
      assert.deepEqual(body.accepted.map((trace) => [trace.a2aTraceId, trace.stepCount]), [[a2aTraceId, steps]]);
      assert.equal(spans.length, steps);
      for (const span of spans) {
        assert.equal(span.attributes['gen_ai.conversation.id'], contextId);
        assert.equal(span.attributes['a2a.task.id'], taskId);
      }
    });
  }

  it('hangs the task status and timestamp-extension stamps on the root span, in time order', async () => {
    const { spans } = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', readFixture('a2a/v03-message-send-task.json')));
    const root = rootOf(spans);
    assert.equal(root?.name, 'invoke_agent currency_agent');
    assert.deepEqual(
      root?.events.map((event) => [event.name, event.attributes?.['a2a.timestamp'], event.attributes?.['a2a.task.state'] ?? event.attributes?.['a2a.message.role'] ?? event.attributes?.['a2a.artifact.id']]),
      [
        ['a2a.step.start', '2026-03-10T21:23:14.962000+00:00', undefined],
        ['a2a.step.end', '2026-03-10T21:23:15.393000+00:00', undefined],
        ['a2a.message.timestamp', '2026-03-10T21:23:14.950011+00:00', 'user'],
        ['a2a.artifact.timestamp', '2026-03-10T21:23:15.398002+00:00', 'art-conversion-result'],
        ['a2a.message.timestamp', '2026-03-10T21:23:15.401873+00:00', 'agent'],
        ['a2a.task.status', '2026-03-10T21:23:15.402Z', 'completed'],
      ],
    );
    assert.deepEqual(root?.events.at(-1)?.time, [1773177795, 402_000_000]);
    assert.deepEqual(spans.find((span) => span !== root)?.events.map((event) => event.name), ['a2a.step.start', 'a2a.step.end']);
  });

  it('reads a 0.3 message/stream transcript (LF, comments, multi-line data) and ingests its repeated trace once', async () => {
    const { response, body, spans } = await ingest(collector, sink.spans, () => postText(collector, readStream('v03-message-stream.sse'), 'text/event-stream'));
    assert.equal(response.status, 202, JSON.stringify(body));
    assert.deepEqual(body.accepted.map((trace) => [trace.a2aTraceId, trace.stepCount, trace.warnings]), [['trace-stream-0001', 2, []]]);
    assert.equal(spans.length, 2);
    const root = rootOf(spans);
    assert.equal(root?.attributes['gen_ai.conversation.id'], 'ctx-2a9b8c7d-6e5f-4a3b-8c1d-0e9f8a7b6c5d');
    assert.equal(root?.attributes['a2a.task.id'], 'task-5e0c7d2b-1f4a-4c3e-9d8b-7a6f5e4d3c2b');
    assert.deepEqual(
      root?.events.filter((event) => event.name === 'a2a.task.status').map((event) => event.attributes?.['a2a.task.state']),
      ['submitted', 'working', 'completed'],
    );
    assert.deepEqual(
      root?.events.map((event) => event.name),
      ['a2a.step.start', 'a2a.step.end', 'a2a.message.timestamp', 'a2a.task.status', 'a2a.task.status', 'a2a.artifact.timestamp', 'a2a.task.status'],
    );
  });

  it('reads a 1.0 SendStreamingMessage transcript with CRLF line ends', async () => {
    const { response, body, spans } = await ingest(collector, sink.spans, () =>
      postText(collector, readStream('v10-send-streaming-message.sse'), 'text/event-stream; charset=utf-8'),
    );
    assert.equal(response.status, 202, JSON.stringify(body));
    assert.deepEqual(body.accepted.map((trace) => [trace.a2aTraceId, trace.stepCount]), [['trace-1-0-stream', 2]]);
    const root = rootOf(spans);
    assert.equal(root?.name, 'host plan_trip');
    assert.equal(root?.attributes['gen_ai.conversation.id'], '9a7c5e3b-1d8f-4b6a-8c2e-0f4d6b8a2c1e');
    assert.deepEqual(
      root?.events.filter((event) => event.name.startsWith('a2a.task') || event.name.startsWith('a2a.artifact')).map((event) => event.attributes?.['a2a.task.state'] ?? event.name),
      ['submitted', 'working', 'a2a.artifact.timestamp', 'completed'],
    );
    assert.equal(spans.find((span) => span.name === 'execute_tool hotel_search')?.status.message, 'TimeoutError: upstream timed out');
  });

  it('recognizes a transcript sent as JSON or form data (curl -d @stream.sse)', async () => {
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded']) {
      const { response, body } = await ingest(collector, sink.spans, () => postText(collector, readStream('v03-message-stream.sse'), contentType));
      assert.equal(response.status, 202, contentType);
      assert.equal(body.traceCount, 1);
    }
  });

  it('joins the traceparent of the envelope metadata, unless the request header brings one', async () => {
    const envelope = readFixture('a2a/v10-send-message-task.json');
    const fromMetadata = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', envelope));
    assert.equal(fromMetadata.body.accepted[0]?.traceId, '0af7651916cd43dd8448eb211c80319c');
    const root = rootOf(fromMetadata.spans);
    assert.equal(root?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(root?.parentSpanContext?.spanId, 'b7ad6b7169203331');

    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const fromHeader = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', envelope, { traceparent: header }));
    assert.equal(fromHeader.body.accepted[0]?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(rootOf(fromHeader.spans)?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });

  it('ignores an invalid traceparent in the metadata with a warning', async () => {
    const envelope = {
      jsonrpc: '2.0',
      id: 1,
      result: { kind: 'message', messageId: 'm', role: 'agent', parts: [], metadata: { traceparent: 'not-a-traceparent', trace: { trace_id: 'tp-bad', steps: [] } } },
    };
    const { body } = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', envelope));
    assert.equal(body.accepted[0]?.traceId, toOtelTraceId('tp-bad'));
    assert.deepEqual(
      body.accepted[0]?.warnings.find((warning) => warning.code === 'traceparent_invalid'),
      { path: 'result.metadata.traceparent', code: 'traceparent_invalid', message: 'traceparent in the envelope metadata is not valid W3C trace context; ignored' },
    );
  });

  it('takes a trace repeated across a JSON-RPC batch once, and accepts traces beside an error response with a warning', async () => {
    const trace = { trace_id: 'trace-batch', steps: [{ step_id: 's', call_type: 'TOOL', name: 'x' }] };
    const batch = [
      { jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: { trace } } },
      { jsonrpc: '2.0', id: 2, result: { kind: 'task', id: 't', contextId: 'c', status: { state: 'completed' }, metadata: { [TRACEABILITY_METADATA_KEY]: JSON.stringify(trace) } } },
      readFixture('a2a/v03-error-response.json'),
    ];
    const { response, body, spans } = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', batch));
    assert.equal(response.status, 202);
    assert.equal(body.traceCount, 1);
    assert.equal(spans.length, 1);
    assert.deepEqual(body.accepted[0]?.warnings, [
      { path: '[2].error', code: 'jsonrpc_error', message: 'JSON-RPC error -32001: Task not found; the traces found beside it were accepted' },
    ]);
  });
});

describe('POST /v1/a2a/traces refusing envelopes', () => {
  const { collector, sink } = createTestCollector();
  after(() => collector.shutdown());

  it('answers 422 for an envelope without a trace, listing the places searched, and takes nothing', async () => {
    const { response, body, spans } = await ingest(collector, sink.spans, () => postJson(collector, '/v1/a2a/traces', readFixture('a2a/v03-task-without-trace.json')));
    assert.equal(response.status, 422);
    assert.equal(body.error.code, 'A2A_ERR_NO_TRACE_IN_ENVELOPE');
    assert.match(body.error.message, /^no ResponseTrace in the A2A envelope: searched the metadata of Tasks/);
    assert.ok(body.error.message.includes(KEY));
    assert.deepEqual(body.error.issues, [
      { path: 'result.metadata', reason: 'Task.metadata: no trace under a traceability key (keys: "user_id")' },
      { path: 'result.status.message.metadata', reason: 'Message.metadata: absent' },
      { path: 'result.status.message.parts[0].text', reason: 'text part: not a ResponseTrace as JSON' },
      { path: 'result.artifacts[0].metadata', reason: 'Artifact.metadata: absent' },
      { path: 'result.artifacts[0].parts[0].data', reason: 'data part: not a ResponseTrace (no "steps" array)' },
    ]);
    assert.equal(spans.length, 0);
  });

  it('answers 422 for an event stream without a trace', async () => {
    const stream = `: ping\n\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', status: { state: 'working' } } })}\n\n`;
    const response = await postText(collector, stream, 'text/event-stream');
    assert.equal(response.status, 422);
    const body = (await response.json()) as ErrorBody;
    assert.deepEqual(body.error.issues, [{ path: 'events[0].result.metadata', reason: 'status-update metadata: absent' }]);
    assert.equal((await postText(collector, ': ping\n\n', 'text/event-stream')).status, 422);
  });

  it('answers 400 for a JSON-RPC error response, quoting the error', async () => {
    const response = await postJson(collector, '/v1/a2a/traces', readFixture('a2a/v03-error-response.json'));
    assert.equal(response.status, 400);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'A2A_ERR_INVALID_TRACE');
    assert.equal(body.error.message, 'no trace in an error response: JSON-RPC error -32001: Task not found');
    assert.deepEqual(body.error.issues, [{ path: 'error', reason: 'no trace in an error response: JSON-RPC error -32001: Task not found' }]);
  });

  it('names invalid fields by their path inside the envelope', async () => {
    const envelope = {
      jsonrpc: '2.0',
      id: 1,
      result: {
        kind: 'task',
        id: 't',
        contextId: 'c',
        status: { state: 'completed' },
        metadata: { [TRACEABILITY_METADATA_KEY]: { trace_id: 'bad', steps: [{ step_id: 'a', latency: 'slow' }] } },
        artifacts: [{ artifactId: 'a', parts: [{ kind: 'text', text: JSON.stringify({ trace_id: 'bad2', steps: [{ step_id: 'b', cost: [] }] }) }] }],
      },
    };
    const response = await postJson(collector, '/v1/a2a/traces', envelope);
    assert.equal(response.status, 400);
    assert.deepEqual(((await response.json()) as ErrorBody).error.issues.map((issue) => issue.path), [
      `result.metadata[${KEY}].steps[0].latency`,
      'result.artifacts[0].parts[0].text.steps[0].cost',
    ]);
  });

  it('answers 400 for an event whose data is not JSON, naming the event and its line', async () => {
    const response = await postText(collector, 'data: {"jsonrpc": "2.0"}\n\n: ping\ndata: {oops\n\n', 'text/event-stream');
    assert.equal(response.status, 400);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'A2A_ERR_INVALID_JSON');
    assert.equal(body.error.issues[0]?.path, 'events[1]');
    assert.match(body.error.issues[0]?.reason ?? '', /^line 4: the event's data is not JSON/);
  });

  it('keeps the answers for bodies that are neither trace nor envelope', async () => {
    const notATrace = await postJson(collector, '/v1/a2a/traces', { hello: 'world' });
    assert.equal(notATrace.status, 400);
    assert.equal(((await notATrace.json()) as ErrorBody).error.code, 'A2A_ERR_INVALID_TRACE');
    const notJson = await postText(collector, 'hello', 'application/json');
    assert.equal(((await notJson.json()) as ErrorBody).error.code, 'A2A_ERR_INVALID_JSON');
    assert.equal((await postText(collector, 'data: x', 'application/xml')).status, 415);
  });

  it('counts envelopes without a trace apart from invalid bodies', async () => {
    const metrics = await (await collector.app.request('/metrics')).text();
    assert.match(metrics, /^a2a_collector_rejected_requests_total\{reason="no_trace"\} 3$/m);
    assert.match(metrics, /^a2a_collector_rejected_requests_total\{reason="invalid"\} 5$/m);
  });
});

describe('a trace that grows during a stream', () => {
  it('is ingested once, merged by step id, so no cost is counted twice', async () => {
    const { collector, sink } = createTestCollector();
    const key = 'github.com/a2aproject/a2a-samples/extensions/traceability/v1/traceability';
    const s1 = { step_id: 's1', call_type: 'TOOL', name: 'llm', cost: 2, start_time: '2026-03-10T21:23:14Z', end_time: '2026-03-10T21:23:15Z' };
    const s2 = { step_id: 's2', call_type: 'TOOL', name: 'search', cost: 3, start_time: '2026-03-10T21:23:15Z', end_time: '2026-03-10T21:23:16Z' };
    const update = (state: string, final: boolean, steps: unknown[]) =>
      `data: ${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        result: { kind: 'status-update', taskId: 't', contextId: 'c', final, status: { state }, metadata: { [key]: { trace_id: 'sse-1', steps } } },
      })}\n\n`;
    const transcript = update('working', false, [s1]) + update('completed', true, [s1, s2]);
    const response = await collector.app.request('/v1/a2a/traces', { method: 'POST', headers: { 'content-type': 'text/event-stream' }, body: transcript });
    assert.equal(response.status, 202);
    const body = (await response.json()) as { traceCount: number; stepCount: number };
    assert.deepEqual([body.traceCount, body.stepCount], [1, 2]);
    assert.deepEqual(sink.spans.map((span) => span.attributes['a2a.step.id']).sort(), ['s1', 's2']);
    const metrics = await (await collector.app.request('/metrics')).text();
    assert.match(metrics, /^a2a_cost_total\{agent="a2a-agent",call_type="tool",target="llm",currency="USD"\} 2$/m);
    assert.match(metrics, /^a2a_trace_cost_sum\{currency="USD"\} 5$/m);
    await collector.shutdown();
  });
});
