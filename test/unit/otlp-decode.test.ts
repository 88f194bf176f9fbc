import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CollectorError } from '../../src/errors.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../src/otlp/otlp-decode.js';

/** Spans as the OpenTelemetry JS SDK records them: two services, a parent and children, every value type. */
function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const spans: ReadableSpan[] = [];
  for (const service of ['planner', 'weather']) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test', 'host.cpus': 2 }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('agent-sdk', '1.4.2');
    const root = tracer.startSpan(`invoke_agent ${service}`, { kind: SpanKind.SERVER, startTime: [1_700_000_000, 123_456_789] });
    const parent = trace.setSpan(context.active(), root);
    const child = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        startTime: [1_700_000_000, 200_000_000],
        attributes: { 'gen_ai.usage.input_tokens': 1000, ratio: 0.25, model: 'gpt-4o-mini', streamed: true, stops: ['\n', 'END'], sizes: [1, 2, 3] },
        links: [{ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }, attributes: { 'link.kind': 'follows' } }],
      },
      parent,
    );
    child.addEvent('gen_ai.choice', { index: 0 }, [1_700_000_000, 900_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    child.end([1_700_000_001, 5]);
    root.end([1_700_000_002, 0]);
  }
  spans.push(...memory.getFinishedSpans());
  return spans;
}

describe('decodeTracesProtobuf', () => {
  it('reads what the OTel JS SDK exports: ids, parent, times to the nanosecond, kind, status, attributes, events, links, resource and scope', () => {
    const original = sdkSpans();
    const { spans, rejected } = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(original) as Uint8Array);
    assert.equal(rejected.count, 0);
    assert.equal(spans.length, 4);
    for (const sent of original) {
      const got = spans.find((span) => span.spanContext().spanId === sent.spanContext().spanId);
      assert.ok(got, `span ${sent.name} read`);
      assert.equal(got.spanContext().traceId, sent.spanContext().traceId);
      assert.equal(got.spanContext().traceFlags, 1);
      assert.equal(got.parentSpanContext?.spanId, sent.parentSpanContext?.spanId);
      assert.equal(got.name, sent.name);
      assert.equal(got.kind, sent.kind);
      assert.deepEqual(got.startTime, sent.startTime);
      assert.deepEqual(got.endTime, sent.endTime);
      assert.deepEqual(got.status, sent.status);
      assert.deepEqual(got.attributes, sent.attributes);
      assert.deepEqual(
        got.events.map((event) => [event.name, event.time, event.attributes]),
        sent.events.map((event) => [event.name, event.time, event.attributes]),
      );
      assert.deepEqual(
        got.links.map((link) => [link.context.traceId, link.context.spanId, link.attributes]),
        sent.links.map((link) => [link.context.traceId, link.context.spanId, link.attributes]),
      );
      assert.deepEqual(got.resource.attributes, sent.resource.attributes);
      assert.deepEqual([got.instrumentationScope.name, got.instrumentationScope.version], ['agent-sdk', '1.4.2']);
    }
    const child = spans.find((span) => span.name === 'chat gpt-4o-mini' && span.resource.attributes['service.name'] === 'weather');
    assert.deepEqual(child?.startTime, [1_700_000_000, 200_000_000]);
    assert.deepEqual(child?.endTime, [1_700_000_001, 5]);
    assert.deepEqual(child?.duration, [0, 800_000_005]);
  });

  it('passes spans through unchanged: encoded again, they are the same bytes', () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(sdkSpans()) as Uint8Array;
    const again = ProtobufTraceSerializer.serializeRequest(decodeTracesProtobuf(bytes).spans) as Uint8Array;
    assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(bytes)), 0);
  });

  it('shares one Resource per resourceSpans entry, as the OTLP encoder groups by identity', () => {
    const { spans } = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans()) as Uint8Array);
    const planner = spans.filter((span) => span.resource.attributes['service.name'] === 'planner');
    assert.equal(planner.length, 2);
    assert.equal(planner[0]?.resource, planner[1]?.resource);
  });

  it('keeps the trace state', () => {
    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('t');
    const remote = trace.setSpanContext(context.active(), {
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      traceFlags: 1,
      isRemote: true,
      traceState: new TraceState('vendor=abc,other=1'),
    });
    tracer.startSpan('server', {}, remote).end();
    const { spans } = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()) as Uint8Array);
    assert.equal(spans[0]?.spanContext().traceState?.serialize(), 'vendor=abc,other=1');
    assert.equal(spans[0]?.parentSpanContext?.spanId, 'd'.repeat(16));
    assert.equal(spans[0]?.parentSpanContext?.isRemote, true);
  });

  it('refuses bytes that are not an ExportTraceServiceRequest, naming the reason', () => {
    assert.throws(
      () => decodeTracesProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0xff])),
      (error: unknown) => error instanceof CollectorError && error.code === 'A2A_ERR_INVALID_OTLP' && /not a protobuf ExportTraceServiceRequest/.test(error.issues[0]?.reason ?? ''),
    );
  });
});

describe('decodeTracesJson', () => {
  it('reads the OTLP/JSON the OTel JS SDK writes the same as its protobuf', () => {
    const original = sdkSpans();
    const fromJson = decodeTracesJson(Buffer.from(JsonTraceSerializer.serializeRequest(original) as Uint8Array).toString('utf8'));
    const fromProtobuf = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(original) as Uint8Array);
    assert.equal(fromJson.spans.length, 4);
    assert.deepEqual(
      fromJson.spans.map((span) => [span.spanContext(), span.parentSpanContext?.spanId, span.startTime, span.endTime, span.attributes, span.status, span.kind]),
      fromProtobuf.spans.map((span) => [span.spanContext(), span.parentSpanContext?.spanId, span.startTime, span.endTime, span.attributes, span.status, span.kind]),
    );
  });

  const span = (overrides: Record<string, unknown>): Record<string, unknown> => ({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'chat',
    kind: 3,
    startTimeUnixNano: '1700000000123456789',
    endTimeUnixNano: '1700000001000000000',
    ...overrides,
  });
  const request = (...spans: unknown[]): string => JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] });

  it('reads int64 times given as decimal strings exactly, and int values given as strings', () => {
    const { spans } = decodeTracesJson(request(span({ attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } }] })));
    assert.deepEqual(spans[0]?.startTime, [1_700_000_000, 123_456_789]);
    assert.deepEqual(spans[0]?.endTime, [1_700_000_001, 0]);
    assert.equal(spans[0]?.kind, SpanKind.CLIENT);
    assert.equal(spans[0]?.attributes['gen_ai.usage.input_tokens'], 1200);
  });

  it('rejects a bad span alone, naming its field path, and keeps the others', () => {
    const { spans, rejected } = decodeTracesJson(
      request(span({}), span({ spanId: 'abc' }), span({ spanId: '0000000000000000' }), span({ spanId: 'c7ad6b7169203331', attributes: [{ key: 'n', value: { intValue: 1.5 } }] })),
    );
    assert.equal(spans.length, 1);
    assert.equal(rejected.count, 3);
    assert.deepEqual(rejected.toArray(), [
      { path: 'resourceSpans[0].scopeSpans[0].spans[1].spanId', reason: 'expected 16 hex digits, got 3' },
      { path: 'resourceSpans[0].scopeSpans[0].spans[2].spanId', reason: 'must not be all zero' },
      { path: 'resourceSpans[0].scopeSpans[0].spans[3].attributes[0].value.intValue', reason: 'expected an integer (a decimal string in JSON)' },
    ]);
  });

  it('reads the proto field names too, as the protobuf JSON mapping has parsers do', () => {
    const { spans } = decodeTracesJson(
      JSON.stringify({
        resource_spans: [
          {
            scope_spans: [
              { spans: [{ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', name: 'chat', start_time_unix_nano: '1700000000000000001', attributes: [{ key: 'k', value: { int_value: '7' } }] }] },
            ],
          },
        ],
      }),
    );
    assert.equal(spans.length, 1);
    assert.equal(spans[0]?.spanContext().spanId, 'b7ad6b7169203331');
    assert.deepEqual(spans[0]?.startTime, [1_700_000_000, 1]);
    assert.equal(spans[0]?.attributes['k'], 7);
  });

  it('refuses a request whose structure above the spans is wrong, naming the path', () => {
    assert.throws(
      () => decodeTracesJson(JSON.stringify({ resourceSpans: [{ scopeSpans: {} }] })),
      (error: unknown) => error instanceof CollectorError && error.code === 'A2A_ERR_INVALID_OTLP' && error.issues[0]?.path === 'resourceSpans[0].scopeSpans',
    );
    assert.throws(
      () => decodeTracesJson('{"resourceSpans": ['),
      (error: unknown) => error instanceof CollectorError && error.code === 'A2A_ERR_INVALID_JSON',
    );
  });
});
