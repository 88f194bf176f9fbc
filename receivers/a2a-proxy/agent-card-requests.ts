/**
 * @module Which requests fetch an agent card, so that the proxy rewrites their answer: a `GET` of
 * the well-known card or of the HTTP+JSON extended card (by path), and a JSON-RPC call of the
 * extended-card method (by the method in its body, read as it streams to the agent).
 */
import { isJsonMediaType } from '../../src/http/media-types.js';
import { contentTypeOf, type RawHeaders } from './raw-headers.js';

/**
 * Path endings of `GET` requests answered with an agent card: the well-known card (A2A 1.0 and
 * 0.3 `agent-card.json`, older `agent.json`), the 1.0 HTTP+JSON extended card (after the
 * interface's path and an optional tenant) and the 0.3 HTTP+JSON one.
 */
const CARD_PATH_ENDINGS = ['/.well-known/agent-card.json', '/.well-known/agent.json', '/extendedAgentCard', '/v1/card'] as const;

/** JSON-RPC methods answered with an agent card: A2A 1.0 and 0.3. */
const CARD_METHODS: ReadonlySet<string> = new Set(['GetExtendedAgentCard', 'agent/getAuthenticatedExtendedCard']);

/**
 * Most request-body bytes kept to read a JSON-RPC method: an extended-card call is a few hundred
 * bytes; a longer body is another call.
 */
export const MAX_SNIFFED_REQUEST_BYTES = 4096;

/** How a request may be asking for an agent card. */
export type CardRequest =
  /** Its path names a card: the answer is one. */
  | 'by_path'
  /** A JSON `POST`: it is a card call when its body is (see {@link JsonRpcMethodSniffer}). */
  | 'by_method';

/** How `method` with `url` (origin- or absolute-form) may be asking for a card; undefined: it is not. */
export function cardRequestOf(method: string, url: string, headers: RawHeaders): CardRequest | undefined {
  if (method === 'GET') {
    let path: string;
    try {
      path = new URL(url, 'http://proxy.invalid').pathname;
    } catch {
      return undefined;
    }
    return CARD_PATH_ENDINGS.some((ending) => path.endsWith(ending)) ? 'by_path' : undefined;
  }
  if (method !== 'POST') return undefined;
  return isJsonMediaType(contentTypeOf(headers)) ? 'by_method' : undefined;
}

/**
 * Keeps the first {@link MAX_SNIFFED_REQUEST_BYTES} of a request body as it streams to the agent,
 * to tell afterwards whether it was a JSON-RPC call of an extended-card method. A longer body, or
 * one that has not ended when the answer starts, is no card call.
 */
export class JsonRpcMethodSniffer {
  private chunks: Buffer[] = [];
  private length = 0;
  private overflowed = false;
  private ended = false;

  /** Takes the next chunk of the request body. */
  push(chunk: Buffer): void {
    if (this.overflowed) return;
    this.length += chunk.length;
    if (this.length > MAX_SNIFFED_REQUEST_BYTES) {
      this.overflowed = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(chunk);
  }

  /** The request body ended. */
  end(): void {
    this.ended = true;
  }

  /** True when the whole body was seen and is a JSON-RPC request of an agent-card method. Releases the body. */
  isCardCall(): boolean {
    const complete = this.ended && !this.overflowed;
    const text = complete ? Buffer.concat(this.chunks, this.length).toString('utf8') : '';
    this.chunks = [];
    this.overflowed = true;
    if (!text.includes('ExtendedAgentCard') && !text.includes('getAuthenticatedExtendedCard')) return false;
    let call: unknown;
    try {
      call = JSON.parse(text);
    } catch {
      return false;
    }
    if (typeof call !== 'object' || call === null || Array.isArray(call)) return false;
    const method = (call as Record<string, unknown>)['method'];
    return typeof method === 'string' && CARD_METHODS.has(method);
  }
}
