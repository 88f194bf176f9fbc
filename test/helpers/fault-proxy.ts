/**
 * @module End-to-end helper: a small `node:http` reverse proxy in front of a real backend's HTTP port
 * (Jaeger's OTLP/HTTP receiver) that injects faults: it holds requests before passing them on, holds
 * the backend's answers before passing them back (a slow backend), or answers requests itself with
 * 503 and `Retry-After` (an unavailable one); everything else is forwarded as is. It records every
 * request (arrival and answer times, status, body, whether the backend got it), so tests can measure
 * request spacing and tell which spans reached the backend.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The faults to inject, from now on. Everything left out is off. */
export interface FaultPlan {
  /** Hold each request this long before forwarding it, in milliseconds; a request whose client gave up meanwhile is not forwarded. Default 0. */
  readonly holdRequestMillis?: number;
  /** Hold the backend's answer this long before passing it back, in milliseconds (the backend already has the request). Default 0. */
  readonly holdResponseMillis?: number;
  /** How many of the next forwarded requests get the holds above; later ones pass at once. Default: all of them. */
  readonly heldRequests?: number;
  /** Answer this many of the next requests with `unavailableStatus` instead of forwarding them (`Infinity`: until the plan changes). Default 0. */
  readonly unavailableRequests?: number;
  /** Status of those answers. Default 503. */
  readonly unavailableStatus?: number;
  /** `Retry-After` (delay-seconds) of those answers; absent: none sent. */
  readonly retryAfterSeconds?: number;
}

/** Where a request is. */
export type ProxiedRequestState = 'receiving' | 'holding-request' | 'forwarding' | 'holding-response' | 'answered' | 'abandoned';

/** One request the proxy received. */
export interface ProxiedRequest {
  /** 0 for the first request the proxy received, then 1, 2, ... */
  readonly index: number;
  /** When its headers arrived, as `performance.now()` milliseconds. */
  readonly arrivedAtMillis: number;
  state: ProxiedRequestState;
  /** When it entered `state`, as `performance.now()` milliseconds. */
  stateSinceMillis: number;
  /** Its whole body, once received. */
  body: Buffer;
  /** Whether the backend answered it (so it holds what was sent), whatever the client was told. */
  forwarded: boolean;
  /** What the client was answered (the proxy's own 503, or the backend's status); undefined until then. */
  status: number | undefined;
  /** When that answer was sent, as `performance.now()` milliseconds. */
  answeredAtMillis: number | undefined;
}

/** A running proxy. */
export interface FaultProxy {
  /** Base URL of the proxy, `http://127.0.0.1:port` (use it where the backend's base URL would go). */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** Replaces the fault plan; requests already being held keep theirs. */
  setPlan(plan: FaultPlan): void;
  /**
   * Resolves once `condition` holds, checked after every change of any request; rejects after
   * `timeoutMillis` (default 20,000) with `description` and the requests' states.
   */
  until(description: string, condition: (requests: readonly ProxiedRequest[]) => boolean, timeoutMillis?: number): Promise<void>;
  close(): Promise<void>;
}

/** Hop-by-hop fields (RFC 9110 §7.6.1) and the framing the proxy sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

function forwardedHeaders(headers: IncomingHttpHeaders, bodyBytes: number): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !NOT_FORWARDED.has(name)) kept[name] = value;
  kept['content-length'] = String(bodyBytes);
  return kept;
}

/**
 * Waits `millis`, then lets pending I/O run: a timer and a socket closed meanwhile can be ready in
 * the same turn of the event loop, where timers go first, and the proxy must see a client that went
 * away during the hold.
 */
async function hold(millis: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, millis));
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Starts a proxy on 127.0.0.1 (`port`, default a free one) that forwards to `targetUrl` (a base URL:
 * the request's path and query are appended), with no faults until {@link FaultProxy.setPlan}.
 */
export async function startFaultProxy(targetUrl: string, port = 0): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  let plan: FaultPlan = {};
  let unavailableLeft = 0;
  let heldLeft = Number.POSITIVE_INFINITY;
  const watchers = new Set<() => void>();
  const changed = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  const enter = (record: ProxiedRequest, state: ProxiedRequestState): void => {
    record.state = state;
    record.stateSinceMillis = performance.now();
    changed();
  };

  const backend = (incoming: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        new URL(incoming.url ?? '/', target),
        { method: incoming.method, headers: forwardedHeaders(incoming.headers, body.length), agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.once('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
          answer.once('error', reject);
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });

  const handle = async (incoming: IncomingMessage, response: ServerResponse, record: ProxiedRequest): Promise<void> => {
    let clientGone = false;
    response.once('close', () => {
      if (!response.writableFinished) clientGone = true;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    record.body = Buffer.concat(chunks);
    const answer = (status: number, headers: Record<string, string | string[]>, body: Buffer): void => {
      record.status = status;
      record.answeredAtMillis = performance.now();
      response.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(body);
      enter(record, 'answered');
    };

    if (unavailableLeft > 0) {
      unavailableLeft--;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (plan.retryAfterSeconds !== undefined) headers['retry-after'] = String(plan.retryAfterSeconds);
      answer(plan.unavailableStatus ?? 503, headers, Buffer.from('{"error":"unavailable (fault proxy)"}'));
      return;
    }
    const held = heldLeft > 0;
    if (held) heldLeft--;
    const holdRequestMillis = held ? (plan.holdRequestMillis ?? 0) : 0;
    const holdResponseMillis = held ? (plan.holdResponseMillis ?? 0) : 0;
    if (holdRequestMillis > 0) {
      enter(record, 'holding-request');
      await hold(holdRequestMillis);
    }
    if (clientGone) {
      enter(record, 'abandoned');
      return;
    }
    enter(record, 'forwarding');
    let fromBackend: Awaited<ReturnType<typeof backend>>;
    try {
      fromBackend = await backend(incoming, record.body);
    } catch {
      answer(502, { 'content-type': 'text/plain' }, Buffer.from('backend unreachable (fault proxy)'));
      return;
    }
    record.forwarded = true;
    if (holdResponseMillis > 0) {
      enter(record, 'holding-response');
      await hold(holdResponseMillis);
    }
    if (clientGone) {
      enter(record, 'abandoned');
      return;
    }
    answer(fromBackend.status, forwardedHeaders(fromBackend.headers, fromBackend.body.length), fromBackend.body);
  };

  const server: Server = createServer((incoming, response) => {
    const record: ProxiedRequest = {
      index: requests.length,
      arrivedAtMillis: performance.now(),
      state: 'receiving',
      stateSinceMillis: performance.now(),
      body: Buffer.alloc(0),
      forwarded: false,
      status: undefined,
      answeredAtMillis: undefined,
    };
    requests.push(record);
    changed();
    handle(incoming, response, record).catch(() => {
      response.destroy();
      enter(record, 'abandoned');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setPlan(next) {
      plan = next;
      unavailableLeft = next.unavailableRequests ?? 0;
      heldLeft = next.heldRequests ?? Number.POSITIVE_INFINITY;
    },
    until(description, condition, timeoutMillis = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!condition(requests)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`fault proxy: no ${description} within ${timeoutMillis} ms (${requests.length} requests: ${requests.map((r) => `${r.state}/${r.status ?? '-'}`).join(' ')})`));
        }, timeoutMillis);
        watchers.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
    },
  };
}

/**
 * Whether an OTLP request body holds the span or trace id `hexId`: as raw bytes (protobuf) or as
 * its hex text (OTLP/JSON). A span's id also appears in the bodies of its children (as their
 * parent), so ask only about spans that are nobody's parent to learn where a span was sent.
 */
export function otlpBodyHoldsId(body: Buffer, hexId: string): boolean {
  return body.includes(Buffer.from(hexId, 'hex')) || body.includes(hexId);
}
