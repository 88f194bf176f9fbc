/**
 * @module Opening and closing a node:http listener, as the collector's and the proxy's servers both do.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a server listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** Base URL, `http://host:port` (an IPv6 host in brackets). */
  readonly url: string;
}

/** Listens on `port` (0: a free one) and `host`; resolves with the bound address, rejects on a listen error. */
export function listen(server: Server, port: number, host: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const info = server.address() as AddressInfo;
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({ host: info.address, port: info.port, url: `http://${shown}:${info.port}` });
    });
  });
}

/**
 * Stops accepting connections and closes idle ones now; requests in flight get `graceMillis`, then
 * every connection left is closed, so one slow client cannot hold a shutdown hostage.
 */
export async function closeServer(server: Server, graceMillis: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMillis);
  await closed;
  clearTimeout(timer);
}
