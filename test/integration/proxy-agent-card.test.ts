/**
 * The agent card through the proxy: its endpoint URLs move from the agent to the proxy, so an
 * `@a2a-js/sdk` client that knows only the proxy stays on it (and is traced); what must not or
 * cannot be rewritten (a signed card, `no-transform`, numbers JSON would change) passes byte for
 * byte and is counted. The proxy's origin comes from `Host`, and from `X-Forwarded-*` only when trusted.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { builtInExporterFactories } from '../../exporters/index.js';
import { validateConfig } from '../../src/config/load-config.js';
import { cardRequestOf, JsonRpcMethodSniffer } from '../../receivers/a2a-proxy/agent-card-requests.js';
import { proxiedEndpointUrl, rewriteAgentCard, type CardRewrite } from '../../receivers/a2a-proxy/agent-card-rewrite.js';
import { proxyOrigin } from '../../receivers/a2a-proxy/proxy-origin.js';
import { ProxySidecar } from '../../receivers/a2a-proxy/proxy-sidecar.js';
import type { TraceDetail } from '../../src/store/trace-store.js';
import type { LogLevel, Logger } from '../../src/telemetry/logger.js';
import { CLIENT_FLAVOURS, agentTraceId, createRecordingClient, startTestAgent, userRequest, type ClientFlavour, type RunningAgent } from '../helpers/a2a-agents.js';

interface RunningSidecar {
  readonly sidecar: ProxySidecar;
  readonly proxyUrl: string;
  readonly collectorUrl: string;
}

interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
}

async function startSidecar(upstream: string, proxy: Record<string, unknown> = {}, logger?: Logger): Promise<RunningSidecar> {
  const config = validateConfig({ server: { port: 0 }, service: { name: 'card-test' }, proxy: { upstream, port: 0, ...proxy } }, builtInExporterFactories);
  const sidecar = new ProxySidecar(config, { processMetrics: false, ...(logger === undefined ? {} : { logger }) });
  const addresses = await sidecar.start();
  return { sidecar, proxyUrl: addresses.proxy.url, collectorUrl: addresses.collector.url };
}

async function metricValue(collectorUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${collectorUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function storedTrace(collectorUrl: string, a2aTraceId: string): Promise<TraceDetail> {
  const response = await fetch(`${collectorUrl}/api/traces/${encodeURIComponent(a2aTraceId)}`);
  assert.equal(response.status, 200, `trace ${a2aTraceId} is not in the collector`);
  return (await response.json()) as TraceDetail;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A request with exactly these header lines (Host included: the test names it); the whole response as received. */
function rawRequest(url: string, headers: readonly string[], options: { method?: string; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = httpRequest(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers: [...headers], setHost: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('proxiedEndpointUrl', () => {
  const cases: ReadonlyArray<[upstream: string, url: string, origin: string, expected: string | undefined]> = [
    ['http://127.0.0.1:9999', 'http://127.0.0.1:9999/a2a/jsonrpc', 'http://proxy:4321', 'http://proxy:4321/a2a/jsonrpc'],
    ['http://127.0.0.1:9999', 'http://127.0.0.1:9999', 'http://proxy:4321', 'http://proxy:4321/'],
    ['http://agent:9999/a2a', 'http://agent:9999/a2a/rest?x=1#f', 'http://proxy:4321', 'http://proxy:4321/rest?x=1#f'],
    ['http://agent:9999/a2a/', 'http://agent:9999/a2a', 'http://proxy:4321', 'http://proxy:4321'],
    ['http://agent:9999/a2a', 'http://agent:9999/a2ax/rest', 'http://proxy:4321', undefined],
    ['http://agent:9999/a2a', 'http://agent:9999/other', 'http://proxy:4321', undefined],
    ['http://agent:80', 'http://AGENT/rpc', 'http://proxy:4321', 'http://proxy:4321/rpc'],
    ['https://agent', 'https://agent:443/rpc', 'https://edge.example', 'https://edge.example/rpc'],
    ['http://agent:9999', 'https://agent:9999/rpc', 'http://proxy:4321', undefined],
    ['http://agent:9999', 'http://agent:9998/rpc', 'http://proxy:4321', undefined],
    ['http://agent:9999', 'http://user@agent:9999/rpc', 'http://proxy:4321', undefined],
    ['http://agent:9999', '/a2a/jsonrpc', 'http://proxy:4321', undefined],
    ['http://agent:9999', 'not a url', 'http://proxy:4321', undefined],
  ];
  for (const [upstream, url, origin, expected] of cases) {
    it(`${url} behind ${upstream} -> ${String(expected)}`, () => {
      assert.equal(proxiedEndpointUrl(url, new URL(upstream), origin), expected);
    });
  }
});

describe('rewriteAgentCard', () => {
  const move = (url: string): string | undefined => proxiedEndpointUrl(url, new URL('http://agent:9999'), 'http://proxy:4321');
  const cases: ReadonlyArray<[name: string, body: unknown, expected: CardRewrite]> = [
    [
      'a 1.0 card: only the interfaces that point at the agent; provider, docs and icon URLs stay',
      {
        name: 'a',
        supportedInterfaces: [
          { url: 'http://agent:9999/a2a/jsonrpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
          { url: 'https://elsewhere.example/a2a', protocolBinding: 'GRPC', protocolVersion: '1.0' },
        ],
        provider: { url: 'http://agent:9999/about', organization: 'o' },
        documentationUrl: 'http://agent:9999/docs',
        iconUrl: 'http://agent:9999/icon.png',
        signatures: [],
      },
      {
        kind: 'rewritten',
        rewrittenUrls: 1,
        value: {
          name: 'a',
          supportedInterfaces: [
            { url: 'http://proxy:4321/a2a/jsonrpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
            { url: 'https://elsewhere.example/a2a', protocolBinding: 'GRPC', protocolVersion: '1.0' },
          ],
          provider: { url: 'http://agent:9999/about', organization: 'o' },
          documentationUrl: 'http://agent:9999/docs',
          iconUrl: 'http://agent:9999/icon.png',
          signatures: [],
        },
      },
    ],
    [
      'a 0.3 card with the 1.0 interfaces embedded',
      {
        url: 'http://agent:9999/a2a/jsonrpc',
        preferredTransport: 'JSONRPC',
        additionalInterfaces: [{ url: 'http://agent:9999/a2a/rest', transport: 'HTTP+JSON' }],
        supportedInterfaces: [{ url: 'http://agent:9999/a2a/jsonrpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
      },
      {
        kind: 'rewritten',
        rewrittenUrls: 3,
        value: {
          url: 'http://proxy:4321/a2a/jsonrpc',
          preferredTransport: 'JSONRPC',
          additionalInterfaces: [{ url: 'http://proxy:4321/a2a/rest', transport: 'HTTP+JSON' }],
          supportedInterfaces: [{ url: 'http://proxy:4321/a2a/jsonrpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
        },
      },
    ],
    [
      'a ProtoJSON card in snake_case',
      { supported_interfaces: [{ url: 'http://agent:9999/rpc', protocol_binding: 'JSONRPC' }] },
      { kind: 'rewritten', rewrittenUrls: 1, value: { supported_interfaces: [{ url: 'http://proxy:4321/rpc', protocol_binding: 'JSONRPC' }] } },
    ],
    [
      'the JSON-RPC answer of GetExtendedAgentCard: the result moves, the envelope stays',
      { jsonrpc: '2.0', id: 7, result: { url: 'http://agent:9999/rpc', name: 'x' } },
      { kind: 'rewritten', rewrittenUrls: 1, value: { jsonrpc: '2.0', id: 7, result: { url: 'http://proxy:4321/rpc', name: 'x' } } },
    ],
    ['a JSON-RPC error', { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'no' } }, { kind: 'not_a_card' }],
    ['an array', [{ url: 'http://agent:9999/rpc' }], { kind: 'not_a_card' }],
    ['an object without url or interfaces', { name: 'x', documentationUrl: 'http://agent:9999/docs' }, { kind: 'not_a_card' }],
    [
      'a signed card',
      { url: 'http://agent:9999/rpc', signatures: [{ protected: 'eyJhbGciOiJFUzI1NiJ9', signature: 'c2ln' }] },
      { kind: 'signed' },
    ],
    [
      'a card that already names the proxy',
      { supportedInterfaces: [{ url: 'http://proxy:4321/rpc', protocolBinding: 'JSONRPC' }] },
      { kind: 'no_upstream_urls' },
    ],
  ];
  for (const [name, body, expected] of cases) {
    it(name, () => {
      const before = JSON.stringify(body);
      assert.deepEqual(rewriteAgentCard(body, move), expected);
      assert.equal(JSON.stringify(body), before, 'the parsed body is not modified');
    });
  }
});

describe('proxyOrigin', () => {
  const listenOrigin = 'http://127.0.0.1:4321';
  const cases: ReadonlyArray<[headers: string[], trusted: boolean, expected: string]> = [
    [['Host', 'sidecar.example:8080'], false, 'http://sidecar.example:8080'],
    [['Host', 'Sidecar.Example:80'], false, 'http://sidecar.example'],
    [['Host', '[::1]:4321'], false, 'http://[::1]:4321'],
    [[], false, 'http://127.0.0.1:4321'],
    [['Host', 'evil.example/path'], false, 'http://127.0.0.1:4321'],
    [['Host', 'a@b'], false, 'http://127.0.0.1:4321'],
    [['Host', 'a.example', 'X-Forwarded-Host', 'edge.example', 'X-Forwarded-Proto', 'https'], false, 'http://a.example'],
    [['Host', 'a.example', 'X-Forwarded-Host', 'edge.example', 'X-Forwarded-Proto', 'https'], true, 'https://edge.example'],
    [['Host', 'a.example', 'X-Forwarded-Host', 'edge.example:8443, inner.local', 'X-Forwarded-Proto', 'HTTPS, http'], true, 'https://edge.example:8443'],
    [['Host', 'a.example', 'X-Forwarded-Proto', 'https'], true, 'https://a.example'],
    [['Host', 'a.example', 'X-Forwarded-Host', 'bad host', 'X-Forwarded-Proto', 'gopher'], true, 'http://a.example'],
    [['X-Forwarded-Host', 'edge.example'], true, 'http://edge.example'],
  ];
  for (const [headers, trusted, expected] of cases) {
    it(`${JSON.stringify(headers)}${trusted ? ', trusted' : ''} -> ${expected}`, () => {
      assert.equal(proxyOrigin(headers, { trustForwardedHeaders: trusted, listenOrigin }), expected);
    });
  }
});

describe('cardRequestOf and JsonRpcMethodSniffer', () => {
  const requests: ReadonlyArray<[method: string, url: string, headers: string[], expected: string | undefined]> = [
    ['GET', '/.well-known/agent-card.json', [], 'by_path'],
    ['GET', '/.well-known/agent.json?v=1', [], 'by_path'],
    ['GET', 'http://proxy:4321/.well-known/agent-card.json', [], 'by_path'],
    ['GET', '/a2a/rest/extendedAgentCard', [], 'by_path'],
    ['GET', '/a2a/rest/tenant-1/extendedAgentCard', [], 'by_path'],
    ['GET', '/a2a/rest/v1/card', [], 'by_path'],
    ['HEAD', '/.well-known/agent-card.json', [], undefined],
    ['GET', '/a2a/rest/tasks/1', [], undefined],
    ['POST', '/a2a/jsonrpc', ['Content-Type', 'application/json; charset=utf-8'], 'by_method'],
    ['POST', '/a2a/jsonrpc', ['Content-Type', 'text/plain'], undefined],
  ];
  for (const [method, url, headers, expected] of requests) {
    it(`${method} ${url} ${JSON.stringify(headers)} -> ${String(expected)}`, () => {
      assert.equal(cardRequestOf(method, url, headers), expected);
    });
  }

  const bodies: ReadonlyArray<[name: string, chunks: string[], ended: boolean, expected: boolean]> = [
    ['a 1.0 call in two chunks', ['{"jsonrpc":"2.0","id":1,', '"method":"GetExtendedAgentCard","params":{}}'], true, true],
    ['a 0.3 call', ['{"jsonrpc":"2.0","id":1,"method":"agent/getAuthenticatedExtendedCard"}'], true, true],
    ['another method naming the card method in its params', ['{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"text":"GetExtendedAgentCard"}}'], true, false],
    ['a body that has not ended', ['{"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"}'], false, false],
    ['a body past 4096 bytes', [`{"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard","pad":"${'x'.repeat(4096)}"}`], true, false],
    ['a batch', ['[{"jsonrpc":"2.0","id":1,"method":"GetExtendedAgentCard"}]'], true, false],
  ];
  for (const [name, chunks, ended, expected] of bodies) {
    it(`sniffs ${name} -> ${String(expected)}`, () => {
      const sniffer = new JsonRpcMethodSniffer();
      for (const chunk of chunks) sniffer.push(Buffer.from(chunk));
      if (ended) sniffer.end();
      assert.equal(sniffer.isCardCall(), expected);
    });
  }
});

describe('agent cards through the proxy, with @a2a-js/sdk agents and clients', () => {
  const started: Array<{ agent: RunningAgent; sidecar: RunningSidecar }> = [];
  after(async () => {
    for (const { agent, sidecar } of started) {
      await sidecar.sidecar.shutdown();
      await agent.close();
    }
  });

  async function setUp(name: string, options: { cardProtocolVersion?: '1.0' | '0.3'; extendedCard?: boolean } = {}): Promise<{ agent: RunningAgent; sidecar: RunningSidecar }> {
    const agent = await startTestAgent({ name, placement: 'status-metadata', ...options });
    const sidecar = await startSidecar(agent.url);
    started.push({ agent, sidecar });
    return { agent, sidecar };
  }

  /** Where each flavour's client posts `message/send` (`SendMessage`), under the interface URL. */
  const SEND_PATHS: Readonly<Record<string, string>> = {
    'JSON-RPC 1.0': '/a2a/jsonrpc',
    'JSON-RPC 0.3': '/a2a/jsonrpc',
    'HTTP+JSON 1.0': '/a2a/rest/message:send',
    'HTTP+JSON 0.3': '/a2a/rest/v1/message:send',
  };
  const cardCases: ReadonlyArray<{ card: '1.0' | '0.3'; flavour: ClientFlavour }> = [
    ...CLIENT_FLAVOURS.map((flavour) => ({ card: '1.0' as const, flavour })),
    ...CLIENT_FLAVOURS.filter((flavour) => flavour.protocolVersion === '0.3').map((flavour) => ({ card: '0.3' as const, flavour })),
  ];
  for (const { card, flavour } of cardCases) {
    it(`a ${flavour.name} client that knows only the proxy resolves a protocol ${card} card through it and stays on it: its message is traced`, async () => {
      const name = `card${card.replace('.', '')}-${flavour.protocolVersion.replace('.', '')}-${flavour.binding === 'JSONRPC' ? 'rpc' : 'rest'}`;
      const { agent, sidecar } = await setUp(name, { cardProtocolVersion: card });
      const { client, exchanges } = await createRecordingClient(sidecar.proxyUrl, flavour);
      await client.sendMessage(userRequest('hello'));

      const sendPath = SEND_PATHS[flavour.name] ?? '';
      assert.deepEqual(
        exchanges.map((exchange) => exchange.url.replace(sidecar.proxyUrl, '<proxy>')),
        ['<proxy>/.well-known/agent-card.json', `<proxy>${sendPath}`],
      );
      assert.deepEqual(
        agent.seen.map((request) => `${request.method} ${request.path} via ${String(request.headers['via'])}`),
        ['GET /.well-known/agent-card.json via 1.1 a2a-trace-collector', `POST ${sendPath} via 1.1 a2a-trace-collector`],
        'the agent saw both requests, through the proxy',
      );
      const trace = await storedTrace(sidecar.collectorUrl, agentTraceId(name, 'hello'));
      assert.equal(trace.summary.stepCount, 3);
      assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 1);
      assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_traces_ingested_total'), 1);
    });
  }

  it('serves the 1.0 card with every interface URL on the proxy, and the agent\'s weak ETag, which still revalidates', async () => {
    const { agent, sidecar } = await setUp('card-literal');
    const port = new URL(sidecar.proxyUrl).port;
    const response = await rawRequest(`${sidecar.proxyUrl}/.well-known/agent-card.json`, ['Host', `127.0.0.1:${port}`, 'A2A-Version', '1.0']);
    const direct = await fetch(`${agent.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
    const card = JSON.parse(response.body.toString('utf8')) as { supportedInterfaces: unknown };
    assert.deepEqual(card.supportedInterfaces, [
      { url: `http://127.0.0.1:${port}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
      { url: `http://127.0.0.1:${port}/a2a/rest`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: '1.0' },
      { url: `http://127.0.0.1:${port}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
      { url: `http://127.0.0.1:${port}/a2a/rest`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: '0.3' },
    ]);
    assert.equal(response.headers['content-length'], String(response.body.length));
    assert.match(direct.headers.get('etag') ?? '', /^W\/"/);
    assert.equal(response.headers.etag, direct.headers.get('etag'));
    assert.equal(response.headers.via, '1.1 a2a-trace-collector');
    // A conditional request with the weak tag reaches the agent, whose weak comparison matches it (RFC 9110 §13.1.2).
    const revalidated = await rawRequest(`${sidecar.proxyUrl}/.well-known/agent-card.json`, ['Host', `127.0.0.1:${port}`, 'A2A-Version', '1.0', 'If-None-Match', response.headers.etag ?? '']);
    assert.equal(revalidated.status, 304);
  });

  for (const flavour of CLIENT_FLAVOURS) {
    it(`rewrites the extended card a ${flavour.name} client fetches through the proxy`, async () => {
      const { sidecar } = await setUp(`extended-${flavour.protocolVersion}-${flavour.binding}`, { extendedCard: true });
      const { client } = await createRecordingClient(sidecar.proxyUrl, flavour);
      const extended = await client.getAgentCard();
      assert.equal(extended.name, `extended-${flavour.protocolVersion}-${flavour.binding}-extended`);
      const urls = [...new Set(extended.supportedInterfaces.map((entry) => entry.url.replace(sidecar.proxyUrl, '<proxy>')))].sort();
      assert.deepEqual(urls, ['<proxy>/a2a/jsonrpc', '<proxy>/a2a/rest']);
      assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 2, 'the card and the extended card');
    });
  }

  it('passes a signed card byte for byte, counts it, and warns once', async () => {
    const lines: LogLine[] = [];
    const logger: Logger = { log: (level, message) => lines.push({ level, message }) };
    const agent = await startTestAgent({
      name: 'signed',
      placement: 'status-metadata',
      signatures: [{ protected: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0', signature: 'c2lnbmF0dXJl', header: undefined }],
    });
    const sidecar = await startSidecar(agent.url, {}, logger);
    started.push({ agent, sidecar });
    for (let round = 0; round < 2; round++) {
      const viaProxy = await fetch(`${sidecar.proxyUrl}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
      const direct = await fetch(`${agent.url}/.well-known/agent-card.json`, { headers: { 'A2A-Version': '1.0' } });
      assert.deepEqual(Buffer.from(await viaProxy.arrayBuffer()), Buffer.from(await direct.arrayBuffer()));
      assert.equal(viaProxy.headers.get('etag'), direct.headers.get('etag'));
    }
    assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_card_rewrite_skipped_total{reason="signed"}'), 2);
    assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 0);
    assert.deepEqual(
      lines.filter((line) => line.message.includes('signed')),
      [{ level: 'warn', message: 'proxy: the agent card is signed, so it passes unchanged: clients that call the URLs it lists go around the proxy and are not traced' }],
    );
  });
});

/** A node:http server standing in for an agent; each test scripts its answer. */
class ScriptedAgent {
  handler: (request: IncomingMessage, response: ServerResponse, body: string) => void = (_request, response) => response.end();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handler(request, response, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

describe('agent cards through the proxy, from scripted agents', () => {
  const agent = new ScriptedAgent();
  const sidecars: RunningSidecar[] = [];
  let agentHost = '';
  const card = (): Record<string, unknown> => ({ name: 'scripted', url: `${agent.url}/rpc`, additionalInterfaces: [{ url: `${agent.url}/rest`, transport: 'HTTP+JSON' }] });

  before(async () => {
    await agent.start();
    agentHost = new URL(agent.url).host;
  });
  after(async () => {
    for (const sidecar of sidecars) await sidecar.sidecar.shutdown();
    await agent.stop();
  });

  async function sidecarWith(proxy: Record<string, unknown> = {}): Promise<RunningSidecar> {
    const sidecar = await startSidecar(agent.url, proxy);
    sidecars.push(sidecar);
    return sidecar;
  }

  it('takes the proxy\'s origin from Host and ignores X-Forwarded-* unless trusted; a trusted one is named in Vary', async () => {
    agent.handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(card()));
    };
    const headers = ['Host', 'sidecar.example:8080', 'X-Forwarded-Host', 'edge.example', 'X-Forwarded-Proto', 'https'];
    const untrusted = await sidecarWith();
    const ignored = await rawRequest(`${untrusted.proxyUrl}/.well-known/agent-card.json`, headers);
    assert.deepEqual(JSON.parse(ignored.body.toString('utf8')), {
      name: 'scripted',
      url: 'http://sidecar.example:8080/rpc',
      additionalInterfaces: [{ url: 'http://sidecar.example:8080/rest', transport: 'HTTP+JSON' }],
    });
    assert.equal(ignored.headers.vary, undefined);

    const trusted = await sidecarWith({ trust_forwarded_headers: true });
    const used = await rawRequest(`${trusted.proxyUrl}/.well-known/agent.json`, headers);
    assert.deepEqual(JSON.parse(used.body.toString('utf8')), {
      name: 'scripted',
      url: 'https://edge.example/rpc',
      additionalInterfaces: [{ url: 'https://edge.example/rest', transport: 'HTTP+JSON' }],
    });
    assert.equal(used.headers.vary, 'X-Forwarded-Host, X-Forwarded-Proto');
  });

  it('decodes a gzip-coded card, rewrites it and sends it uncoded with its own Content-Length', async () => {
    const coded = gzipSync(JSON.stringify(card()));
    agent.handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(coded.length), ETag: '"v1"', Vary: 'Accept-Encoding' });
      response.end(coded);
    };
    const sidecar = await sidecarWith();
    const response = await rawRequest(`${sidecar.proxyUrl}/.well-known/agent-card.json`, ['Host', 'sidecar.example', 'Accept-Encoding', 'gzip']);
    const expected = '{"name":"scripted","url":"http://sidecar.example/rpc","additionalInterfaces":[{"url":"http://sidecar.example/rest","transport":"HTTP+JSON"}]}';
    assert.equal(response.body.toString('utf8'), expected);
    assert.equal(response.headers['content-encoding'], undefined);
    assert.equal(response.headers['content-length'], String(Buffer.byteLength(expected)));
    assert.equal(response.headers.etag, 'W/"v1"');
    assert.equal(response.headers.vary, 'Accept-Encoding');
    assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 1);
    assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_decoded_bytes_total'), Buffer.byteLength(JSON.stringify(card())));
  });

  const unchanged: ReadonlyArray<{ name: string; proxy?: Record<string, unknown>; headers?: Record<string, string>; body: () => string; reason: string | undefined }> = [
    { name: 'a card whose answer says Cache-Control: no-transform', headers: { 'Cache-Control': 'max-age=60, no-transform' }, body: () => JSON.stringify(card()), reason: 'no_transform' },
    { name: 'a card with a number JSON would write differently', body: () => JSON.stringify(card()).replace('{', '{"weight":1.10,'), reason: 'lossy_numbers' },
    { name: 'a card that is no JSON', body: () => `{"url": "${agent.url}/rpc"`, reason: 'invalid_json' },
    { name: 'a card whose URLs name another host', body: () => '{"url":"https://agent.example/rpc"}', reason: 'no_upstream_urls' },
    { name: 'any card, with rewrite_agent_card: false', proxy: { rewrite_agent_card: false }, body: () => JSON.stringify(card()), reason: undefined },
  ];
  for (const { name, proxy, headers, body, reason } of unchanged) {
    it(`passes ${name} byte for byte${reason === undefined ? '' : `, counted as ${reason}`}`, async () => {
      const text = body();
      agent.handler = (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json', ETag: '"v1"', ...headers });
        response.end(text);
      };
      const sidecar = await sidecarWith(proxy);
      const response = await rawRequest(`${sidecar.proxyUrl}/.well-known/agent-card.json`, ['Host', 'sidecar.example']);
      assert.equal(response.body.toString('utf8'), text);
      assert.equal(response.headers.etag, '"v1"');
      assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 0);
      if (reason !== undefined) assert.equal(await metricValue(sidecar.collectorUrl, `a2a_proxy_card_rewrite_skipped_total{reason="${reason}"}`), 1);
    });
  }

  it('rewrites the JSON-RPC answer of an extended-card call, and leaves every other call\'s answer alone', async () => {
    agent.handler = (_request, response, body) => {
      const call = JSON.parse(body) as { id: number };
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: card() }));
    };
    const sidecar = await sidecarWith();
    const ask = (method: string): Promise<RawResponse> =>
      rawRequest(`${sidecar.proxyUrl}/rpc`, ['Host', 'sidecar.example', 'Content-Type', 'application/json'], { method: 'POST', body: `{"jsonrpc":"2.0","id":5,"method":"${method}"}` });
    const extended = await ask('agent/getAuthenticatedExtendedCard');
    assert.equal(
      extended.body.toString('utf8'),
      '{"jsonrpc":"2.0","id":5,"result":{"name":"scripted","url":"http://sidecar.example/rpc","additionalInterfaces":[{"url":"http://sidecar.example/rest","transport":"HTTP+JSON"}]}}',
    );
    const other = await ask('tasks/get');
    assert.equal(other.body.toString('utf8'), JSON.stringify({ jsonrpc: '2.0', id: 5, result: card() }));
    assert.equal(await metricValue(sidecar.collectorUrl, 'a2a_proxy_cards_rewritten_total'), 1);
    assert.ok(!extended.body.toString('utf8').includes(agentHost));
  });
});
