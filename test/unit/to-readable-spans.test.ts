import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MAPPED_ATTRIBUTE_NAMES, passThroughAttributeName } from '../../src/mapping/attribute-names.js';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import type { TraceTimestamp } from '../../src/model/types.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';

const RECEIVED: TraceTimestamp = { raw: '', epochSeconds: 1800000000, nanos: 0, zoneAssumed: false };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function plain(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    traceFlags: span.spanContext().traceFlags,
    parentSpanId: span.parentSpanContext?.spanId,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    status: span.status,
    attributes: span.attributes,
    events: span.events,
    service: span.resource.attributes['service.name'],
    scope: span.instrumentationScope,
  };
}

function mapTrace(value: unknown, parentSpanId?: string) {
  const warnings = [...readWithDefaultLimits(value).warnings];
  const tree = buildStepTree(readWithDefaultLimits(value).trace, 'planner', 'auto', warnings);
  const mapper = new SpanMapper({ ...DEFAULT_MAPPING, currency: 'EUR', collectorVersion: '9.9.9', maxAttributeLength: 64 });
  return { spans: mapper.toReadableSpans({ tree, otelTraceId: TRACE_ID, parentSpanId, receivedAt: RECEIVED }), mapper };
}

describe('SpanMapper.toReadableSpans', () => {
  it('maps an agent call with a nested failing tool call to these exact spans', () => {
    const { spans } = mapTrace(
      {
        trace_id: TRACE_ID,
        steps: [
          {
            step_id: '00f067aa0ba902b7',
            parent_step_id: null,
            call_type: 'AGENT',
            name: 'weather',
            step_type: 'agent',
            cost: 3,
            total_tokens: 50,
            latency: 0,
            requests: { q: 'weather?', authorization: 'Bearer s3cret' },
            start_time: '2026-03-10T21:23:14.000000+00:00',
            end_time: '2026-03-10T21:23:15.250000+00:00',
            error: '',
            step_action: {
              agent_invocation: {
                agent_url: 'http://127.0.0.1:9999/',
                agent_name: 'weather-agent',
                response_trace: {
                  traceId: 'inner-trace',
                  steps: [
                    {
                      stepId: '1111111111111111',
                      parentStepId: '',
                      callType: 'TOOL',
                      name: 'forecast',
                      cost: '2',
                      totalTokens: 50,
                      latency: 250,
                      parameters: { city: 'Paris', api_key: 'k' },
                      additionalAttributes: { input_tokens: 40, output_tokens: 10, region: 'eu', tags: ['a', 'b'] },
                      startTime: '2026-03-10T21:23:14.500Z',
                      error: 'TimeoutError: no answer\n  at forecast.js:1',
                    },
                  ],
                },
              },
            },
          },
        ],
      },
      'aaaaaaaaaaaaaaaa',
    );
    assert.deepEqual(spans.map(plain), [
      {
        name: 'invoke_agent weather',
        kind: 2,
        traceId: TRACE_ID,
        spanId: '00f067aa0ba902b7',
        traceFlags: 1,
        parentSpanId: 'aaaaaaaaaaaaaaaa',
        startTime: [1773177794, 0],
        endTime: [1773177795, 250_000_000],
        duration: [1, 250_000_000],
        status: { code: 0 },
        attributes: {
          'a2a.trace.id': TRACE_ID,
          'a2a.step.id': '00f067aa0ba902b7',
          'a2a.step.call_type': 'AGENT',
          'a2a.step.kind': 'agent',
          'a2a.step.name': 'weather',
          'a2a.step.type': 'agent',
          'a2a.agent.url': 'http://127.0.0.1:9999/',
          'a2a.step.latency_ms': 0,
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': 'weather-agent',
          'a2a.step.cost': 3,
          'gen_ai.usage.cost': 3,
          'a2a.step.cost.exclusive': 1,
          'a2a.cost.currency': 'EUR',
          'a2a.cost.source': 'reported',
          'a2a.step.total_tokens': 50,
          'gen_ai.usage.total_tokens': 50,
          'a2a.step.total_tokens.exclusive': 0,
          'a2a.step.requests': '{"q":"weather?","authorization":"[REDACTED]"}',
        },
        events: [
          { name: 'a2a.step.start', time: [1773177794, 0], attributes: { 'a2a.timestamp': '2026-03-10T21:23:14.000000+00:00' } },
          { name: 'a2a.step.end', time: [1773177795, 250_000_000], attributes: { 'a2a.timestamp': '2026-03-10T21:23:15.250000+00:00' } },
        ],
        service: 'planner',
        scope: { name: 'a2a-trace-collector', version: '9.9.9' },
      },
      {
        name: 'execute_tool forecast',
        kind: 0,
        traceId: TRACE_ID,
        spanId: '1111111111111111',
        traceFlags: 1,
        parentSpanId: '00f067aa0ba902b7',
        startTime: [1773177794, 500_000_000],
        endTime: [1773177794, 750_000_000],
        duration: [0, 250_000_000],
        status: { code: 2, message: 'TimeoutError: no answer' },
        attributes: {
          region: 'eu',
          tags: ['a', 'b'],
          'a2a.trace.id': 'inner-trace',
          'a2a.step.id': '1111111111111111',
          'a2a.step.call_type': 'TOOL',
          'a2a.step.kind': 'tool',
          'a2a.step.name': 'forecast',
          'a2a.step.latency_ms': 250,
          'a2a.trace.nesting_level': 1,
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'forecast',
          'a2a.step.cost': 2,
          'gen_ai.usage.cost': 2,
          'a2a.step.cost.exclusive': 2,
          'a2a.cost.currency': 'EUR',
          'a2a.cost.source': 'reported',
          'a2a.step.total_tokens': 50,
          'gen_ai.usage.total_tokens': 50,
          'a2a.step.total_tokens.exclusive': 50,
          'gen_ai.usage.input_tokens': 40,
          'gen_ai.usage.output_tokens': 10,
          'a2a.step.parameters': '{"city":"Paris","api_key":"[REDACTED]"}',
        },
        events: [
          { name: 'a2a.step.start', time: [1773177794, 500_000_000], attributes: { 'a2a.timestamp': '2026-03-10T21:23:14.500Z' } },
          {
            name: 'exception',
            time: [1773177794, 750_000_000],
            attributes: {
              'exception.message': 'no answer',
              'exception.stacktrace': 'TimeoutError: no answer\n  at forecast.js:1',
              'exception.type': 'TimeoutError',
            },
          },
        ],
        service: 'weather-agent',
        scope: { name: 'a2a-trace-collector', version: '9.9.9' },
      },
    ]);
    // One Resource object per service: the OTLP encoder groups spans by identity.
    assert.notEqual(spans[0]?.resource, spans[1]?.resource);
  });

  it('flags steps in flight and steps with no time, and caps long values', () => {
    const { spans, mapper } = mapTrace({
      trace_id: TRACE_ID,
      steps: [
        { step_id: 'a', call_type: 'HOST', name: 'x'.repeat(100), start_time: '2026-03-10T21:23:14Z', end_time: null, latency: null },
        { step_id: 'b', call_type: 'HOST', name: 'b' },
        { step_id: 'c', call_type: 'WORKFLOW', name: 'c', cost: 0, end_time: '2026-03-10T21:23:14Z', latency: 1000 },
      ],
    });
    const [a, b, c] = spans.map(plain);
    assert.equal(a?.attributes['a2a.step.in_flight'], true);
    assert.deepEqual(a?.duration, [0, 0]);
    assert.equal(a?.name, `host ${'x'.repeat(100)}`);
    assert.equal(a?.attributes['a2a.step.name'], `${'x'.repeat(50)}...[truncated]`);
    assert.equal(b?.attributes['a2a.step.time_missing'], true);
    assert.deepEqual(b?.startTime, [1800000000, 0]);
    assert.equal(c?.name, 'workflow c');
    assert.deepEqual([c?.startTime, c?.endTime], [[1773177793, 0], [1773177794, 0]]);
    assert.equal(c?.attributes['a2a.step.cost'], 0);
    assert.equal(c?.attributes['a2a.step.in_flight'], undefined);
    assert.equal(mapper.resourceFor('planner'), spans[0]?.resource);
  });
});

describe('SpanMapper times', () => {
  it('never lets a negative latency end a span before it starts', () => {
    const { spans } = mapTrace({ trace_id: TRACE_ID, steps: [{ step_id: 'a', call_type: 'TOOL', start_time: '2026-03-10T21:23:14Z', latency: -5000 }] });
    assert.deepEqual([spans[0]?.startTime, spans[0]?.endTime, spans[0]?.duration], [[1773177794, 0], [1773177794, 0], [0, 0]]);
    assert.equal(spans[0]?.attributes['a2a.step.latency_ms'], -5000);
  });
});

describe('redaction of string-typed requests', () => {
  it('redacts secrets inside a string that holds JSON, and leaves other strings alone', () => {
    const { spans } = mapTrace({
      trace_id: TRACE_ID,
      steps: [
        { step_id: 'a', call_type: 'AGENT', name: 'x', requests: '{"api_key":"LEAK","n":{"authorization":"Bearer x"}}' },
        { step_id: 'b', call_type: 'AGENT', name: 'y', requests: 'plain text with api_key=visible' },
      ],
    });
    assert.equal(spans[0]?.attributes['a2a.step.requests'], '{"api_key":"[REDACTED]","n":{"authorization":"[REDACTED]"}}');
    assert.equal(spans[1]?.attributes['a2a.step.requests'], 'plain text with api_key=visible');
  });
});

describe('additional attributes named like what the mapping writes', () => {
  const body = {
    trace_id: 't',
    steps: [
      {
        step_id: 's',
        call_type: 'HOST',
        cost: 0.5,
        additional_attributes: {
          'a2a.step.cost.exclusive': 1e6,
          'service.name': 'spoof',
          'gen_ai.usage.input_tokens': 12,
          'gen_ai.request.model': 'gpt-4o',
        },
      },
    ],
  };

  it('are warned about by the reader at their paths, when it is told the mapping renames them', () => {
    const { trace, warnings } = readWithDefaultLimits(body, '', { passThroughAttributeName });
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code, w.message]),
      [
        ['steps[0].additional_attributes["a2a.step.cost.exclusive"]', 'reserved_attribute', 'a2a.step.cost.exclusive is set by the collector; kept as a2a.step.additional_attributes.a2a.step.cost.exclusive'],
        ['steps[0].additional_attributes["service.name"]', 'reserved_attribute', 'service.name is set by the collector; kept as a2a.step.additional_attributes.service.name'],
      ],
    );
    assert.deepEqual(trace.steps[0]?.additionalAttributes, { 'a2a.step.cost.exclusive': 1e6, 'service.name': 'spoof', 'gen_ai.request.model': 'gpt-4o' });
    assert.equal(trace.steps[0]?.inputTokens, 12);
  });

  it('are written under a2a.step.additional_attributes.*, and what the collector computed stays', () => {
    const [span] = mapTrace(body).spans;
    assert.equal(span?.attributes['a2a.step.cost.exclusive'], 0.5);
    assert.equal(span?.attributes['a2a.step.additional_attributes.a2a.step.cost.exclusive'], 1e6);
    assert.equal(span?.attributes['service.name'], undefined);
    assert.equal(span?.resource.attributes['service.name'], 'planner');
    assert.equal(span?.attributes['a2a.step.additional_attributes.service.name'], 'spoof');
    assert.equal(span?.attributes['gen_ai.request.model'], 'gpt-4o');
  });

  it('are every attribute name a fully featured trace is mapped with (the list is complete)', () => {
    const { spans } = mapTrace({
      trace_id: 't',
      steps: [
        { step_id: 'root', call_type: 'AGENT', name: 'planner', agent_url: 'http://a', start_time: '2026-03-10T21:23:14Z', end_time: '2026-03-10T21:23:15Z', cost: 1, total_tokens: 9, additional_attributes: { input_tokens: 4, output_tokens: 5 }, parameters: { q: 1 }, requests: 'r' },
        { step_id: 'tool', parent_step_id: 'root', call_type: 'TOOL', name: 'search', start_time: '2026-03-10T21:23:14.1Z', error: { message: 'boom', type: 'E' } },
        { step_id: 'orphan', parent_step_id: 'missing', call_type: 'HOST', start_time: '2026-03-10T21:23:14' },
        { step_id: 'open', parent_step_id: 'root', call_type: 'TOOL', start_time: '2026-03-10T21:23:14Z' },
      ],
    });
    const written = new Set<string>();
    for (const span of spans) {
      for (const key of Object.keys(span.attributes)) written.add(key);
      for (const event of span.events) for (const key of Object.keys(event.attributes ?? {})) written.add(key);
    }
    written.delete('a2a.timestamp');
    assert.deepEqual([...written].filter((name) => !MAPPED_ATTRIBUTE_NAMES.has(name)), []);
    assert.ok(written.size >= 20, `a fully featured trace writes many attributes, got ${[...written].join(', ')}`);
  });
});
