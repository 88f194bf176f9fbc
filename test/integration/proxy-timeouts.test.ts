/**
 * The proxy against hand-written node:http agents that stall (before answering, and in the middle of
 * a stream) and one that streams 20 MiB of trace events; and the proxy's own listener limits.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { builtInExporterFactories } from '../../exporters/index.js';
import { TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';
import { validateConfig } from '../../src/config/load-config.js';
import { ProxySidecar } from '../../receivers/a2a-proxy/proxy-sidecar.js';
import { agentTrace } from '../helpers/a2a-agents.js';
import { eventually } from '../helpers/backends.js';

/** An agent whose every answer `handler` writes; `closed` resolves once the proxy's request to it is closed. */
async function startAgent(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; closed: Promise<void>; stop: () => Promise<void> }> {
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const server: Server = createServer((request, response) => {
    response.once('close', () => markClosed());
    request.resume();
    request.once('end', () => handler(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closed,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function startSidecar(upstream: string, proxy: Record<string, unknown> = {}, server: Record<string, unknown> = {}): Promise<{ sidecar: ProxySidecar; proxyUrl: string; collectorUrl: string }> {
  const config = validateConfig({ server: { port: 0, ...server }, proxy: { upstream, port: 0, ...proxy } }, builtInExporterFactories);
  const sidecar = new ProxySidecar(config, { processMetrics: false });
  const addresses = await sidecar.start();
  return { sidecar, proxyUrl: addresses.proxy.url, collectorUrl: addresses.collector.url };
}

async function metrics(collectorUrl: string): Promise<(series: string) => number> {
  const text = await (await fetch(`${collectorUrl}/metrics`)).text();
  return (series) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
}

/** What a client got: the status (0 when none), the body bytes, and whether the body ended or was cut. */
interface ClientView {
  readonly status: number;
  readonly body: Buffer;
  readonly complete: boolean;
}

function call(url: string): Promise<ClientView> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const request = httpRequest({ hostname: target.hostname, port: target.port, path: '/', method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => {});
      let ended = false;
      response.on('end', () => (ended = true));
      response.on('close', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), complete: ended }));
    });
    request.on('error', () => resolve({ status: 0, body: Buffer.alloc(0), complete: false }));
    request.end('{"jsonrpc":"2.0","id":1,"method":"message/stream","params":{}}');
  });
}

const sseEvent = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

function statusUpdate(traceId: string, padding: number): unknown {
  return {
    jsonrpc: '2.0',
    id: 1,
    result: {
      kind: 'status-update',
      taskId: 'task',
      contextId: 'ctx',
      final: false,
      status: { state: 'working', message: { kind: 'message', role: 'agent', messageId: traceId, parts: [{ kind: 'text', text: 'p'.repeat(padding) }] } },
      metadata: { [TRACEABILITY_METADATA_KEY]: agentTrace('long-stream', traceId) },
    },
  };
}

describe('proxy timeouts and long streams', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answers 504 when the agent accepts the request but never starts its answer, and aborts the call to it', { timeout: 10_000 }, async () => {
    const agent = await startAgent(() => {});
    cleanups.push(agent.stop);
    const { sidecar, proxyUrl, collectorUrl } = await startSidecar(agent.url, { response_timeout_millis: 200 });
    cleanups.push(() => sidecar.shutdown());
    const view = await call(proxyUrl);
    assert.equal(view.status, 504);
    assert.equal((JSON.parse(view.body.toString()) as { error: { code: string } }).error.code, 'A2A_ERR_UPSTREAM_UNAVAILABLE');
    await agent.closed;
    const read = await metrics(collectorUrl);
    assert.equal(read('a2a_proxy_requests_total{outcome="upstream_timeout"}'), 1);
    assert.equal(read('a2a_proxy_in_flight_requests'), 0);
  });

  it('cuts a stream the agent falls silent in, keeps the traces of its complete events, and aborts the call to it', { timeout: 10_000 }, async () => {
    const first = sseEvent(statusUpdate('trace-before-silence', 10));
    const agent = await startAgent((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      response.write(first);
      response.write('data: {"half an event":');
    });
    cleanups.push(agent.stop);
    const { sidecar, proxyUrl, collectorUrl } = await startSidecar(agent.url, { idle_timeout_millis: 200 });
    cleanups.push(() => sidecar.shutdown());
    const view = await call(proxyUrl);
    assert.equal(view.status, 200);
    assert.equal(view.complete, false);
    assert.equal(view.body.toString(), `${first}data: {"half an event":`);
    await agent.closed;
    const stored = await fetch(`${collectorUrl}/api/traces/trace-before-silence`);
    assert.equal(stored.status, 200);
    assert.equal(((await stored.json()) as { summary: { stepCount: number } }).summary.stepCount, 3);
    const read = await metrics(collectorUrl);
    assert.equal(read('a2a_proxy_requests_total{outcome="upstream_timeout"}'), 1);
  });

  it('reads every trace of a 20 MiB stream of trace events, past server.max_body_bytes', { timeout: 60_000 }, async () => {
    const events = Array.from({ length: 200 }, (_, index) => sseEvent(statusUpdate(`trace-long-${index}`, 105 * 1024)));
    const stream = events.join('');
    assert.ok(Buffer.byteLength(stream) > 20 * 1024 * 1024);
    const agent = await startAgent((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      response.end(stream);
    });
    cleanups.push(agent.stop);
    const { sidecar, proxyUrl, collectorUrl } = await startSidecar(agent.url);
    cleanups.push(() => sidecar.shutdown());
    const view = await call(proxyUrl);
    assert.equal(view.complete, true);
    assert.equal(view.body.toString(), stream);
    const read = await eventually(async () => {
      const current = await metrics(collectorUrl);
      return current('a2a_proxy_in_flight_requests') === 0 ? current : undefined;
    }, 10_000, 20);
    assert.equal(read('a2a_proxy_traces_ingested_total'), 200);
    assert.equal(read('a2a_proxy_ingest_failures_total{reason="body_too_large"}'), 0);
    assert.equal(read('a2a_proxy_requests_total{outcome="traced"}'), 1);
    assert.equal(read('a2a_proxy_buffered_bytes'), 0);
    const listed = (await (await fetch(`${collectorUrl}/api/traces?limit=1000`)).json()) as { traces: unknown[] };
    assert.equal(listed.traces.length, 200);
  });

  it("closes a client that never finishes its headers on the proxy's listener after server.headers_timeout_millis", { timeout: 10_000 }, async () => {
    const agent = await startAgent((_request, response) => response.end());
    cleanups.push(agent.stop);
    const { sidecar, proxyUrl } = await startSidecar(agent.url, {}, { headers_timeout_millis: 200, request_timeout_millis: 400 });
    cleanups.push(() => sidecar.shutdown());
    const { port } = new URL(proxyUrl);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    assert.match(received, /^HTTP\/1\.1 408 /);
  });
});
