/**
 * @module The origin (`scheme://host:port`) a client reached the proxy at, which a rewritten agent
 * card sends it back to: the request's `Host`, or `X-Forwarded-Host` / `X-Forwarded-Proto` when a
 * reverse proxy in front is trusted to set them, else the address the proxy listens on.
 */
import { headerListMembers, headerValues, type RawHeaders } from './raw-headers.js';

/** A `host[:port]` as RFC 9110 §7.2 allows it in `Host`: a name, an IPv4 address or a bracketed IPv6 address. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::\d{1,5})?$/;

/** `scheme://authority` normalized (lower-case host, default port dropped), or undefined when it is no host. */
function originOf(scheme: string, authority: string | undefined): string | undefined {
  if (authority === undefined || !AUTHORITY.test(authority)) return undefined;
  try {
    return new URL(`${scheme}://${authority}`).origin;
  } catch {
    return undefined;
  }
}

/** How {@link proxyOrigin} decides. */
export interface ProxyOriginOptions {
  /** Read `X-Forwarded-Host` and `X-Forwarded-Proto` (their first member: the client-facing hop's). */
  readonly trustForwardedHeaders: boolean;
  /** The proxy's listen address, `http://host:port`: the answer when the request names no usable host. */
  readonly listenOrigin: string;
}

/**
 * The origin the client used to reach the proxy. `Host` is the client's own word for it and part
 * of every cache's key, so it is used whenever it is a well-formed `host[:port]` (the scheme is
 * `http`, which the proxy speaks). `X-Forwarded-Host` / `X-Forwarded-Proto` are read only with
 * `trustForwardedHeaders`: no cache keys on them, so an untrusted client could otherwise have a
 * shared cache store a card that points anywhere. A malformed value counts as absent.
 */
export function proxyOrigin(headers: RawHeaders, options: ProxyOriginOptions): string {
  const host = headerValues(headers, 'host').at(-1)?.trim();
  if (options.trustForwardedHeaders) {
    const forwardedProto = headerListMembers(headers, 'x-forwarded-proto')[0]?.toLowerCase();
    const scheme = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : 'http';
    const forwarded = originOf(scheme, headerListMembers(headers, 'x-forwarded-host')[0]) ?? originOf(scheme, host);
    if (forwarded !== undefined) return forwarded;
  }
  return originOf('http', host) ?? options.listenOrigin;
}
