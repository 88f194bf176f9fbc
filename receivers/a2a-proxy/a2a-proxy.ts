/**
 * @module The A2A reverse proxy: forwards every request to one agent as it came (plus the
 * traceability extension), streams every response back as it comes (byte for byte unless
 * `strip_trace`, or an agent card whose endpoint URLs it moves to itself), and ingests the traces it
 * reads on the way. Built on node:http, not hono: a proxy must stream bodies both ways under
 * back-pressure, see raw header lines (case, order, repeats, hop-by-hop fields), relay the status
 * line and trailers as received, and cut the client's connection when the agent cuts its own; a
 * fetch-style Request/Response API hides or normalizes each of these. Each request is one
 * {@link ProxyExchange}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TRACEABILITY_EXTENSION_URI } from '../../src/a2a/extension-keys.js';
import { ByteBudget } from '../../src/http/byte-budget.js';
import { closeServer, listen, type ListenAddress } from '../../src/http/http-listener.js';
import { httpServerOptions, limitConnections } from '../../src/http/http-server-limits.js';
import { BurstLogger, silentLogger, type Logger } from '../../src/telemetry/logger.js';
import type { CardOutcome } from './agent-card-inspector.js';
import { cardRequestOf } from './agent-card-requests.js';
import { proxiedEndpointUrl } from './agent-card-rewrite.js';
import { activateExtension } from './extension-activation.js';
import * as errors from '../../src/error-catalog.js';
import { errorText, sendGatewayError } from './gateway-errors.js';
import { upstreamRequestHeaders } from './http-messages.js';
import { ProxyExchange, type CardPlan } from './proxy-exchange.js';
import { ProxyIntake } from './proxy-intake.js';
import { ProxyMetrics, type ProxyOutcome, type StripSkipReason } from './proxy-metrics.js';
import type { A2AProxyDependencies, A2AProxyOptions } from './proxy-options.js';
import { proxyOrigin } from './proxy-origin.js';
import { headerValues, withoutHopByHop } from './raw-headers.js';
import { UpstreamAgent } from './upstream-agent.js';
import type { UpstreamTimeout } from './upstream-timer.js';

/** The reverse proxy. `start()` opens its listener; `shutdown()` closes it. */
export class A2AProxy {
  /** The proxy's metrics (also on the registry it was given). */
  readonly metrics: ProxyMetrics;
  private readonly upstream: UpstreamAgent;
  private readonly budget: ByteBudget;
  private readonly intake: ProxyIntake;
  private readonly logger: Logger;
  private readonly unreachableLog: BurstLogger;
  private readonly lossyNumbersLog: BurstLogger;
  private readonly server: Server;
  private stopping: Promise<void> | undefined;
  /** `http://host:port` the proxy listens on, once it does. */
  private listenOrigin = '';
  private signedCardWarned = false;

  constructor(
    private readonly options: A2AProxyOptions,
    dependencies: A2AProxyDependencies,
  ) {
    this.upstream = new UpstreamAgent(options.upstream, options.connectTimeoutMillis);
    this.logger = dependencies.logger ?? silentLogger;
    this.unreachableLog = new BurstLogger(this.logger);
    this.lossyNumbersLog = new BurstLogger(this.logger);
    this.metrics = new ProxyMetrics(dependencies.registry);
    this.budget = new ByteBudget(options.maxBufferedBytes, (used) => this.metrics.bufferedBytes.set(used));
    this.intake = new ProxyIntake(dependencies.intake, this.metrics, this.logger);
    this.server = createServer(httpServerOptions(options.listenerLimits), (request, response) => this.handle(request, response));
    limitConnections(this.server, options.listenerLimits, () => this.metrics.refusedConnections.inc());
  }

  /** Opens the listener. Resolves with the bound address (useful with port 0). */
  async start(): Promise<ListenAddress> {
    const address = await listen(this.server, this.options.port, this.options.host);
    this.listenOrigin = address.url;
    this.logger.log('info', 'proxy listening', {
      url: address.url,
      upstream: this.upstream.url.href,
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
      this.upstream.destroy();
      this.logger.log('info', 'proxy stopped');
    })();
    return this.stopping;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const settle = this.trackRequest();
    try {
      this.exchangeFor(request, response, settle).forward();
    } catch (error) {
      this.logger.log('error', 'proxy: unexpected error while forwarding a request', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      this.badGateway(response, error);
      settle('upstream_unavailable');
    }
  }

  /** Counts a request in flight; returns what counts its outcome (once) and ends it. */
  private trackRequest(): (outcome: ProxyOutcome) => void {
    this.metrics.inFlightRequests.inc();
    let settled = false;
    return (outcome) => {
      if (settled) return;
      settled = true;
      this.metrics.requests.inc({ outcome });
      this.metrics.inFlightRequests.dec();
    };
  }

  /** The exchange that forwards `request` with the extension activated, and relays its answer to `response`. */
  private exchangeFor(request: IncomingMessage, response: ServerResponse, settle: (outcome: ProxyOutcome) => void): ProxyExchange {
    const activation = activateExtension(withoutHopByHop(request.rawHeaders), TRACEABILITY_EXTENSION_URI);
    if (activation.addedTo !== undefined) this.metrics.extensionAdded.inc({ header: activation.addedTo });
    const strip = this.options.stripTrace && !activation.requestedByClient;
    const headers = upstreamRequestHeaders(activation.headers, request, this.upstream.url.host, strip);
    const plan = { strip, card: this.cardPlan(request), context: { traceparent: headerValues(request.rawHeaders, 'traceparent').at(-1) } };
    return new ProxyExchange({
      request,
      response,
      plan,
      limits: this.options,
      budget: this.budget,
      intake: this.intake,
      metrics: this.metrics,
      openUpstream: () => this.upstream.request(request.method, request.url ?? '/', headers),
      onSettled: settle,
      onUnreachable: (error) => this.badGateway(response, error),
      onTimeout: (phase) => this.gatewayTimeout(response, phase),
      onStripSkipped: (reason) => this.recordStripSkipped(reason, request),
      onCard: (outcome) => this.recordCard(outcome, request),
    });
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
      move: (url) => proxiedEndpointUrl(url, this.upstream.url, origin),
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
      upstream: this.upstream.url.href,
    });
  }

  /** Counts a response strip_trace left as it was; one that keeps its traces for its numbers' sake is logged, once per burst. */
  private recordStripSkipped(reason: StripSkipReason, request: IncomingMessage): void {
    this.metrics.stripSkipped.inc({ reason });
    if (reason !== 'lossy_numbers') return;
    this.lossyNumbersLog.log('warn', 'proxy: strip_trace left the traces in a response: re-serializing it would change its numbers', { reason, path: request.url });
  }

  /** Answers 504 for an agent that did not answer (`response`) or fell silent (`idle`) in time; cuts a response already started. */
  private gatewayTimeout(response: ServerResponse, phase: UpstreamTimeout): void {
    const millis = phase === 'response' ? this.options.responseTimeoutMillis : this.options.idleTimeoutMillis;
    this.unreachableLog.log('warn', 'proxy: agent timed out', { upstream: this.upstream.url.href, phase, timeoutMillis: millis });
    sendGatewayError(response, 504, errors.upstreamTimedOut(this.upstream.url.href, phase, millis));
  }

  /** Answers 502 for an agent that cannot be reached; cuts a response already started. */
  private badGateway(response: ServerResponse, error: unknown): void {
    this.unreachableLog.log('warn', 'proxy: agent unreachable', { upstream: this.upstream.url.href, error: errorText(error) });
    sendGatewayError(response, 502, errors.upstreamUnreachable(this.upstream.url.href, errorText(error)));
  }
}
