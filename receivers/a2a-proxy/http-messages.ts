/**
 * @module What the proxy reads and edits in the HTTP messages it forwards: its own `Via` entry, the
 * framing of a request body, the headers a request reaches the agent with, and which responses are
 * read for traces.
 */
import { isEventStreamMediaType, isJsonMediaType } from '../../src/http/media-types.js';
import { contentTypeOf, headerListMembers, headerValues, withHeader, withListMember, withoutHeader, type RawHeaders } from './raw-headers.js';

/** The `Via` protocol name the proxy identifies itself with (RFC 9110 §7.6.3). */
const VIA_NAME = 'a2a-trace-collector';

/**
 * `headers` with the proxy added to `Via`, for a message it received over HTTP/`httpVersion`. RFC
 * 9110 §7.6.3: a proxy adds itself on every message it forwards, requests and responses.
 */
export function withVia(headers: RawHeaders, httpVersion: string): string[] {
  return withListMember(headers, 'Via', `${httpVersion} ${VIA_NAME}`);
}

/** The kinds of response body the proxy reads. */
export type BodyKind = 'json' | 'event-stream';

/** Which responses are read: JSON and event streams that have a body; undefined for every other one. */
export function bodyKindOf(method: string, status: number, headers: RawHeaders): BodyKind | undefined {
  if (method === 'HEAD' || status === 204 || status === 304) return undefined;
  const type = contentTypeOf(headers);
  if (isEventStreamMediaType(type)) return 'event-stream';
  if (isJsonMediaType(type)) return 'json';
  return undefined;
}

/** True when the client's request has a body: a `Content-Length` or `Transfer-Encoding` frames one (RFC 9112 §6.3). */
export function hasBody(clientHeaders: RawHeaders): boolean {
  return headerValues(clientHeaders, 'transfer-encoding').length > 0 || headerValues(clientHeaders, 'content-length').length > 0;
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

/** The client's request as {@link upstreamRequestHeaders} needs it. */
export interface ClientRequestHead {
  /** The request's header lines as received (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: RawHeaders;
  /** `1.1`, say (`IncomingMessage.httpVersion`). */
  readonly httpVersion: string;
}

/**
 * The headers a client's request reaches the agent with: `endToEnd` (the client's own without the
 * hop-by-hop ones, the extension activated), `Host` naming the agent, the body framed as the client
 * framed it, and the proxy in `Via`. `strip`: the proxy edits the answer's body, so it asks for it
 * unencoded.
 */
export function upstreamRequestHeaders(endToEnd: RawHeaders, request: ClientRequestHead, upstreamHost: string, strip: boolean): string[] {
  let headers = withHeader(endToEnd, 'Host', upstreamHost);
  headers = withBodyFraming(headers, request.rawHeaders);
  headers = withVia(headers, request.httpVersion);
  if (strip) headers = withHeader(headers, 'Accept-Encoding', 'identity');
  return headers;
}
