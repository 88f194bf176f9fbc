/**
 * The OTLP receiver on a real loopback socket: OTLP/HTTP answers as the OTLP specification has them
 * (encoding of the request, partialSuccess, 400/401/413/415), content codings, counted-once accounting
 * of re-sent spans, the exclusive rule across requests, and OTLP spool records replayed after a restart.
 * The producers' side is the real OTel JS serializers; real SDK exporters are in test/e2e/otel-agents.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, deflateSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client as GrpcClient, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { Collector, ListenAddress } from '../../src/collector.js';
import { freePort } from '../helpers/backends.js';
import { createTestCollector } from '../helpers/collector-harness.js';
import { metricSamples } from '../helpers/metrics-text.js';
import { startOtlpJsonSink } from '../helpers/otlp-json-sink.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const resource = resourceFromAttributes({ 'service.name': 'otel-agent' });

/** A span as an SDK would hand it to its exporter (only what the serializer reads). */
function span(spanId: string, name: string, attributes: ReadableSpan['attributes'], parentSpanId?: string, traceId = TRACE): ReadableSpan {
  return {
    name,
    kind: SpanKind.CLIENT,
    spanContext: () => ({ traceId, spanId, traceFlags: 1 }),
    parentSpanContext: parentSpanId === undefined ? undefined : { traceId, spanId: parentSpanId, traceFlags: 1 },
    startTime: [1_767_000_000, 0],
    endTime: [1_767_000_001, 500_000_000],
    duration: [1, 500_000_000],
    status: { code: 0 },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: { name: 'agent' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

const chat = (spanId: string, input: number, output: number, parent?: string, traceId?: string): ReadableSpan =>
  span(spanId, 'chat gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output }, parent, traceId);

function protobufBody(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
}

/** The test's own reading of the two answer messages (from the OTLP protos' field numbers). */
const answers = protobuf.Root.fromJSON({
  nested: {
    Response: { fields: { partialSuccess: { type: 'Partial', id: 1 } } },
    Partial: { fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
    RpcStatus: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
  },
});

const started: Collector[] = [];
const directories: string[] = [];
after(async () => {
  for (const collector of started) await collector.shutdown(1_000);
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

async function startCollector(config: Record<string, unknown> = {}): Promise<{ collector: Collector; address: ListenAddress }> {
  const { collector } = createTestCollector({ server: { port: 0 }, ...config });
  started.push(collector);
  return { collector, address: await collector.start() };
}

async function post(address: ListenAddress, body: Buffer | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${address.url}/v1/traces`, { method: 'POST', headers, body });
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };

describe('OTLP/HTTP on the collector port', () => {
  it('answers a protobuf export with an empty protobuf ExportTraceServiceResponse and prices the chat from the shipped table', async () => {
    const { address } = await startCollector();
    const response = await post(address, protobufBody([chat('1000000000000001', 1_000_000, 1_000_000)]), PROTOBUF);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    // gpt-4o-mini: 0.15 USD per million input tokens, 0.60 per million output.
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), { '{agent="otel-agent",call_type="llm",target="gpt-4o-mini",currency="USD"}': 0.75 });
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_received_otlp_spans_total'), { '{protocol="http"}': 1, '{protocol="grpc"}': 0 });
  });

  it('counts a re-sent export once, as a retrying exporter sends it', async () => {
    const { address } = await startCollector();
    const body = protobufBody([chat('2000000000000001', 1_000_000, 0)]);
    for (let i = 0; i < 3; i++) assert.equal((await post(address, body, PROTOBUF)).status, 200);
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), { '{agent="otel-agent",call_type="llm",target="gpt-4o-mini",currency="USD"}': 0.15 });
    assert.deepEqual(metricSamples(metrics, 'a2a_tokens_total'), { '{agent="otel-agent",call_type="llm",target="gpt-4o-mini"}': 1_000_000 });
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_received_otlp_spans_total'), { '{protocol="http"}': 3, '{protocol="grpc"}': 0 });
  });

  it('applies the exclusive rule to a parent exported after its children, in another request', async () => {
    const { address } = await startCollector();
    const children = [chat('3000000000000002', 1_000_000, 0, '3000000000000001'), chat('3000000000000003', 1_000_000, 0, '3000000000000001')];
    assert.equal((await post(address, protobufBody(children), PROTOBUF)).status, 200);
    const parent = span('3000000000000001', 'invoke_agent planner', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'gen_ai.usage.input_tokens': 2_000_000, 'gen_ai.usage.cost': 0.5 });
    assert.equal((await post(address, protobufBody([parent]), PROTOBUF)).status, 200);
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    // The parent reports 0.5 for its children's 0.15 + 0.15: only 0.2 is its own.
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {
      '{agent="otel-agent",call_type="llm",target="gpt-4o-mini",currency="USD"}': 0.3,
      '{agent="otel-agent",call_type="agent",target="planner",currency="USD"}': 0.2,
    });
    assert.deepEqual(metricSamples(metrics, 'a2a_tokens_total'), { '{agent="otel-agent",call_type="llm",target="gpt-4o-mini"}': 2_000_000 });
    const stored = (await (await fetch(`${address.url}/api/traces/${TRACE}`)).json()) as { summary: { totalCost: number; computedCost: number } };
    assert.deepEqual([stored.summary.totalCost, stored.summary.computedCost], [0.5, 0.3]);
  });

  it('counts tokens no price covers by model', async () => {
    const { address } = await startCollector();
    const unknown = span('4000000000000001', 'chat house-model', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'house-model-7b', 'gen_ai.usage.input_tokens': 700, 'gen_ai.usage.output_tokens': 50 });
    assert.equal((await post(address, protobufBody([unknown]), PROTOBUF)).status, 200);
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.deepEqual(metricSamples(metrics, 'a2a_unpriced_tokens_total'), { '{model="house-model-7b"}': 750 });
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {});
  });

  it('answers OTLP/JSON in JSON, with partialSuccess naming each rejected span', async () => {
    const { address } = await startCollector();
    const good = { traceId: TRACE, spanId: '5000000000000001', name: 'ok', startTimeUnixNano: '1767000000000000000', endTimeUnixNano: '1767000001000000000' };
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [good, { ...good, spanId: '50' }, { ...good, traceId: '' }] }] }] });
    const response = await post(address, body, { 'content-type': 'application/json' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(await response.json(), {
      partialSuccess: {
        rejectedSpans: '2',
        errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 16 hex digits, got 2; resourceSpans[0].scopeSpans[0].spans[2].traceId: missing',
      },
    });
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_rejected_otlp_spans_total'), { '{protocol="http"}': 2, '{protocol="grpc"}': 0 });
  });

  it('answers partialSuccess in protobuf for a protobuf request', async () => {
    const { address } = await startCollector();
    const bad = { ...chat('6000000000000001', 1, 1), spanContext: () => ({ traceId: TRACE, spanId: '0000000000000000', traceFlags: 1 }) };
    const response = await post(address, protobufBody([bad, chat('6000000000000002', 1, 1)]), PROTOBUF);
    assert.equal(response.status, 200);
    const answer = answers.lookupType('Response').toObject(answers.lookupType('Response').decode(new Uint8Array(await response.arrayBuffer())), { longs: Number });
    assert.deepEqual(answer, { partialSuccess: { rejectedSpans: 1, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[0].spanId: must not be all zero' } });
  });

  it('takes gzip and deflate bodies, and refuses corrupt or unknown codings', async () => {
    const { address } = await startCollector();
    const gzipped = await post(address, gzipSync(protobufBody([chat('7000000000000001', 1, 1)])), { ...PROTOBUF, 'content-encoding': 'gzip' });
    assert.equal(gzipped.status, 200);
    const deflated = await post(address, deflateSync(protobufBody([chat('7000000000000002', 1, 1)])), { ...PROTOBUF, 'content-encoding': 'deflate' });
    assert.equal(deflated.status, 200);
    const corrupt = await post(address, Buffer.from('not gzip at all'), { ...PROTOBUF, 'content-encoding': 'gzip' });
    assert.equal(corrupt.status, 400);
    const status = answers.lookupType('RpcStatus').decode(new Uint8Array(await corrupt.arrayBuffer())) as unknown as { code: number; message: string };
    assert.equal(status.code, 3);
    assert.match(status.message, /not valid gzip data/);
    assert.equal((await post(address, gzipSync(protobufBody([])), { ...PROTOBUF, 'content-encoding': 'br' })).status, 415);
    const stored = (await (await fetch(`${address.url}/api/traces/${TRACE}`)).json()) as { steps: unknown[] };
    assert.equal(stored.steps.length, 2);
  });

  it('answers 413 for a body too large once inflated, and 400 for bytes that are not OTLP', async () => {
    const { address } = await startCollector({ server: { port: 0, max_body_bytes: 64 * 1024 } });
    const bomb = gzipSync(Buffer.alloc(1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    const tooLarge = await post(address, bomb, { ...PROTOBUF, 'content-encoding': 'gzip' });
    assert.equal(tooLarge.status, 413);
    const garbage = await post(address, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), PROTOBUF);
    assert.equal(garbage.status, 400);
    const json = await post(address, '{"resourceSpans": {}}', { 'content-type': 'application/json' });
    assert.equal(json.status, 400);
    assert.deepEqual(((await json.json()) as { error: { issues: unknown[] } }).error.issues, [{ path: 'resourceSpans', reason: 'expected an array' }]);
  });

  it('requires the bearer token ingest requires, and refuses other media types', async () => {
    const { address } = await startCollector({ server: { port: 0, auth_token: 's3cret' } });
    const body = protobufBody([chat('8000000000000001', 1, 1)]);
    assert.equal((await post(address, body, PROTOBUF)).status, 401);
    assert.equal((await post(address, body, { ...PROTOBUF, authorization: 'Bearer s3cret' })).status, 200);
    assert.equal((await post(address, body, { 'content-type': 'text/plain', authorization: 'Bearer s3cret' })).status, 415);
  });

  it('is off with an empty receivers section, and serves a port of its own when given an endpoint', async () => {
    const off = await startCollector({ receivers: {} });
    assert.equal((await post(off.address, protobufBody([chat('9000000000000001', 1, 1)]), PROTOBUF)).status, 404);
    const port = await freePort();
    const own = await startCollector({ receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } } });
    assert.deepEqual(own.collector.receiverAddresses, [`http://127.0.0.1:${port}`]);
    const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: PROTOBUF, body: protobufBody([chat('9000000000000002', 1, 1)]) });
    assert.equal(response.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
  });
});

describe('OTLP spool records', () => {
  it('replays what a down backend did not get after a restart, with the cost attributes as accepted, counted once', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'otlp-spool-'));
    directories.push(directory);
    const exporter = (endpoint: string) => ({
      endpoint,
      protocol: 'http/json',
      retry_on_failure: { initial_interval_millis: 50, max_interval_millis: 100, max_elapsed_time_millis: 600_000 },
      batch: { scheduled_delay_millis: 10 },
    });
    const first = await startCollector({ spool: { directory }, exporters: { otlp: exporter(`http://127.0.0.1:${await freePort()}`) } });
    assert.equal((await post(first.address, protobufBody([chat('a000000000000001', 1_000_000, 0, undefined, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')]), PROTOBUF)).status, 200);
    await first.collector.shutdown(300);

    const sink = await startOtlpJsonSink();
    try {
      const second = createTestCollector({ spool: { directory }, exporters: { otlp: exporter(sink.url) } });
      started.push(second.collector);
      await second.collector.forceFlush(5_000);
      assert.deepEqual(sink.spans, ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/a000000000000001 chat gpt-4o-mini']);
      const replayed = second.sink.spans.find((replayedSpan) => replayedSpan.spanContext().spanId === 'a000000000000001');
      assert.equal(replayed?.attributes['a2a.step.cost'], 0.15);
      assert.equal(replayed?.attributes['a2a.cost.source'], 'computed');
      const metrics = await (await second.collector.app.request('/metrics')).text();
      assert.deepEqual(metricSamples(metrics, 'a2a_collector_spool_replayed_spans_total'), { '{exporter="otlp"}': 1 });
      // Counted before the restart.
      assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {});
    } finally {
      await sink.close();
    }
  });
});

describe('compressed A2A ingest (POST /v1/a2a/traces)', () => {
  const trace = { trace_id: 'gz-1', steps: [{ step_id: 's1', name: 'lookup', call_type: 'TOOL', cost: 0.5, end_time: '2026-03-10T21:23:14Z' }] };

  it('takes gzip and deflate bodies, on the node:http path and in process', async () => {
    const { collector, address } = await startCollector();
    for (const [coding, body] of [
      ['gzip', gzipSync(JSON.stringify(trace))],
      ['deflate', deflateSync(JSON.stringify({ ...trace, trace_id: 'gz-2' }))],
    ] as const) {
      const response = await fetch(`${address.url}/v1/a2a/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': coding }, body });
      assert.equal(response.status, 202, coding);
    }
    const inProcess = await collector.app.request('/v1/a2a/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ ...trace, trace_id: 'gz-3' })),
    });
    assert.equal(inProcess.status, 202);
    const listed = (await (await fetch(`${address.url}/api/traces`)).json()) as { traces: Array<{ a2aTraceIds: string[] }> };
    assert.deepEqual(listed.traces.flatMap((stored) => stored.a2aTraceIds).sort(), ['gz-1', 'gz-2', 'gz-3']);
  });

  it('answers 413 for a body too large once inflated, 400 for corrupt data, 415 for another coding', async () => {
    const { address } = await startCollector({ server: { port: 0, max_body_bytes: 64 * 1024 } });
    const send = (body: Buffer, coding: string) =>
      fetch(`${address.url}/v1/a2a/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': coding }, body });
    const bomb = await send(gzipSync(Buffer.alloc(1024 * 1024, 0x20)), 'gzip');
    assert.equal(bomb.status, 413);
    assert.equal(((await bomb.json()) as { error: { message: string } }).error.message, 'request body is larger than 65536 bytes once decoded');
    const corrupt = await send(Buffer.from('{"no": "gzip"}'), 'gzip');
    assert.equal(corrupt.status, 400);
    assert.equal(((await corrupt.json()) as { error: { code: string } }).error.code, 'A2A_ERR_UNDECODABLE_BODY');
    assert.equal((await send(Buffer.from(JSON.stringify(trace)), 'br')).status, 415);
  });
});

describe('OTLP/gRPC', () => {
  /** One raw `TraceService/Export` call with grpc-js, the request already encoded. */
  async function exportCall(endpoint: string, body: Buffer, token?: string): Promise<{ error: ServiceError | null; response: Buffer | undefined }> {
    const client = new GrpcClient(endpoint, credentials.createInsecure());
    const metadata = new Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    try {
      return await new Promise((resolve) => {
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (request: Buffer) => request,
          (response: Buffer) => response,
          body,
          metadata,
          (error: ServiceError | null, response?: Buffer) => resolve({ error, response }),
        );
      });
    } finally {
      client.close();
    }
  }

  it('takes an export, refuses bytes that are not OTLP (INVALID_ARGUMENT) and a call without the token (UNAUTHENTICATED)', async () => {
    const { collector, address } = await startCollector({ server: { port: 0, auth_token: 't0ken' }, receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:0' } } } } });
    const endpoint = collector.receiverAddresses[0] as string;
    const ok = await exportCall(endpoint, protobufBody([chat('b000000000000001', 1_000_000, 0)]), 't0ken');
    assert.equal(ok.error, null);
    assert.equal(ok.response?.length, 0);
    assert.equal((await exportCall(endpoint, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), 't0ken')).error?.code, status.INVALID_ARGUMENT);
    assert.equal((await exportCall(endpoint, protobufBody([chat('b000000000000002', 1, 1)]))).error?.code, status.UNAUTHENTICATED);
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_received_otlp_spans_total'), { '{protocol="http"}': 0, '{protocol="grpc"}': 1 });
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), { '{agent="otel-agent",call_type="llm",target="gpt-4o-mini",currency="USD"}': 0.15 });
  });

  it('answers UNAVAILABLE with a retry-after trailer, and HTTP 503 with Retry-After, when an exporter queue is full', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const { collector, address } = await startCollector({
      receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:0' } } } },
      exporters: {
        otlp: { endpoint: down, sending_queue: { queue_size_bytes: 16 * 1024 }, retry_on_failure: { initial_interval_millis: 60_000, max_interval_millis: 60_000, max_elapsed_time_millis: 0 } },
      },
    });
    const batch = (first: number) => protobufBody(Array.from({ length: 6 }, (_, i) => chat(`c000000000000${(first + i).toString(16).padStart(3, '0')}`, 1, 1)));
    // Batches in flight to the down backend have left the queue: send until it is full.
    let full: Response | undefined;
    for (let n = 0; n < 20 && full === undefined; n++) {
      const response = await post(address, batch(n * 6), PROTOBUF);
      if (response.status !== 200) full = response;
    }
    assert.equal(full?.status, 503);
    assert.match(full?.headers.get('retry-after') ?? '', /^\d+$/);
    const call = await exportCall(collector.receiverAddresses[0] as string, batch(200));
    assert.equal(call.error?.code, status.UNAVAILABLE);
    assert.match(String(call.error?.metadata.get('retry-after')[0] ?? ''), /^\d+$/);
    const metrics = await (await fetch(`${address.url}/metrics`)).text();
    assert.equal(metricSamples(metrics, 'a2a_collector_rejected_requests_total')['{reason="queue_full"}'], 2);
  });
});

describe('a receiver that cannot listen', () => {
  it('fails the start naming the receiver, and leaves nothing listening', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const collectorPort = await freePort();
      const { collector } = createTestCollector({ server: { port: collectorPort }, receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${port}` } } } } });
      await assert.rejects(collector.start(), (error: unknown) => error instanceof Error && error.message.startsWith('receiver otlp: '));
      // The collector's own port was closed again: it can be bound.
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(collectorPort, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
      await collector.shutdown(100);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
