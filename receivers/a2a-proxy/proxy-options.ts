/**
 * @module What an A2A proxy is built from: its options (`proxyOptionsFromConfig` fills them from the
 * config) and the collector parts it feeds.
 */
import type { Registry } from 'prom-client';
import type { HttpServerLimits } from '../../src/http/http-server-limits.js';
import type { TraceIntake } from '../../src/accounting/trace-intake.js';
import type { Logger } from '../../src/telemetry/logger.js';

/** How a proxy runs. Every field is required; `proxyOptionsFromConfig` fills them from the config. */
export interface A2AProxyOptions {
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
export interface A2AProxyDependencies {
  /** The collector's intake: every trace read goes there. */
  readonly intake: TraceIntake;
  /** Registry the proxy's metrics are registered on (the collector's, so /metrics shows them). */
  readonly registry: Registry;
  /** Where the proxy logs; nowhere when omitted. */
  readonly logger?: Logger;
}
