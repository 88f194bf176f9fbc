/**
 * @module The time and connection limits of a node:http listener (the collector's and the proxy's),
 * so that idle, slow and never-finishing clients are closed on our bounds rather than Node's much
 * longer defaults, and a flood of connections is refused instead of exhausting file descriptors.
 */
import type { Server, ServerOptions } from 'node:http';
import type { CollectorConfig } from '../config/load-config.js';

/** Limits of one listener. All required; {@link serverLimitsFromConfig} reads them from `server`. */
export interface HttpServerLimits {
  /** Time a client has to send a request's headers, in milliseconds (Node answers 408 and closes). */
  readonly headersTimeoutMillis: number;
  /** Time a client has to send a whole request, body included, in milliseconds. At least `headersTimeoutMillis`. */
  readonly requestTimeoutMillis: number;
  /** Time an idle keep-alive connection stays open after a response, in milliseconds. */
  readonly keepAliveTimeoutMillis: number;
  /** Most connections open at once; a connection past it is closed as soon as it is accepted. */
  readonly maxConnections: number;
}

/** The limits `server.*` sets. */
export function serverLimitsFromConfig(config: CollectorConfig): HttpServerLimits {
  return {
    headersTimeoutMillis: config.server.headers_timeout_millis,
    requestTimeoutMillis: config.server.request_timeout_millis,
    keepAliveTimeoutMillis: config.server.keep_alive_timeout_millis,
    maxConnections: config.server.max_connections,
  };
}

/**
 * Options for `http.createServer`. Node enforces the header and request timeouts on a periodic
 * sweep (`connectionsCheckingInterval`, 30 s by default), so a timeout of 10 s would really be up to
 * 40 s: the sweep runs at a tenth of the shorter timeout, between 10 ms and 1 s.
 */
export function httpServerOptions(limits: HttpServerLimits): ServerOptions {
  const shorter = Math.min(limits.headersTimeoutMillis, limits.requestTimeoutMillis);
  return {
    headersTimeout: limits.headersTimeoutMillis,
    requestTimeout: limits.requestTimeoutMillis,
    keepAliveTimeout: limits.keepAliveTimeoutMillis,
    connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(shorter / 10))),
  };
}

/**
 * Sets the connection bound on `server`; `onRefused` is called for every connection closed because
 * of it (a counter).
 */
export function limitConnections(server: Server, limits: HttpServerLimits, onRefused: () => void = () => {}): void {
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => onRefused());
}
