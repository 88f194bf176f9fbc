/**
 * The proxy sidecar between real `@a2a-js/sdk` clients and real SDK agents, for every protocol
 * version and HTTP transport the SDK speaks: the client gets exactly what the agent sends, the agent
 * sees the extension the proxy added, and the trace lands in the collector.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceParameters, withA2AExtensions } from '@a2a-js/sdk/client';
import { builtInExporterFactories } from '../../exporters/index.js';
import { TRACEABILITY_EXTENSION_URI } from '../../src/a2a/extension-keys.js';
import { validateConfig } from '../../src/config/load-config.js';
import { ProxySidecar } from '../../receivers/a2a-proxy/proxy-sidecar.js';
import type { TraceDetail } from '../../src/store/trace-store.js';
import {
  CLIENT_FLAVOURS,
  agentTraceId,
  collectStream,
  createRecordingClient,
  startTestAgent,
  userRequest,
  type RecordedExchange,
  type RunningAgent,
  type TracePlacement,
} from '../helpers/a2a-agents.js';

interface RunningSidecar {
  readonly sidecar: ProxySidecar;
  readonly proxyUrl: string;
  readonly collectorUrl: string;
}

async function startSidecar(upstream: string, service: string, proxy: Record<string, unknown> = {}): Promise<RunningSidecar> {
  const config = validateConfig({ server: { port: 0 }, service: { name: service }, proxy: { upstream, port: 0, ...proxy } }, builtInExporterFactories);
  const sidecar = new ProxySidecar(config, { processMetrics: false });
  const addresses = await sidecar.start();
  return { sidecar, proxyUrl: addresses.proxy.url, collectorUrl: addresses.collector.url };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** The agent's only non-deterministic output is the task id it generates. */
const withoutTaskIds = (text: string): string => text.replace(UUID, '<task-id>');

async function rawCalls(exchanges: readonly RecordedExchange[]): Promise<Array<{ path: string; status: number; contentType: string; body: string }>> {
  const calls = exchanges.filter((exchange) => !exchange.url.includes('/.well-known/'));
  return Promise.all(
    calls.map(async (exchange) => ({
      path: new URL(exchange.url).pathname,
      status: exchange.status,
      contentType: exchange.contentType,
      body: withoutTaskIds(await exchange.body),
    })),
  );
}

async function storedTrace(collectorUrl: string, a2aTraceId: string): Promise<TraceDetail> {
  const response = await fetch(`${collectorUrl}/api/traces/${encodeURIComponent(a2aTraceId)}`);
  assert.equal(response.status, 200, `trace ${a2aTraceId} is not in the collector`);
  return (await response.json()) as TraceDetail;
}

async function metricValue(collectorUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${collectorUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const AGENTS: ReadonlyArray<{ name: string; placement: TracePlacement }> = [
  { name: 'weather', placement: 'status-metadata' },
  { name: 'planner', placement: 'artifact-data-part' },
];

describe('proxy sidecar with @a2a-js/sdk agents and clients', () => {
  const agents = new Map<string, { agent: RunningAgent; sidecar: RunningSidecar }>();

  before(async () => {
    for (const { name, placement } of AGENTS) {
      const agent = await startTestAgent({ name, placement });
      agents.set(name, { agent, sidecar: await startSidecar(agent.url, name) });
    }
  });
  after(async () => {
    for (const { agent, sidecar } of agents.values()) {
      await sidecar.sidecar.shutdown();
      await agent.close();
    }
  });

  for (const flavour of CLIENT_FLAVOURS) {
    for (const { name, placement } of AGENTS) {
      it(`${flavour.name}, trace in ${placement}: message/send and message/stream arrive unchanged, the extension is added, the trace is ingested`, async () => {
        const { agent, sidecar } = agents.get(name) as { agent: RunningAgent; sidecar: RunningSidecar };
        const text = `${flavour.protocolVersion}-${flavour.binding === 'JSONRPC' ? 'jsonrpc' : 'rest'}`;
        const asksForTrace = { serviceParameters: ServiceParameters.create(withA2AExtensions(TRACEABILITY_EXTENSION_URI)) };

        // Directly, with a client that asks for the extension itself.
        agent.setPublicUrl(undefined);
        const direct = await createRecordingClient(agent.url, flavour);
        const directSend = await direct.client.sendMessage(userRequest(text), asksForTrace);
        const directStream = await collectStream(direct.client.sendMessageStream(userRequest(`${text}-stream`), asksForTrace));

        // Through the proxy, with a client that does not, and that knows only the proxy: the card
        // names the agent, and the proxy's rewrite of it keeps the client on the proxy.
        const seenBefore = agent.seen.length;
        const proxied = await createRecordingClient(sidecar.proxyUrl, flavour);
        const proxiedSend = await proxied.client.sendMessage(userRequest(text));
        const proxiedStream = await collectStream(proxied.client.sendMessageStream(userRequest(`${text}-stream`)));

        assert.equal(withoutTaskIds(JSON.stringify(proxiedSend)), withoutTaskIds(JSON.stringify(directSend)));
        assert.equal(withoutTaskIds(JSON.stringify(proxiedStream)), withoutTaskIds(JSON.stringify(directStream)));
        assert.equal(directStream.length, 3, 'the stream has the task, the answer artifact and the status updates');
        const proxiedCalls = await rawCalls(proxied.exchanges);
        assert.deepEqual(proxiedCalls, await rawCalls(direct.exchanges));
        assert.equal(proxiedCalls.length, 2);
        assert.match(proxiedCalls[0]?.body ?? '', /"trace_id"/, 'the agent answered with its trace');

        const activationHeader = flavour.protocolVersion === '1.0' ? 'a2a-extensions' : 'x-a2a-extensions';
        for (const exchange of proxied.exchanges) {
          assert.equal(exchange.requestHeaders['a2a-extensions'] ?? exchange.requestHeaders['x-a2a-extensions'], undefined, 'the client did not ask');
        }
        const seen = agent.seen.slice(seenBefore).filter((request) => request.method === 'POST');
        assert.equal(seen.length, 2);
        for (const request of seen) {
          assert.equal(request.headers[activationHeader], TRACEABILITY_EXTENSION_URI, `${activationHeader} added for protocol ${flavour.protocolVersion}`);
          assert.equal(request.headers['via'], '1.1 a2a-trace-collector');
        }

        for (const call of [text, `${text}-stream`]) {
          const trace = await storedTrace(sidecar.collectorUrl, agentTraceId(name, call));
          assert.deepEqual(trace.a2aTraceIds, [agentTraceId(name, call)]);
          assert.equal(trace.summary.stepCount, 3);
          assert.equal(trace.summary.totalCost, 0.75);
          assert.deepEqual([...new Set(trace.steps.map((step) => step.service))], [name]);
          assert.deepEqual(trace.steps.map((step) => step.spanName).sort(), [`execute_tool llm_answer`, `execute_tool lookup`, `invoke_agent ${name}`]);
        }
      });
    }
  }

  it('serves the agent card through the proxy byte for byte, without reading a trace into it', async () => {
    const { agent, sidecar } = agents.get('weather') as { agent: RunningAgent; sidecar: RunningSidecar };
    agent.setPublicUrl(sidecar.proxyUrl);
    const viaProxy = await fetch(`${sidecar.proxyUrl}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
    const direct = await fetch(`${agent.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
    assert.equal(viaProxy.status, 200);
    assert.equal(viaProxy.headers.get('content-type'), direct.headers.get('content-type'));
    assert.equal(viaProxy.headers.get('etag'), direct.headers.get('etag'));
    assert.equal(await viaProxy.text(), await direct.text());
    assert.ok((await metricValue(sidecar.collectorUrl, 'a2a_proxy_requests_total{outcome="not_a2a"}')) >= 1);
  });

  it('streams event by event: the client has the first of 1,000 events before the agent writes the second, and holds at most one event', { timeout: 10_000 }, async () => {
    let release: () => void = () => {};
    const firstEventReceived = new Promise<void>((resolve) => (release = resolve));
    const agent = await startTestAgent({ name: 'streamer', placement: 'status-metadata', fillerEvents: 1000, fillerTextLength: 400, afterFirstEvent: () => firstEventReceived });
    const sidecar = await startSidecar(agent.url, 'streamer');
    try {
      agent.setPublicUrl(sidecar.proxyUrl);
      const { client, exchanges } = await createRecordingClient(sidecar.proxyUrl, CLIENT_FLAVOURS[0] as (typeof CLIENT_FLAVOURS)[number]);
      const stream = client.sendMessageStream(userRequest('long'));
      // The agent publishes nothing after the Task until the test releases it: a proxy that
      // buffered the stream would never hand this first event over, and the test would time out.
      const first = await stream.next();
      assert.equal(first.done, false);
      assert.equal(first.value?.payload?.$case, 'task');
      release();
      const rest = await collectStream(stream);
      assert.equal(rest.length, 1000 + 2);

      const body = await (exchanges.at(-1) as RecordedExchange).body;
      const eventBytes = body.split('\n\n').map((event) => Buffer.byteLength(event) + 2);
      const largestEvent = Math.max(...eventBytes);
      assert.ok(Buffer.byteLength(body) > 500_000, `the stream is large (${Buffer.byteLength(body)} bytes)`);
      // Every response this proxy relayed (the card and the stream) held less than 2 events' worth
      // at any moment: the unfinished event plus the trace-bearing event it keeps until the end.
      const count = await metricValue(sidecar.collectorUrl, 'a2a_proxy_response_peak_buffered_bytes_count');
      const underFourKiB = await metricValue(sidecar.collectorUrl, 'a2a_proxy_response_peak_buffered_bytes_bucket{le="4096"}');
      assert.equal(count, 2);
      assert.equal(underFourKiB, 2, `largest event ${largestEvent} bytes; every response peaked under 4 KiB`);
      assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_buffered_bytes'), 0);

      const trace = await storedTrace(sidecar.collectorUrl, agentTraceId('streamer', 'long'));
      assert.equal(trace.summary.stepCount, 3);
    } finally {
      release();
      await sidecar.sidecar.shutdown();
      await agent.close();
    }
  });
});
