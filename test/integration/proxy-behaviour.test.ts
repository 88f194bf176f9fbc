/**
 * The proxy sidecar in front of scripted agents that misbehave in every way an agent can: what the
 * client gets is always what the agent sent (or a cut where the agent cut, or 502 when it is down),
 * and what the proxy could not ingest is counted, never answered with 4xx.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { builtInExporterFactories } from '../../exporters/index.js';
import { TRACEABILITY_EXTENSION_URI, TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';
import { validateConfig } from '../../src/config/load-config.js';
import { ProxySidecar } from '../../receivers/a2a-proxy/proxy-sidecar.js';
import type { TraceDetail } from '../../src/store/trace-store.js';
import { agentTrace } from '../helpers/a2a-agents.js';
import { eventually, freePort } from '../helpers/backends.js';

/** One request as the scripted agent received it. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A node:http server standing in for an agent; each test scripts its answer. */
class ScriptedAgent {
  readonly received: Received[] = [];
  handler: (request: IncomingMessage, response: ServerResponse, body: string) => void = (_request, response) => response.end();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({ method: request.method ?? '', url: request.url ?? '', rawHeaders: request.rawHeaders, headers: request.headers, body });
        this.handler(request, response, body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

interface RawResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly trailers: NodeJS.Dict<string>;
  readonly body: Buffer;
}

/** A request with exactly these header lines (and Host); resolves with the whole response as received. */
function rawRequest(url: string, options: { method?: string; headers?: string[]; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = httpRequest(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers: ['Host', target.host, ...(options.headers ?? [])] },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            rawHeaders: response.rawHeaders,
            headers: response.headers,
            trailers: response.trailers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const sseEvent = (value: unknown, id?: string): string => `${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(value)}\n\n`;

function taskResult(id: number, metadata?: Record<string, unknown>, artifacts: unknown[] = []): unknown {
  return {
    jsonrpc: '2.0',
    id,
    result: { kind: 'task', id: `task-${id}`, contextId: 'ctx', status: { state: 'completed', timestamp: '2026-03-10T21:23:14.974Z' }, artifacts, ...(metadata === undefined ? {} : { metadata }) },
  };
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' };

describe('proxy sidecar in front of scripted agents', () => {
  const agent = new ScriptedAgent();
  let sidecar: ProxySidecar;
  let proxyUrl = '';
  let collectorUrl = '';
  const extra: ProxySidecar[] = [];

  async function startSidecar(proxy: Record<string, unknown>, server: Record<string, unknown> = {}): Promise<{ sidecar: ProxySidecar; proxyUrl: string; collectorUrl: string }> {
    const config = validateConfig({ server: { port: 0, ...server }, service: { name: 'scripted' }, proxy: { upstream: agent.url, port: 0, ...proxy } }, builtInExporterFactories);
    const started = new ProxySidecar(config, { processMetrics: false });
    const addresses = await started.start();
    return { sidecar: started, proxyUrl: addresses.proxy.url, collectorUrl: addresses.collector.url };
  }

  async function metrics(url = collectorUrl): Promise<(series: string) => number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    return (series) => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
  }

  async function storedTrace(a2aTraceId: string, url = collectorUrl): Promise<TraceDetail | undefined> {
    const response = await fetch(`${url}/api/traces/${encodeURIComponent(a2aTraceId)}`);
    return response.status === 200 ? ((await response.json()) as TraceDetail) : undefined;
  }

  before(async () => {
    await agent.start();
  });
  beforeEach(async () => {
    await sidecar?.shutdown();
    ({ sidecar, proxyUrl, collectorUrl } = await startSidecar({}));
    agent.received.length = 0;
  });
  after(async () => {
    await sidecar?.shutdown();
    for (const other of extra) await other.shutdown();
    await agent.stop();
  });

  it('forwards any method, path and body unchanged but for hop-by-hop fields, Host, Via and the extension; relays status line, headers and body as received', async () => {
    agent.handler = (_request, response) => {
      response.writeHead(207, 'Quite Multi', ['X-Answer', 'one', 'x-answer', 'two', 'Connection', 'close, X-Hop', 'X-Hop', 'drop me', 'Content-Type', 'text/plain']);
      response.end('agent says hi');
    };
    const body = 'a body that is not JSON at all';
    const response = await rawRequest(`${proxyUrl}/some/where?x=1&y=%20`, {
      method: 'PATCH',
      headers: ['Content-Type', 'text/plain', 'X-Custom', 'a', 'x-custom', 'b', 'Connection', 'X-Secret-Hop', 'X-Secret-Hop', 'gone', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Content-Length', String(body.length)],
      body,
    });
    assert.equal(response.status, 207);
    assert.equal(response.statusMessage, 'Quite Multi');
    assert.equal(response.body.toString(), 'agent says hi');
    assert.deepEqual(response.rawHeaders.filter((_, index) => index % 2 === 0 && /^x-/i.test(response.rawHeaders[index] ?? '')), ['X-Answer', 'x-answer']);
    assert.deepEqual(response.rawHeaders.filter((value) => /^(one|two|drop me)$/.test(value)), ['one', 'two']);

    const [received] = agent.received;
    assert.equal(received?.method, 'PATCH');
    assert.equal(received?.url, '/some/where?x=1&y=%20');
    assert.equal(received?.body, body);
    const names = (received?.rawHeaders ?? []).filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
    assert.ok(!names.includes('x-secret-hop') && !names.includes('keep-alive') && !names.includes('te'), `hop-by-hop fields dropped: ${names.join(', ')}`);
    assert.deepEqual(received?.rawHeaders.slice(4, 8), ['X-Custom', 'a', 'x-custom', 'b'], 'repeated fields keep their case and order');
    assert.equal(received?.headers.host, new URL(agent.url).host);
    assert.equal(received?.headers.via, '1.1 a2a-trace-collector');
    assert.equal(received?.headers['x-a2a-extensions'], TRACEABILITY_EXTENSION_URI, 'no A2A-Version: protocol 0.3');
    assert.equal((await metrics())('a2a_proxy_requests_total{outcome="not_inspected"}'), 1);
  });

  it('adds the extension in the field of the client\'s protocol version, appending to the client\'s list', async () => {
    agent.handler = (_request, response) => response.end();
    const cases: Array<{ headers: string[]; expect: Record<string, string | undefined> }> = [
      { headers: ['A2A-Version', '1.0'], expect: { 'a2a-extensions': TRACEABILITY_EXTENSION_URI, 'x-a2a-extensions': undefined } },
      { headers: ['A2A-Version', '1.0', 'A2A-Extensions', 'urn:a, urn:b'], expect: { 'a2a-extensions': `urn:a, urn:b, ${TRACEABILITY_EXTENSION_URI}` } },
      { headers: ['A2A-Version', '0.3', 'X-A2A-Extensions', 'urn:a'], expect: { 'x-a2a-extensions': `urn:a, ${TRACEABILITY_EXTENSION_URI}`, 'a2a-extensions': undefined } },
      { headers: ['A2A-Extensions', 'urn:a'], expect: { 'x-a2a-extensions': `urn:a, ${TRACEABILITY_EXTENSION_URI}`, 'a2a-extensions': 'urn:a' } },
      { headers: ['A2A-Version', '1.0', 'X-A2A-Extensions', TRACEABILITY_EXTENSION_URI], expect: { 'x-a2a-extensions': TRACEABILITY_EXTENSION_URI, 'a2a-extensions': undefined } },
    ];
    for (const { headers, expect } of cases) {
      agent.received.length = 0;
      await rawRequest(`${proxyUrl}/a2a`, { method: 'POST', headers: [...headers, 'Content-Type', 'application/json'], body: '{}' });
      for (const [name, value] of Object.entries(expect)) assert.equal(agent.received[0]?.headers[name], value, `${headers.join(': ')} -> ${name}`);
    }
    const read = await metrics();
    assert.equal(read('a2a_proxy_extension_added_total{header="A2A-Extensions"}'), 2);
    assert.equal(read('a2a_proxy_extension_added_total{header="X-A2A-Extensions"}'), 2);
  });

  it('prefixes forwarded paths with the upstream URL\'s path', async () => {
    agent.handler = (_request, response) => response.end('ok');
    const prefixed = await startSidecar({ upstream: `${agent.url}/agents/weather/` });
    extra.push(prefixed.sidecar);
    await rawRequest(`${prefixed.proxyUrl}/.well-known/agent-card.json`);
    assert.equal(agent.received[0]?.url, '/agents/weather/.well-known/agent-card.json');
  });

  it('passes a malformed JSON body, a trace-less answer and an invalid trace through untouched, and only counts them', async () => {
    const bodies: Array<{ body: string; outcome: string; failure?: string }> = [
      { body: '{"jsonrpc": "2.0", "result": {', outcome: 'ingest_failed', failure: 'invalid_json' },
      { body: JSON.stringify(taskResult(1)), outcome: 'no_trace' },
      { body: JSON.stringify(taskResult(2, { [TRACEABILITY_METADATA_KEY]: 'not a trace' })), outcome: 'ingest_failed', failure: 'invalid_trace' },
      { body: JSON.stringify({ jsonrpc: '2.0', id: 3, error: { code: -32603, message: 'boom' } }), outcome: 'no_trace' },
    ];
    for (const { body, outcome, failure } of bodies) {
      agent.handler = (_request, response) => {
        response.writeHead(200, JSON_HEADERS);
        response.end(body);
      };
      const before = await metrics();
      const response = await rawRequest(`${proxyUrl}/`, { method: 'POST', headers: ['Content-Type', 'application/json'], body: '{}' });
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), body);
      const read = await metrics();
      const delta = (series: string) => read(series) - before(series);
      assert.equal(delta(`a2a_proxy_requests_total{outcome="${outcome}"}`), 1, `${body} -> ${outcome}`);
      if (failure !== undefined) assert.equal(delta(`a2a_proxy_ingest_failures_total{reason="${failure}"}`), 1);
    }
  });

  it('passes an agent\'s 500 through as it is', async () => {
    agent.handler = (_request, response) => {
      response.writeHead(500, 'Agent Broke', { 'Content-Type': 'application/json', 'Retry-After': '3' });
      response.end('{"detail":"internal"}');
    };
    const response = await rawRequest(`${proxyUrl}/a2a`, { method: 'POST', headers: ['Content-Type', 'application/json'], body: '{}' });
    assert.equal(response.status, 500);
    assert.equal(response.statusMessage, 'Agent Broke');
    assert.equal(response.headers['retry-after'], '3');
    assert.equal(response.body.toString(), '{"detail":"internal"}');
  });

  it('answers 502 with a JSON body when the agent is down', async () => {
    const down = await startSidecar({ upstream: `http://127.0.0.1:${await freePort()}` });
    extra.push(down.sidecar);
    const response = await rawRequest(`${down.proxyUrl}/a2a`, { method: 'POST', headers: ['Content-Type', 'application/json'], body: '{}' });
    assert.equal(response.status, 502);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = JSON.parse(response.body.toString()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'A2A_ERR_UPSTREAM_UNAVAILABLE');
    assert.match(body.error.message, /ECONNREFUSED/);
    assert.equal((await metrics(down.collectorUrl))('a2a_proxy_requests_total{outcome="upstream_unavailable"}'), 1);
  });

  it('forwards a chunked body of any method as that one body, never as raw bytes the agent reads as a next request', async () => {
    agent.handler = (request, response) => response.end(`answer to ${request.method ?? ''} ${request.url ?? ''}`);
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: agent\r\n\r\n';
    for (const method of ['DELETE', 'GET', 'OPTIONS', 'POST']) {
      agent.received.length = 0;
      const response = await rawRequest(`${proxyUrl}/tasks/1`, { method, headers: ['Transfer-Encoding', 'chunked'], body: smuggled });
      assert.equal(response.body.toString(), `answer to ${method} /tasks/1`);
      // A request after it on the same pooled connection shows whether the agent read a second one.
      await rawRequest(`${proxyUrl}/after`);
      assert.deepEqual(
        agent.received.map((received) => [received.method, received.url, received.body]),
        [
          [method, '/tasks/1', smuggled],
          ['GET', '/after', ''],
        ],
        method,
      );
      const chunked = agent.received[0]?.headers;
      assert.equal(chunked?.['transfer-encoding'], 'chunked', method);
      assert.equal(chunked?.['content-length'], undefined, method);
    }
    agent.received.length = 0;
    await rawRequest(`${proxyUrl}/tasks/2`, { method: 'DELETE', headers: ['Content-Length', String(smuggled.length)], body: smuggled });
    await rawRequest(`${proxyUrl}/tasks/3`, { method: 'DELETE' });
    assert.deepEqual(
      agent.received.map((received) => [received.method, received.url, received.body, received.headers['content-length'], received.headers['transfer-encoding']]),
      [
        ['DELETE', '/tasks/2', smuggled, String(smuggled.length), undefined],
        ['DELETE', '/tasks/3', '', undefined, undefined],
      ],
    );
  });

  it('cuts the client\'s stream where the agent cut its own, and keeps the traces of the events that arrived whole', async () => {
    let cut: () => void = () => {};
    const clientHasThePartialEvent = new Promise<void>((resolve) => (cut = resolve));
    agent.handler = (_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(sseEvent(taskResult(1, { [TRACEABILITY_METADATA_KEY]: agentTrace('cutter', 'trace-cut') })));
      response.write('data: {"jsonrpc": "2.0", "result": {"kind": "status-upd');
      void clientHasThePartialEvent.then(() => response.socket?.destroy());
    };
    const received: Buffer[] = [];
    const error = await new Promise<Error | undefined>((resolve) => {
      const request = httpRequest(`${proxyUrl}/stream`, { method: 'POST' }, (response) => {
        response.on('data', (chunk: Buffer) => {
          received.push(chunk);
          if (Buffer.concat(received).toString().endsWith('"status-upd')) cut();
        });
        response.on('error', resolve);
        response.on('end', () => resolve(undefined));
      });
      request.end('{}');
    });
    assert.ok(error !== undefined, 'the client sees the stream cut, not a clean end');
    assert.match(Buffer.concat(received).toString(), /"status-upd$/);
    const read = await metrics();
    assert.equal(read('a2a_proxy_requests_total{outcome="upstream_aborted"}'), 1);
    assert.equal((await storedTrace('trace-cut'))?.summary.stepCount, 3);
  });

  it('aborts the request to the agent when the client goes away', async () => {
    let agentSawClose: () => void = () => {};
    const closed = new Promise<void>((resolve) => (agentSawClose = resolve));
    agent.handler = (_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.write(': waiting\n\n');
      response.on('close', () => agentSawClose());
    };
    await new Promise<void>((resolve) => {
      const request = httpRequest(`${proxyUrl}/stream`, { method: 'POST' }, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => {});
      request.end('{}');
    });
    await closed;
    assert.equal((await metrics())('a2a_proxy_requests_total{outcome="client_aborted"}'), 1);
  });

  it('relays trailers, and leaves HEAD and 204 answers alone', async () => {
    agent.handler = (request, response) => {
      if (request.method === 'HEAD') {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1234' });
        response.end();
        return;
      }
      if (request.url === '/empty') {
        response.writeHead(204);
        response.end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
      response.write('body');
      response.addTrailers({ 'X-Checksum': 'abc' });
      response.end();
    };
    const withTrailer = await rawRequest(`${proxyUrl}/t`, { headers: ['TE', 'trailers'] });
    assert.equal(withTrailer.body.toString(), 'body');
    assert.equal(withTrailer.trailers['x-checksum'], 'abc');
    const head = await rawRequest(`${proxyUrl}/h`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], '1234');
    assert.equal((await rawRequest(`${proxyUrl}/empty`)).status, 204);
  });

  it('adds itself to Via on responses too, after the Via the agent sent, with the HTTP version of the agent\'s response', async () => {
    agent.handler = (request, response) => {
      response.writeHead(200, request.url === '/cached' ? { 'Content-Type': 'text/plain', Via: '1.0 edge-cache' } : { 'Content-Type': 'text/plain' });
      response.end('ok');
    };
    assert.equal((await rawRequest(`${proxyUrl}/plain`)).headers.via, '1.1 a2a-trace-collector');
    assert.equal((await rawRequest(`${proxyUrl}/cached`)).headers.via, '1.0 edge-cache, 1.1 a2a-trace-collector');

    // An HTTP/1.0 agent: node:http always answers 1.1, so this one writes its status line by hand.
    const old = createTcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nVia: 1.1 inner\r\nContent-Length: 2\r\n\r\nok'));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const oldSidecar = await startSidecar({ upstream: `http://127.0.0.1:${(old.address() as AddressInfo).port}` });
      extra.push(oldSidecar.sidecar);
      const response = await rawRequest(`${oldSidecar.proxyUrl}/`);
      assert.equal(response.body.toString(), 'ok');
      assert.equal(response.headers.via, '1.1 inner, 1.0 a2a-trace-collector');
    } finally {
      await new Promise<void>((resolve) => old.close(() => resolve()));
    }
  });

  it('joins the trace of the client\'s traceparent', async () => {
    agent.handler = (_request, response) => {
      response.writeHead(200, JSON_HEADERS);
      response.end(JSON.stringify(taskResult(1, { [TRACEABILITY_METADATA_KEY]: agentTrace('joined', 'trace-joined') })));
    };
    await rawRequest(`${proxyUrl}/`, { method: 'POST', headers: ['Content-Type', 'application/json', 'traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'], body: '{}' });
    const trace = await storedTrace('trace-joined');
    assert.equal(trace?.traceId, '0af7651916cd43dd8448eb211c80319c');
    const root = trace?.steps.find((step) => step.parentStepId === null);
    assert.equal(root?.parentSpanId, 'b7ad6b7169203331');
  });

  const codings: Array<[string, (data: string) => Buffer]> = [
    ['gzip', (data) => gzipSync(data)],
    ['deflate', (data) => deflateSync(data)],
    ['br', (data) => brotliCompressSync(data)],
  ];
  for (const [coding, encode] of codings) {
    it(`reads a ${coding}-coded answer for its trace and still relays the coded bytes`, async () => {
      const traceId = `trace-zipped-${coding}`;
      const coded = encode(JSON.stringify(taskResult(1, { [TRACEABILITY_METADATA_KEY]: agentTrace('zipped', traceId) })));
      agent.handler = (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': coding, 'Content-Length': String(coded.length) });
        response.end(coded);
      };
      const response = await rawRequest(`${proxyUrl}/`, { method: 'POST', headers: ['Accept-Encoding', coding], body: '{}' });
      assert.deepEqual(response.body, coded);
      // The decoder finishes after the last coded byte has gone to the client.
      const trace = await eventually(() => storedTrace(traceId), 2000, 10);
      assert.equal(trace.summary.stepCount, 3);
    });
  }

  it('stops decoding a coded answer that inflates far past its coded size, and still relays every coded byte', async () => {
    const small = await startSidecar({ max_buffered_bytes: 65_536, max_event_bytes: 4096 });
    extra.push(small.sidecar);
    // 32 MiB of one never-ending event: the inspector passes it through unread, never stops on its own.
    const inflated = 32 * 1024 * 1024;
    const plain = Buffer.alloc(inflated, 0x78);
    plain.write('data: ', 0);
    const coded = gzipSync(plain, { level: 9 });
    agent.handler = (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Content-Encoding': 'gzip', 'Content-Length': String(coded.length) });
      response.end(coded);
    };
    const response = await rawRequest(`${small.proxyUrl}/`, { method: 'POST', headers: ['Accept-Encoding', 'gzip'], body: '{}' });
    assert.deepEqual(response.body, coded);
    // The exchange settles when the proxy is done reading (here: decoding) the answer.
    const read = await eventually(async () => {
      const current = await metrics(small.collectorUrl);
      return current('a2a_proxy_in_flight_requests') === 0 ? current : undefined;
    }, 10_000, 10);
    assert.equal(read('a2a_proxy_ingest_failures_total{reason="decoded_too_large"}'), 1);
    assert.equal(read('a2a_proxy_requests_total{outcome="ingest_failed"}'), 1);
    // The bound is 64 decoded bytes per coded byte decoded, at least max_buffered_bytes. This body
    // inflates 1000:1, so decoding stops one decoder chunk (16 KiB) past max_buffered_bytes.
    const decoded = read('a2a_proxy_decoded_bytes_total');
    assert.ok(decoded > 65_536 && decoded <= 65_536 + 16_384, `decoded ${decoded} of ${inflated} bytes (${coded.length} coded)`);
    assert.equal(read('a2a_proxy_buffered_bytes'), 0);
  });

  it('passes an event larger than proxy.max_event_bytes through unread and still reads the events after it', async () => {
    const small = await startSidecar({ max_event_bytes: 4096 });
    extra.push(small.sidecar);
    const huge = sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'artifact-update', taskId: 't', contextId: 'c', artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'y'.repeat(20_000) }] } } });
    const stream = huge + sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: { [TRACEABILITY_METADATA_KEY]: agentTrace('big', 'trace-after-big') } } });
    agent.handler = (_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      // One byte at a time for the first event's start, then the rest: framing must not care.
      for (const byte of Buffer.from(stream.slice(0, 64))) response.write(Buffer.from([byte]));
      response.end(stream.slice(64));
    };
    const response = await rawRequest(`${small.proxyUrl}/`, { method: 'POST', body: '{}' });
    assert.equal(response.body.toString(), stream);
    const read = await metrics(small.collectorUrl);
    assert.equal(read('a2a_proxy_ingest_failures_total{reason="event_too_large"}'), 1);
    assert.equal((await storedTrace('trace-after-big', small.collectorUrl))?.summary.stepCount, 3);
  });

  it('reads a stream whose kept events (error events, whatever their data) pass server.max_body_bytes in segments, so the trace after them is still read', async () => {
    const bounded = await startSidecar({}, { max_body_bytes: 4096 });
    extra.push(bounded.sidecar);
    const errors = Array.from({ length: 20 }, (_, index) => `event: error\ndata: upstream hiccup ${index} ${'x'.repeat(400)}\n\n`).join('');
    const stream = errors + sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: { [TRACEABILITY_METADATA_KEY]: agentTrace('errors', 'trace-after-errors') } } });
    agent.handler = (_request, response) => {
      response.writeHead(200, SSE_HEADERS);
      response.end(stream);
    };
    const response = await rawRequest(`${bounded.proxyUrl}/`, { method: 'POST', body: '{}' });
    assert.equal(response.body.toString(), stream);
    const read = await metrics(bounded.collectorUrl);
    assert.equal(read('a2a_proxy_ingest_failures_total{reason="body_too_large"}'), 0);
    assert.equal(read('a2a_proxy_requests_total{outcome="traced"}'), 1);
    assert.equal((await storedTrace('trace-after-errors', bounded.collectorUrl))?.summary.stepCount, 3);
    assert.equal(read('a2a_proxy_buffered_bytes'), 0);
  });

  it('passes a JSON answer through unread when the shared buffer budget is spent', async () => {
    const tight = await startSidecar({ max_buffered_bytes: 64 });
    extra.push(tight.sidecar);
    const body = JSON.stringify(taskResult(1, { [TRACEABILITY_METADATA_KEY]: agentTrace('tight', 'trace-tight') }));
    agent.handler = (_request, response) => {
      response.writeHead(200, JSON_HEADERS);
      response.end(body);
    };
    const response = await rawRequest(`${tight.proxyUrl}/`, { method: 'POST', body: '{}' });
    assert.equal(response.body.toString(), body);
    const read = await metrics(tight.collectorUrl);
    assert.equal(read('a2a_proxy_ingest_failures_total{reason="over_budget"}'), 1);
    assert.equal(read('a2a_proxy_buffered_bytes'), 0);
  });

  it('never breaks on hostile bodies: JSON nested too deeply to walk, invalid UTF-8, an event that never ends', async () => {
    const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const twinTraces = (parameters: string): string =>
      `{"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":"t","contextId":"c","metadata":{"${TRACEABILITY_METADATA_KEY}":{"trace_id":"x","steps":[{"step_id":"a","parameters":${parameters}}]}},` +
      `"artifacts":[{"artifactId":"a","parts":[{"kind":"data","data":{"trace_id":"x","steps":[{"step_id":"b","parameters":${parameters}}]}}]}]}}`;
    const bodies: Array<{ type: string; body: Buffer }> = [
      { type: 'application/json', body: Buffer.from(twinTraces(deep(100_000))) },
      { type: 'text/event-stream', body: Buffer.from(`data: ${twinTraces(deep(100_000))}\n\n`) },
      { type: 'application/json', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
      { type: 'text/event-stream', body: Buffer.concat([Buffer.from('data: '), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from('\r\n\r\ndata: {"no end": "'), Buffer.alloc(100_000, 0x61)]) },
    ];
    const strip = await startSidecar({ strip_trace: true });
    extra.push(strip.sidecar);
    for (const { type, body } of bodies) {
      agent.handler = (_request, response) => {
        response.writeHead(200, { 'Content-Type': type });
        response.end(body);
      };
      const response = await rawRequest(`${proxyUrl}/`, { method: 'POST', body: '{}' });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, body, `${type} ${body.subarray(0, 40).toString()}…`);
      const stripped = await rawRequest(`${strip.proxyUrl}/`, { method: 'POST', body: '{}' });
      assert.equal(stripped.status, 200);
      if (body.includes('"trace_id"')) assert.ok(!stripped.body.includes('"trace_id"'), `${type}: the traces are stripped even when they cannot be read`);
      else assert.deepEqual(stripped.body, body);
    }
    for (const collector of [collectorUrl, strip.collectorUrl]) {
      const read = await metrics(collector);
      assert.equal(read('a2a_proxy_ingest_failures_total{reason="nesting_too_deep"}'), 2);
      assert.equal(read('a2a_proxy_ingest_failures_total{reason="internal"}'), 0);
      assert.equal(read('a2a_proxy_buffered_bytes'), 0);
    }
  });

  describe('strip_trace', () => {
    let stripping: { sidecar: ProxySidecar; proxyUrl: string; collectorUrl: string };
    before(async () => {
      stripping = await startSidecar({ strip_trace: true });
      extra.push(stripping.sidecar);
    });

    it('removes the trace from a JSON answer to a client that did not ask for it, with a correct Content-Length, and ingests it', async () => {
      const trace = agentTrace('stripped', 'trace-stripped-json');
      agent.handler = (request, response) => {
        response.writeHead(200, { ...JSON_HEADERS, 'X-A2A-Extensions': TRACEABILITY_EXTENSION_URI, 'X-Seen-Accept-Encoding': String(request.headers['accept-encoding']) });
        response.end(JSON.stringify(taskResult(1, { [TRACEABILITY_METADATA_KEY]: trace, keep: 'me' })));
      };
      const response = await rawRequest(`${stripping.proxyUrl}/`, { method: 'POST', headers: ['Accept-Encoding', 'gzip'], body: '{}' });
      const expected = JSON.stringify(taskResult(1, { keep: 'me' }));
      assert.equal(response.body.toString(), expected);
      assert.equal(response.headers['content-length'], String(Buffer.byteLength(expected)));
      assert.equal(response.headers['x-a2a-extensions'], undefined, 'the activation the client never asked for is not echoed');
      assert.equal(response.headers['x-seen-accept-encoding'], 'identity', 'the proxy asked for a body it can edit');
      assert.equal((await storedTrace('trace-stripped-json', stripping.collectorUrl))?.summary.stepCount, 3);
    });

    it('removes traces from stream events, drops an artifact event that held only a trace, and keeps ids and comments', async () => {
      const trace = agentTrace('stripped', 'trace-stripped-sse');
      const events = [
        ': keep-alive\n\n',
        sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'artifact-update', taskId: 't', contextId: 'c', artifact: { artifactId: 'trace', parts: [{ kind: 'data', data: trace }] } } }, 'e1'),
        sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: { [TRACEABILITY_METADATA_KEY]: trace } } }, 'e2'),
      ];
      agent.handler = (_request, response) => {
        response.writeHead(200, SSE_HEADERS);
        for (const event of events) response.write(event);
        response.end();
      };
      const response = await rawRequest(`${stripping.proxyUrl}/`, { method: 'POST', body: '{}' });
      const expected = [
        ': keep-alive\n\n',
        'id: e1\n\n',
        sseEvent({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: {} } }, 'e2'),
      ].join('');
      assert.equal(response.body.toString(), expected);
      assert.equal((await storedTrace('trace-stripped-sse', stripping.collectorUrl))?.summary.stepCount, 3);
      assert.equal((await metrics(stripping.collectorUrl))('a2a_proxy_stripped_responses_total'), 2);
    });

    it('reads, and strips, the last event of a stream whose lines end in CR alone (WHATWG: CR ends a line)', async () => {
      const statusUpdate = (metadata?: Record<string, unknown>): string =>
        JSON.stringify({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, ...(metadata === undefined ? {} : { metadata }) } });
      for (const [target, id] of [[{ proxyUrl, collectorUrl }, 'trace-cr-read'], [stripping, 'trace-cr-stripped']] as const) {
        const working = `data: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', status: { state: 'working' } } })}\r\r`;
        const last = `id: 2\rdata: ${statusUpdate({ [TRACEABILITY_METADATA_KEY]: agentTrace('cr', id) })}\r\r`;
        agent.handler = (_request, response) => {
          response.writeHead(200, SSE_HEADERS);
          response.write(working);
          setTimeout(() => response.end(last), 20);
        };
        const response = await rawRequest(`${target.proxyUrl}/`, { method: 'POST', body: '{}' });
        const expected = target === stripping ? `${working}id: 2\rdata: ${statusUpdate({})}\r\r` : `${working}${last}`;
        assert.equal(response.body.toString(), expected);
        const trace = await eventually(() => storedTrace(id, target.collectorUrl), 2000, 10);
        assert.equal(trace.summary.stepCount, 3);
      }
    });

    it('leaves a body or event whose numbers a re-serialization would change as the agent sent it, and counts it', async () => {
      const metadata = (id: string): string => `{"${TRACEABILITY_METADATA_KEY}":${JSON.stringify(agentTrace('lossy', id))}}`;
      const lossyJson = `{"jsonrpc":"2.0","id":9007199254740993,"result":{"kind":"task","id":"t","contextId":"c","status":{"state":"completed"},"artifacts":[{"artifactId":"a","parts":[{"kind":"data","data":{"amount":1.10,"text":"9007199254740993 \\" 1.10"}}]}],"metadata":${metadata('trace-lossy-json')}}}`;
      const lossyEvent = `data: {"jsonrpc":"2.0","id":1,"result":{"kind":"status-update","taskId":"t","contextId":"c","status":{"state":"working","progress":1.50},"metadata":${metadata('trace-lossy-sse')}}}\n\n`;
      const exactEvent = `data: {"jsonrpc":"2.0","id":1,"result":{"kind":"status-update","taskId":"t","contextId":"c","final":true,"status":{"state":"completed","progress":1.5},"metadata":${metadata('trace-exact-sse')}}}\n\n`;
      agent.handler = (request, response) => {
        response.writeHead(200, request.url === '/json' ? JSON_HEADERS : SSE_HEADERS);
        response.end(request.url === '/json' ? lossyJson : `${lossyEvent}${exactEvent}`);
      };
      assert.equal((await rawRequest(`${stripping.proxyUrl}/json`, { method: 'POST', body: '{}' })).body.toString(), lossyJson);
      const stream = (await rawRequest(`${stripping.proxyUrl}/sse`, { method: 'POST', body: '{}' })).body.toString();
      const exactStripped = `data: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed', progress: 1.5 }, metadata: {} } })}\n\n`;
      assert.equal(stream, `${lossyEvent}${exactStripped}`);
      assert.equal((await metrics(stripping.collectorUrl))('a2a_proxy_strip_skipped_total{reason="lossy_numbers"}'), 2);
      for (const id of ['trace-lossy-json', 'trace-lossy-sse', 'trace-exact-sse']) assert.equal((await storedTrace(id, stripping.collectorUrl))?.summary.stepCount, 3, id);
    });

    it('leaves the trace in for a client that asked for it', async () => {
      const body = JSON.stringify(taskResult(1, { [TRACEABILITY_METADATA_KEY]: agentTrace('kept', 'trace-kept') }));
      agent.handler = (_request, response) => {
        response.writeHead(200, JSON_HEADERS);
        response.end(body);
      };
      const response = await rawRequest(`${stripping.proxyUrl}/`, { method: 'POST', headers: ['A2A-Version', '1.0', 'A2A-Extensions', TRACEABILITY_EXTENSION_URI], body: '{}' });
      assert.equal(response.body.toString(), body);
    });
  });
});
