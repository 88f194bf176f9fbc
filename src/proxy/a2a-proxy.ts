/**
 * @module The A2A reverse proxy: forwards every request to one agent as it came (plus the
 * traceability extension), streams every response back as it comes (byte for byte unless
 * `strip_trace`, or an agent card whose endpoint URLs it moves to itself), and ingests the traces it
 * reads on the way. Built on node:http, not hono: a proxy must stream bodies both ways under
 * back-pressure, see raw header lines (case, order, repeats, hop-by-hop fields), relay the status
 * line and trailers as received, and cut the client's connection when the agent cuts its own; a
 * fetch-style Request/Response API hides or normalizes each of these.
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Registry } from 'prom-client';
import { TRACEABILITY_EXTENSION_URI } from '../a2a/extension-keys.js';
import type { Extraction } from '../a2a/extract-traces.js';
import { closeServer, listen, type ListenAddress } from '../ingest/http-listener.js';
import { httpServerOptions, limitConnections, type HttpServerLimits } from '../ingest/http-server-limits.js';
import type { IngestContext, TraceIntake } from '../ingest/trace-intake.js';
import { BurstLogger, silentLogger, type Logger } from '../telemetry/logger.js';
import { AgentCardInspector, type CardOutcome } from './agent-card-inspector.js';
import { cardRequestOf, JsonRpcMethodSniffer, type CardRequest } from './agent-card-requests.js';
import { proxiedEndpointUrl } from './agent-card-rewrite.js';
import { ByteBudget } from '../ingest/byte-budget.js';
import { contentCodings, createDecoder, type Decoder } from './content-codings.js';
import { activateExtension, withoutExtension } from './extension-activation.js';
import { ProxyIngest } from './proxy-ingest.js';
import { ProxyMetrics, type ProxyOutcome, type StripSkipReason } from './proxy-metrics.js';
import { proxyOrigin } from './proxy-origin.js';
import { isEventStreamMediaType, isJsonMediaType } from '../http/media-types.js';
import { contentTypeOf, headerListMembers, headerValues, toPairs, withHeader, withListMember, withoutHeader, withoutHopByHop, type RawHeaders } from './raw-headers.js';
import { CollectorError } from '../errors.js';
import { EventStreamInspector, JsonBodyInspector, type ResponseInspector } from './response-inspectors.js';

/** The `Via` protocol name the proxy identifies itself with (RFC 9110 §7.6.3). */
const VIA_NAME = 'a2a-trace-collector';

/**
 * Decoded bytes a coded response may inflate to per coded byte read before the proxy stops decoding
 * it (never below `maxBufferedBytes`). Text and JSON compress far less than this; a compression
 * bomb (gzip reaches 1000:1) crosses it early, before it costs minutes of CPU.
 */
const MAX_DECODED_BYTES_PER_CODED_BYTE = 64;

/** How a proxy runs. Every field is required; `proxyOptionsFromConfig` fills them from the config. */
export interface A2aProxyOptions {
  /** Base URL of the agent (`http://127.0.0.1:9999`); a path in it prefixes every forwarded path. */
  readonly upstream: string;
  /** Interface to listen on. */
  readonly host: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Remove traces from responses to clients that did not request the extension themselves. */
  readonly stripTrace: boolean;
  /** Largest SSE event read, in bytes; a longer one passes through unread. */
  readonly maxEventBytes: number;
  /** Largest JSON body read, and most bytes of trace-bearing events kept per stream, in bytes. */
  readonly maxBodyBytes: number;
  /**
   * Most bytes all in-flight responses together hold for reading, in bytes. Also the fewest decoded
   * bytes a coded response may inflate to before its decoding is bounded by its coded size.
   */
  readonly maxBufferedBytes: number;
  /** How long connecting to the agent may take, in milliseconds, before the client gets 502. */
  readonly connectTimeoutMillis: number;
  /**
   * How long the agent may take to start its answer once the whole request reached it, in
   * milliseconds; then the client gets 504 and the call to the agent is aborted.
   */
  readonly responseTimeoutMillis: number;
  /**
   * Longest silence inside an answer's body, in milliseconds (time the proxy itself waits for a slow
   * client does not count); then the client's answer is cut (504 if nothing was sent yet) and the
   * call to the agent aborted.
   */
  readonly idleTimeoutMillis: number;
  /** Time and connection limits of the proxy's own listener (the collector's `server.*` ones). */
  readonly listenerLimits: HttpServerLimits;
  /**
   * Move the endpoint URLs of the agent cards the proxy relays (the well-known card and the
   * extended card) from `upstream` to the proxy's own origin, so clients that follow the card stay
   * on the proxy (see agent-card-rewrite.ts).
   */
  readonly rewriteAgentCard: boolean;
  /**
   * Take the proxy's origin for rewritten cards from `X-Forwarded-Host` / `X-Forwarded-Proto`
   * (set by a reverse proxy in front). Off: only `Host` and the listen address count (proxy-origin.ts).
   */
  readonly trustForwardedHeaders: boolean;
}

/** What a proxy is built with besides its options. */
export interface A2aProxyDependencies {
  /** The collector's intake: every trace read goes there. */
  readonly intake: TraceIntake;
  /** Registry the proxy's metrics are registered on (the collector's, so /metrics shows them). */
  readonly registry: Registry;
  readonly logger?: Logger;
}

/** Where a started proxy listens. */

type BodyKind = 'json' | 'event-stream';

/** Which responses are read: JSON and event streams that have a body. */
function bodyKindOf(method: string, status: number, headers: RawHeaders): BodyKind | undefined {
  if (method === 'HEAD' || status === 204 || status === 304) return undefined;
  const type = contentTypeOf(headers);
  if (isEventStreamMediaType(type)) return 'event-stream';
  if (isJsonMediaType(type)) return 'json';
  return undefined;
}

/**
 * The request headers with the body framed as the client framed it. `Transfer-Encoding` is
 * hop-by-hop, but a body it framed still has to reach the agent framed: node chunks a request body
 * on its own only for methods that usually have one, and writes the bytes of a GET, DELETE or
 * OPTIONS body bare, where the agent reads them as the next request (RFC 9112 §6.1, §11.2). A
 * client's `Transfer-Encoding` overrides its `Content-Length` (RFC 9112 §6.3). node's parser refuses
 * a request whose last coding is not `chunked` and undoes only that one, so the client's list goes
 * on as it was and node chunks the body again.
 */
function withBodyFraming(headers: RawHeaders, clientHeaders: RawHeaders): string[] {
  const codings = headerListMembers(clientHeaders, 'transfer-encoding');
  if (codings.length === 0) return [...headers];
  return withHeader(withoutHeader(headers, 'Content-Length'), 'Transfer-Encoding', codings.join(', '));
}

/** True when the client's request has a body: a `Content-Length` or `Transfer-Encoding` frames one (RFC 9112 §6.3). */
function hasBody(clientHeaders: RawHeaders): boolean {
  return headerValues(clientHeaders, 'transfer-encoding').length > 0 || headerValues(clientHeaders, 'content-length').length > 0;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined || error.message.includes(code) ? error.message : `${code}: ${error.message}`;
}

/** The reverse proxy. `start()` opens its listener; `shutdown()` closes it. */
export class A2aProxy {
  /** The proxy's metrics (also on the registry it was given). */
  readonly metrics: ProxyMetrics;
  private readonly upstream: URL;
  private readonly basePath: string;
  private readonly agent: HttpAgent;
  private readonly budget: ByteBudget;
  private readonly ingest: ProxyIngest;
  private readonly logger: Logger;
  private readonly unreachableLog: BurstLogger;
  private readonly lossyNumbersLog: BurstLogger;
  private readonly server: Server;
  private stopping: Promise<void> | undefined;
  /** `http://host:port` the proxy listens on, once it does. */
  private listenOrigin = '';
  private signedCardWarned = false;

  constructor(
    private readonly options: A2aProxyOptions,
    dependencies: A2aProxyDependencies,
  ) {
    this.upstream = new URL(options.upstream);
    this.basePath = this.upstream.pathname.replace(/\/+$/, '');
    this.agent = this.upstream.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.logger = dependencies.logger ?? silentLogger;
    this.unreachableLog = new BurstLogger(this.logger);
    this.lossyNumbersLog = new BurstLogger(this.logger);
    this.metrics = new ProxyMetrics(dependencies.registry);
    this.budget = new ByteBudget(options.maxBufferedBytes, (used) => this.metrics.bufferedBytes.set(used));
    this.ingest = new ProxyIngest(dependencies.intake, this.metrics, this.logger);
    this.server = createServer(httpServerOptions(options.listenerLimits), (request, response) => this.handle(request, response));
    limitConnections(this.server, options.listenerLimits, () => this.metrics.refusedConnections.inc());
  }

  /** Opens the listener. Resolves with the bound address (useful with port 0). */
  async start(): Promise<ListenAddress> {
    const address = await listen(this.server, this.options.port, this.options.host);
    this.listenOrigin = address.url;
    this.logger.log('info', 'proxy listening', {
      url: address.url,
      upstream: this.upstream.href,
      stripTrace: this.options.stripTrace,
      rewriteAgentCard: this.options.rewriteAgentCard,
      trustForwardedHeaders: this.options.trustForwardedHeaders,
    });
    return address;
  }

  /**
   * Stops accepting connections, lets in-flight exchanges finish for up to `graceMillis`, then
   * closes what is left (long streams included). Safe to call twice.
   */
  shutdown(graceMillis = 5000): Promise<void> {
    this.stopping ??= (async () => {
      await closeServer(this.server, graceMillis);
      this.agent.destroy();
      this.logger.log('info', 'proxy stopped');
    })();
    return this.stopping;
  }

  private targetPath(url: string): string {
    if (url.startsWith('/')) return `${this.basePath}${url}`;
    if (url === '*') return this.basePath === '' ? '*' : `${this.basePath}/`;
    // absolute-form (RFC 9112 §3.2.2): a client that treats the proxy as a forward proxy.
    try {
      const parsed = new URL(url);
      return `${this.basePath}${parsed.pathname}${parsed.search}`;
    } catch {
      return `${this.basePath}/`;
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.metrics.inFlightRequests.inc();
    let settled = false;
    const settle = (outcome: ProxyOutcome): void => {
      if (settled) return;
      settled = true;
      this.metrics.requests.inc({ outcome });
      this.metrics.inFlightRequests.dec();
    };
    try {
      const activation = activateExtension(withoutHopByHop(request.rawHeaders), TRACEABILITY_EXTENSION_URI);
      if (activation.addedTo !== undefined) this.metrics.extensionAdded.inc({ header: activation.addedTo });
      const strip = this.options.stripTrace && !activation.requestedByClient;
      let headers = withHeader(activation.headers, 'Host', this.upstream.host);
      headers = withBodyFraming(headers, request.rawHeaders);
      headers = withListMember(headers, 'Via', `${request.httpVersion} ${VIA_NAME}`);
      // The proxy edits the bodies it strips; it asks for them unencoded.
      if (strip) headers = withHeader(headers, 'Accept-Encoding', 'identity');
      const plan: ExchangePlan = { strip, card: this.cardPlan(request), context: { traceparent: headerValues(request.rawHeaders, 'traceparent').at(-1) } };
      const exchange = new Exchange(this.options, plan, request, response, this.budget, this.ingest, this.metrics, settle, {
        stripSkipped: (reason) => this.recordStripSkipped(reason, request),
        card: (outcome) => this.recordCard(outcome, request),
      });
      exchange.forward(
        () =>
          (this.upstream.protocol === 'https:' ? httpsRequest : httpRequest)({
            protocol: this.upstream.protocol,
            hostname: this.upstream.hostname.replace(/^\[(.*)\]$/, '$1'),
            port: this.upstream.port === '' ? undefined : Number(this.upstream.port),
            method: request.method,
            path: this.targetPath(request.url ?? '/'),
            headers,
            setHost: false,
            agent: this.agent,
          }),
        (error) => this.badGateway(response, error),
        (phase) => this.gatewayTimeout(response, phase),
      );
    } catch (error) {
      this.logger.log('error', 'proxy: unexpected error while forwarding a request', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      this.badGateway(response, error);
      settle('upstream_unavailable');
    }
  }

  /** How the answer to `request` is rewritten if it is an agent card; undefined: it is not rewritten. */
  private cardPlan(request: IncomingMessage): CardPlan | undefined {
    if (!this.options.rewriteAgentCard) return undefined;
    const requested = cardRequestOf(request.method ?? 'GET', request.url ?? '/', request.rawHeaders);
    if (requested === undefined) return undefined;
    const origin = proxyOrigin(request.rawHeaders, { trustForwardedHeaders: this.options.trustForwardedHeaders, listenOrigin: this.listenOrigin });
    return {
      requested,
      varyOnForwarded: this.options.trustForwardedHeaders,
      move: (url) => proxiedEndpointUrl(url, this.upstream, origin),
    };
  }

  /** Counts what became of an agent card; a signed one is logged, once in the proxy's life. */
  private recordCard(outcome: CardOutcome, request: IncomingMessage): void {
    if (outcome.kind === 'rewritten') {
      this.metrics.cardsRewritten.inc();
      return;
    }
    this.metrics.cardRewriteSkipped.inc({ reason: outcome.reason });
    if (outcome.reason !== 'signed' || this.signedCardWarned) return;
    this.signedCardWarned = true;
    this.logger.log('warn', 'proxy: the agent card is signed, so it passes unchanged: clients that call the URLs it lists go around the proxy and are not traced', {
      path: request.url,
      upstream: this.upstream.href,
    });
  }

  /** Counts a response strip_trace left as it was; one that keeps its traces for its numbers' sake is logged, once per burst. */
  private recordStripSkipped(reason: StripSkipReason, request: IncomingMessage): void {
    this.metrics.stripSkipped.inc({ reason });
    if (reason !== 'lossy_numbers') return;
    this.lossyNumbersLog.log('warn', 'proxy: strip_trace left the traces in a response: re-serializing it would change its numbers', { reason, path: request.url });
  }

  /** Answers 504 for an agent that did not answer (`response`) or fell silent (`idle`) in time; cuts a response already started. */
  private gatewayTimeout(response: ServerResponse, phase: 'response' | 'idle'): void {
    const millis = phase === 'response' ? this.options.responseTimeoutMillis : this.options.idleTimeoutMillis;
    const message =
      phase === 'response'
        ? `the A2A agent at ${this.upstream.href} did not start its answer within ${millis} ms (proxy.response_timeout_millis)`
        : `the A2A agent at ${this.upstream.href} sent nothing for ${millis} ms in the middle of its answer (proxy.idle_timeout_millis)`;
    this.unreachableLog.log('warn', 'proxy: agent timed out', { upstream: this.upstream.href, phase, timeoutMillis: millis });
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    // 504 (RFC 9110 §15.6.5): the agent was reached but did not answer in time.
    const body = JSON.stringify(new CollectorError('A2A_ERR_UPSTREAM_UNAVAILABLE', message).toJSON());
    response.writeHead(504, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }

  private badGateway(response: ServerResponse, error: unknown): void {
    const message = `the A2A agent at ${this.upstream.href} cannot be reached: ${errorText(error)}`;
    this.unreachableLog.log('warn', 'proxy: agent unreachable', { upstream: this.upstream.href, error: errorText(error) });
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    const body = JSON.stringify(new CollectorError('A2A_ERR_UPSTREAM_UNAVAILABLE', message).toJSON());
    response.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }
}

/** Which of the agent's timeouts fired: before its answer started, or in the middle of its body. */
type UpstreamTimeout = 'response' | 'idle';

/** How the answer to a request that may ask for an agent card is rewritten. */
interface CardPlan {
  readonly requested: CardRequest;
  readonly varyOnForwarded: boolean;
  /** The proxy's URL for an endpoint URL of the agent (undefined: not the agent's). */
  readonly move: (url: string) => string | undefined;
}

/** How one exchange is handled. */
interface ExchangePlan {
  /** Strip traces from the response (the proxy activated the extension, the client did not). */
  readonly strip: boolean;
  /** Rewrite the answer if it is an agent card; undefined: the request asks for none, or rewriting is off. */
  readonly card: CardPlan | undefined;
  readonly context: IngestContext;
}

/** What an exchange reports to its proxy besides its outcome. */
interface ExchangeReports {
  readonly stripSkipped: (reason: StripSkipReason) => void;
  readonly card: (outcome: CardOutcome) => void;
}

/** One request and its response, from the client's request to the last byte (or the cut). */
class Exchange {
  private settled = false;
  private clientGone = false;
  private responseStarted = false;
  private inspector: ResponseInspector | undefined;
  private inspectionFinished = false;
  /** The client gets what the inspector returns (strip mode), not the agent's bytes. */
  private transform = false;
  /** Inflates a coded body for the inspector; undefined when there is none, or once it stopped. */
  private decoder: Decoder | undefined;
  private decodedBytes = 0;
  private upstreamRequest: ReturnType<typeof httpRequest> | undefined;
  private upstreamResponse: IncomingMessage | undefined;
  /** Fires when the agent takes too long: to start its answer, or between two reads of its body. */
  private upstreamTimer: NodeJS.Timeout | undefined;
  private upstreamTimerPhase: UpstreamTimeout = 'response';
  private timedOut = false;
  /** Segments of a long stream ingested before its end (response-inspectors.ts): whether one failed, whether one had traces. */
  private segmentFailed = false;
  private segmentTraced = false;
  private onTimeout: (phase: UpstreamTimeout) => void = () => {};
  /** Reads the JSON-RPC method of a request that may be an extended-card call. */
  private readonly sniffer: JsonRpcMethodSniffer | undefined;

  constructor(
    private readonly options: A2aProxyOptions,
    private readonly plan: ExchangePlan,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly budget: ByteBudget,
    private readonly ingest: ProxyIngest,
    private readonly metrics: ProxyMetrics,
    private readonly onSettled: (outcome: ProxyOutcome) => void,
    private readonly reports: ExchangeReports,
  ) {
    this.sniffer = plan.card?.requested === 'by_method' ? new JsonRpcMethodSniffer() : undefined;
  }

  /**
   * Sends the request upstream (`open` creates it) and relays the answer; `onUnreachable` answers
   * 502, `onTimeout` answers 504 (or cuts an answer already started).
   */
  forward(open: () => ReturnType<typeof httpRequest>, onUnreachable: (error: unknown) => void, onTimeout: (phase: UpstreamTimeout) => void): void {
    const { request, response } = this;
    this.onTimeout = onTimeout;
    response.on('error', () => {});
    request.on('error', () => {});
    let upstreamRequest: ReturnType<typeof httpRequest>;
    try {
      upstreamRequest = open();
    } catch (error) {
      // node refuses to send what it cannot encode (a header value it considers invalid).
      onUnreachable(error);
      this.settle('upstream_unavailable');
      request.resume();
      return;
    }
    this.upstreamRequest = upstreamRequest;
    response.on('close', () => {
      this.disarm();
      if (response.writableFinished) return;
      this.clientGone = true;
      upstreamRequest.destroy();
      this.stopDecoding();
      this.guarded(() => this.finishInspection(true));
      this.settle('client_aborted');
    });
    upstreamRequest.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => upstreamRequest.destroy(new Error(`connecting took longer than ${this.options.connectTimeoutMillis} ms`)),
        this.options.connectTimeoutMillis,
      );
      const clear = (): void => clearTimeout(timer);
      socket.once('connect', clear);
      socket.once('close', clear);
    });
    // The agent has the whole request: from now on it has responseTimeoutMillis to start answering.
    upstreamRequest.on('finish', () => {
      if (!this.responseStarted && !this.clientGone) this.arm('response');
    });
    upstreamRequest.on('error', (error) => {
      this.disarm();
      if (this.clientGone || this.responseStarted || this.timedOut) return;
      onUnreachable(error);
      this.settle('upstream_unavailable');
    });
    upstreamRequest.on('response', (upstreamResponse) => {
      this.responseStarted = true;
      this.upstreamResponse = upstreamResponse;
      upstreamResponse.on('error', () => {});
      if (this.clientGone) {
        this.disarm();
        upstreamResponse.resume();
        return;
      }
      this.arm('idle');
      try {
        this.relay(upstreamResponse);
      } catch (error) {
        // A bug, not the agent's doing: answer what can still be answered, never take the process down.
        this.guarded(() => {
          throw error;
        });
        upstreamResponse.destroy();
        if (response.headersSent) response.destroy();
        else onUnreachable(error);
      }
    });
    if (hasBody(request.rawHeaders)) {
      const sniffer = this.sniffer;
      if (sniffer !== undefined) {
        request.on('data', (chunk: Buffer) => sniffer.push(chunk));
        request.once('end', () => sniffer.end());
      }
      request.pipe(upstreamRequest);
    } else {
      upstreamRequest.end();
      request.resume();
    }
  }

  /** Starts the upstream timer for `phase`, or restarts it when it already runs for `phase`. */
  private arm(phase: UpstreamTimeout): void {
    if (this.upstreamTimer !== undefined && this.upstreamTimerPhase === phase) {
      this.upstreamTimer.refresh();
      return;
    }
    this.disarm();
    this.upstreamTimerPhase = phase;
    const millis = phase === 'response' ? this.options.responseTimeoutMillis : this.options.idleTimeoutMillis;
    this.upstreamTimer = setTimeout(() => this.timeOut(phase), millis);
    this.upstreamTimer.unref();
  }

  private disarm(): void {
    if (this.upstreamTimer === undefined) return;
    clearTimeout(this.upstreamTimer);
    this.upstreamTimer = undefined;
  }

  /** The agent took too long: keep what complete events said, answer 504 or cut, abort the call to the agent. */
  private timeOut(phase: UpstreamTimeout): void {
    this.upstreamTimer = undefined;
    if (this.clientGone || this.timedOut) return;
    this.timedOut = true;
    this.stopDecoding();
    this.guarded(() => this.finishInspection(true));
    this.settle('upstream_timeout');
    this.onTimeout(phase);
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
  }

  /** Runs `work`; a throw (a bug) ends the reading of this response, never the process. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.ingest.recordFailure('internal', 'unexpected error while reading a proxied response; it is no longer read', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      const inspector = this.inspector;
      this.inspector = undefined;
      this.inspectionFinished = true;
      this.stopDecoding();
      try {
        inspector?.abort();
        inspector?.result();
      } catch {
        // Releasing what it held is all that is left to do with it.
      }
      this.settle('ingest_failed');
      // In strip mode the inspector held bytes the client has not had: cut rather than send a hole.
      if (this.transform) {
        this.upstreamRequest?.destroy();
        this.response.destroy();
      }
    }
  }

  private settle(outcome: ProxyOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled(outcome);
  }

  private relay(upstreamResponse: IncomingMessage): void {
    const { response } = this;
    const status = upstreamResponse.statusCode ?? 502;
    // RFC 9110 §7.6.3: a proxy adds itself to Via on every message it forwards, responses too.
    let headers = withListMember(withoutHopByHop(upstreamResponse.rawHeaders), 'Via', `${upstreamResponse.httpVersion} ${VIA_NAME}`);
    const kind = bodyKindOf(this.request.method ?? 'GET', status, headers);
    const codings = contentCodings(headers);
    const strip = this.plan.strip && kind !== undefined;
    if (strip) headers = withoutExtension(headers, TRACEABILITY_EXTENSION_URI);
    const card = this.cardInspectorFor(status, kind, headers, codings);

    // transform: the client gets what the inspector returns; otherwise the agent's bytes as they come.
    const transform = card !== undefined || (strip && codings.length === 0);
    this.transform = transform;
    if (strip && !transform) this.reports.stripSkipped('encoded');
    let decoder: Decoder | undefined;
    if (card !== undefined) {
      // A card has no trace to strip: the card inspector reads it, decoded or not.
      this.inspector = card;
    } else if (kind !== undefined) {
      if (codings.length > 0) decoder = createDecoder(codings);
      if (codings.length > 0 && decoder === undefined) {
        this.ingest.recordFailure('undecodable', 'a response has a content coding the proxy cannot read; passed through unread', { contentEncoding: codings.join(', ') });
      } else {
        this.inspector = this.createInspector(kind, transform);
      }
    }
    const holdHeaders = transform && kind === 'json';
    if (transform && kind === 'event-stream') headers = withoutHeader(headers, 'Content-Length');

    let headersWritten = false;
    const writeHead = (contentLength?: number): void => {
      if (headersWritten) return;
      headersWritten = true;
      const final = contentLength === undefined ? headers : withHeader(headers, 'Content-Length', String(contentLength));
      try {
        response.writeHead(status, upstreamResponse.statusMessage, final);
      } catch {
        // node writes no reason phrase (or field) it considers invalid, even one it parsed: send without the phrase.
        try {
          response.writeHead(status, final);
        } catch {
          response.destroy();
        }
      }
    };
    if (!holdHeaders) writeHead();

    let waitingForDrain = false;
    const send = (chunks: readonly Buffer[]): void => {
      if (this.clientGone || chunks.length === 0) return;
      writeHead();
      let full = false;
      for (const chunk of chunks) if (chunk.length > 0 && !response.write(chunk)) full = true;
      if (full && !waitingForDrain) {
        waitingForDrain = true;
        upstreamResponse.pause();
        // Waiting for a slow client is not the agent's silence.
        this.disarm();
        response.once('drain', () => {
          waitingForDrain = false;
          if (!this.timedOut) this.arm('idle');
          upstreamResponse.resume();
        });
      }
    };

    if (decoder !== undefined && this.inspector !== undefined) this.startDecoding(decoder, this.inspector);

    upstreamResponse.on('data', (chunk: Buffer) => {
      if (!waitingForDrain) this.arm('idle');
      const inspector = this.inspector;
      if (transform && inspector !== undefined) {
        this.guarded(() => send(inspector.push(chunk)));
        return;
      }
      send([chunk]);
      if (inspector === undefined || inspector.stopped) return;
      if (this.decoder !== undefined) this.decoder.write(chunk);
      else if (decoder === undefined) this.guarded(() => inspector.push(chunk));
    });
    upstreamResponse.on('end', () => {
      this.disarm();
      if (this.clientGone || this.timedOut) return;
      const inspector = this.inspector;
      if (transform && inspector !== undefined) {
        this.guarded(() => {
          const rest = inspector.end();
          if (card?.outcome !== undefined) {
            headers = card.headersFor(headers);
            this.metrics.decodedBytes.inc(card.decodedBytes);
            this.reports.card(card.outcome);
          }
          if (!headersWritten) writeHead(rest.reduce((sum, chunk) => sum + chunk.length, 0));
          send(rest);
        });
        if (this.response.destroyed) return;
      }
      writeHead();
      const trailers = withoutHopByHop(upstreamResponse.rawTrailers);
      if (trailers.length > 0) {
        try {
          response.addTrailers(toPairs(trailers));
        } catch {
          // A trailer node will not encode is dropped; the body is complete.
        }
      }
      response.end();
      if (this.decoder !== undefined) this.decoder.end();
      else this.guarded(() => this.finishInspection(false));
    });
    upstreamResponse.on('close', () => {
      this.disarm();
      if (upstreamResponse.complete || this.clientGone || this.timedOut) return;
      // The agent cut its response: the client's is cut too, never completed with something else.
      this.stopDecoding();
      this.guarded(() => this.finishInspection(true));
      this.settle('upstream_aborted');
      response.destroy();
    });
  }

  /**
   * The inspector that rewrites this answer, when it is the JSON of a 200 answer to a card request
   * (for a JSON-RPC call, once its body shows an extended-card method).
   */
  private cardInspectorFor(status: number, kind: BodyKind | undefined, headers: RawHeaders, codings: readonly string[]): AgentCardInspector | undefined {
    const card = this.plan.card;
    if (card === undefined || status !== 200 || kind !== 'json') return undefined;
    if (card.requested === 'by_method' && this.sniffer?.isCardCall() !== true) return undefined;
    return new AgentCardInspector({
      budget: this.budget,
      maxBodyBytes: this.options.maxBodyBytes,
      codings,
      noTransform: headerListMembers(headers, 'cache-control').some((directive) => directive.toLowerCase() === 'no-transform'),
      varyOnForwarded: card.varyOnForwarded,
      move: card.move,
    });
  }

  private createInspector(kind: BodyKind, strip: boolean): ResponseInspector {
    const common = { budget: this.budget, strip };
    return kind === 'json'
      ? new JsonBodyInspector({ ...common, maxBodyBytes: this.options.maxBodyBytes })
      : new EventStreamInspector({
          ...common,
          maxEventBytes: this.options.maxEventBytes,
          maxRetainedBytes: this.options.maxBodyBytes,
          onSegment: (extraction) => this.ingestSegment(extraction),
        });
  }

  /** Ingests one segment of a long stream (response-inspectors.ts) and remembers what it came to. */
  private ingestSegment(extraction: Extraction): void {
    const ingested = this.ingest.ingest(extraction, this.plan.context);
    if (ingested.outcome === 'failed') this.segmentFailed = true;
    if (ingested.outcome === 'traced') this.segmentTraced = true;
  }

  /**
   * Reads a coded body through `decoder`; the client still gets the coded bytes. Decoding stops as
   * soon as the inspector stops reading, and when the body inflates past
   * {@link MAX_DECODED_BYTES_PER_CODED_BYTE} times the coded bytes decoded so far (at least
   * `maxBufferedBytes`). Those are the bytes zlib consumed, not those queued for it: a fast agent
   * queues the whole body before much of it is inflated.
   */
  private startDecoding(decoder: Decoder, inspector: ResponseInspector): void {
    this.decoder = decoder;
    decoder.on('data', (chunk: Buffer) => {
      if (this.decoder !== decoder) return;
      this.decodedBytes += chunk.length;
      this.metrics.decodedBytes.inc(chunk.length);
      this.guarded(() => {
        const allowed = Math.max(decoder.bytesWritten * MAX_DECODED_BYTES_PER_CODED_BYTE, this.options.maxBufferedBytes);
        if (this.decodedBytes > allowed) {
          this.stopDecoding();
          this.ingest.recordFailure('decoded_too_large', 'a coded response inflates far past its coded size; the rest passed through unread', {
            path: this.request.url,
            codedBytes: decoder.bytesWritten,
            decodedBytes: this.decodedBytes,
          });
          this.finishInspection(true);
          this.settle('ingest_failed');
          return;
        }
        inspector.push(chunk);
        // Nothing more is read: stop decoding rather than inflate what nobody looks at.
        if (inspector.stopped) {
          this.stopDecoding();
          this.finishInspection(false);
        }
      });
    });
    decoder.on('end', () => this.guarded(() => this.finishInspection(false)));
    decoder.on('error', () => {
      if (this.decoder !== decoder) return;
      this.decoder = undefined;
      this.ingest.recordFailure('undecodable', 'a coded response body could not be decoded; passed through unread');
      this.guarded(() => this.finishInspection(true));
      this.settle('ingest_failed');
    });
  }

  /** Drops the decoder and what it still has queued: no more CPU goes into inflating this body. */
  private stopDecoding(): void {
    const decoder = this.decoder;
    this.decoder = undefined;
    decoder?.destroy();
  }

  /** Ingests what the inspector read (once); `cut`: the body did not arrive whole. */
  private finishInspection(cut: boolean): void {
    const inspector = this.inspector;
    if (this.inspectionFinished) return;
    this.inspectionFinished = true;
    if (inspector === undefined) {
      if (!cut) this.settle('not_inspected');
      return;
    }
    if (cut) inspector.abort();
    else inspector.end();
    const result = inspector.result();
    this.metrics.responsePeakBufferedBytes.observe(result.peakBufferedBytes);
    for (const reason of result.failures) {
      this.ingest.recordFailure(reason, 'part of a response was not read for traces; it passed through unchanged', { path: this.request.url });
    }
    for (const reason of result.stripSkipped) this.reports.stripSkipped(reason);
    if (result.strippedPlacements > 0) this.metrics.strippedResponses.inc();
    const ingested = result.extraction === undefined ? undefined : this.ingest.ingest(result.extraction, this.plan.context);
    if (cut) return;
    let outcome: ProxyOutcome;
    if (ingested === undefined) outcome = result.failures.length > 0 ? 'ingest_failed' : 'not_inspected';
    else outcome = ingested.outcome === 'failed' ? 'ingest_failed' : ingested.outcome;
    // A long stream's earlier segments count too: one failed segment fails it, one traced one traces it.
    if (this.segmentFailed) outcome = 'ingest_failed';
    else if (this.segmentTraced && outcome !== 'ingest_failed') outcome = 'traced';
    this.settle(outcome);
  }
}
