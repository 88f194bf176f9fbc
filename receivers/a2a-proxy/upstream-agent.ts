/**
 * @module The A2A agent a proxy fronts: its base URL, one keep-alive connection pool to it, where on
 * it a client's request target goes (the base URL's path prefixes every forwarded path), and how
 * long connecting to it may take.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Opens requests to one agent. {@link destroy} MUST be called once no more requests go to it. */
export class UpstreamAgent {
  /** The agent's base URL (`http://127.0.0.1:9999`). */
  readonly url: URL;
  /** The base URL's path without trailing slashes; '' for none. */
  private readonly basePath: string;
  private readonly pool: HttpAgent;

  /**
   * @param baseUrl The agent's base URL.
   * @param connectTimeoutMillis How long connecting to the agent may take before the request fails.
   */
  constructor(
    baseUrl: string,
    private readonly connectTimeoutMillis: number,
  ) {
    this.url = new URL(baseUrl);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.pool = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  /**
   * Opens the agent's request for a client's `method` and request `target`, with `headers` as they
   * are (`Host` included). The caller ends or pipes it.
   * @throws when node refuses to send what it cannot encode (a header value it considers invalid).
   */
  request(method: string | undefined, target: string, headers: string[]): ClientRequest {
    const request = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)({
      protocol: this.url.protocol,
      hostname: this.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.url.port === '' ? undefined : Number(this.url.port),
      method,
      path: this.targetPath(target),
      headers,
      setHost: false,
      agent: this.pool,
    });
    this.limitConnecting(request);
    return request;
  }

  /** Closes the pooled connections. */
  destroy(): void {
    this.pool.destroy();
  }

  /** Fails `request` when its new connection takes longer than `connectTimeoutMillis` to open (a pooled one is open). */
  private limitConnecting(request: ClientRequest): void {
    request.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => request.destroy(new Error(`connecting took longer than ${this.connectTimeoutMillis} ms`)), this.connectTimeoutMillis);
      const clear = (): void => clearTimeout(timer);
      socket.once('connect', clear);
      socket.once('close', clear);
    });
  }

  /** The agent's path for a client's request target. */
  private targetPath(target: string): string {
    if (target.startsWith('/')) return `${this.basePath}${target}`;
    if (target === '*') return this.basePath === '' ? '*' : `${this.basePath}/`;
    // absolute-form (RFC 9112 §3.2.2): a client that treats the proxy as a forward proxy.
    try {
      const parsed = new URL(target);
      return `${this.basePath}${parsed.pathname}${parsed.search}`;
    } catch {
      return `${this.basePath}/`;
    }
  }
}
