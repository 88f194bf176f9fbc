/**
 * @module The proxy sidecar: a Collector (ingest, query API, /metrics on `server`) and an A2AProxy
 * in front of one agent (on `proxy`) feeding that collector's intake. Starts the collector first so
 * the first proxied trace has somewhere to go; shuts the proxy down first (stop intake), then the
 * collector (drain, close the exporters).
 */
import { Collector, type CollectorDependencies, type ListenAddress } from '../../src/collector.js';
import type { CollectorConfig } from '../../src/config/load-config.js';
import { serverLimitsFromConfig } from '../../src/http/http-server-limits.js';
import { A2AProxy } from './a2a-proxy.js';
import type { A2AProxyOptions } from './proxy-options.js';
import * as errors from '../../src/error-catalog.js';

/**
 * The proxy options a validated config asks for.
 * @throws CollectorError `CFG_ERR_INVALID` when the config has no `proxy` section (no upstream).
 */
export function proxyOptionsFromConfig(config: CollectorConfig): A2AProxyOptions {
  const proxy = config.proxy;
  if (proxy === undefined) {
    throw errors.invalidConfig([
      { path: 'proxy.upstream', reason: 'the proxy needs the URL of the A2A agent it fronts (--upstream URL, or proxy.upstream in the config file)' },
    ]);
  }
  return {
    upstream: proxy.upstream,
    host: proxy.host,
    port: proxy.port,
    stripTrace: proxy.strip_trace,
    maxEventBytes: proxy.max_event_bytes,
    maxBodyBytes: config.server.max_body_bytes,
    maxBufferedBytes: proxy.max_buffered_bytes,
    connectTimeoutMillis: proxy.connect_timeout_millis,
    responseTimeoutMillis: proxy.response_timeout_millis,
    idleTimeoutMillis: proxy.idle_timeout_millis,
    listenerLimits: serverLimitsFromConfig(config),
    rewriteAgentCard: proxy.rewrite_agent_card,
    trustForwardedHeaders: proxy.trust_forwarded_headers,
  };
}

/** Where a started sidecar listens. */
export interface SidecarAddresses {
  /** The collector's API (ingest, query, /metrics). */
  readonly collector: ListenAddress;
  /** The proxy clients call instead of the agent. */
  readonly proxy: ListenAddress;
}

/** A collector with the A2A proxy in front of one agent. */
export class ProxySidecar {
  readonly collector: Collector;
  readonly proxy: A2AProxy;
  private stopping: Promise<void> | undefined;

  /** @throws CollectorError `CFG_ERR_INVALID` when the config has no `proxy` section. */
  constructor(config: CollectorConfig, dependencies: CollectorDependencies = {}) {
    const options = proxyOptionsFromConfig(config);
    this.collector = new Collector(config, dependencies);
    this.proxy = new A2AProxy(options, {
      intake: this.collector.intake,
      registry: this.collector.registry,
      logger: dependencies.logger,
    });
  }

  /** Opens the collector's listener, then the proxy's. On failure nothing stays open. */
  async start(): Promise<SidecarAddresses> {
    const collector = await this.collector.start();
    try {
      return { collector, proxy: await this.proxy.start() };
    } catch (error) {
      await this.collector.shutdown();
      throw error;
    }
  }

  /**
   * Stops the proxy (in-flight exchanges get `graceMillis`), then the collector (its queues get
   * `timeoutMillis` to drain). Safe to call twice.
   */
  shutdown(timeoutMillis = 30_000, graceMillis = 5000): Promise<void> {
    this.stopping ??= (async () => {
      await this.proxy.shutdown(graceMillis);
      await this.collector.shutdown(timeoutMillis);
    })();
    return this.stopping;
  }
}
