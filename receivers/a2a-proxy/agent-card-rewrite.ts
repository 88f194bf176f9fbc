/**
 * @module Moves an agent card's endpoint URLs from the agent to the proxy in front of it: SDK
 * clients read the card and then call the URLs it lists (DESIGN §2), so a card that still names
 * the agent sends them around the proxy. Pure functions over parsed JSON; only URLs that point at
 * the upstream agent (its origin and path prefix) move, every other field stays as it was.
 */
import { isObject, type JsonObject } from '../../src/model/json-value.js';


/**
 * Card fields that hold a list of interfaces, each with its own `url`: protocol 1.0
 * `supportedInterfaces`, protocol 0.3 `additionalInterfaces`, and the snake_case names ProtoJSON
 * producers write.
 */
const INTERFACE_LIST_FIELDS = ['supportedInterfaces', 'supported_interfaces', 'additionalInterfaces', 'additional_interfaces'] as const;

/**
 * The URL the proxy answers for `url`, or undefined when `url` does not point at the agent: its
 * scheme, host and port are the upstream's and its path lies under the upstream's path prefix
 * (`http://agent:9999/a2a` covers `/a2a` and `/a2a/...`, not `/a2aX`). The prefix is replaced by
 * `proxyOrigin` (`http://host:port`, no path), since the proxy prefixes every path it forwards;
 * query and fragment stay. The result is in WHATWG URL serialization (`http://Agent:80` matches
 * `http://agent`).
 */
export function proxiedEndpointUrl(url: string, upstream: URL, proxyOrigin: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== upstream.protocol || parsed.host !== upstream.host || parsed.username !== '' || parsed.password !== '') return undefined;
  const prefix = upstream.pathname.replace(/\/+$/, '');
  const path = parsed.pathname;
  if (!path.startsWith(prefix) || (path.length > prefix.length && path[prefix.length] !== '/')) return undefined;
  return `${proxyOrigin}${path.slice(prefix.length)}${parsed.search}${parsed.hash}`;
}

/** What {@link rewriteAgentCard} did. */
export type CardRewrite =
  /** `value` is the body with `rewrittenUrls` (at least one) URLs moved to the proxy. */
  | { readonly kind: 'rewritten'; readonly value: unknown; readonly rewrittenUrls: number }
  /** The body is no agent card, nor a JSON-RPC response holding one (a JSON-RPC error, say). */
  | { readonly kind: 'not_a_card' }
  /** The card carries signatures (`signatures` not empty): changing it would break them. */
  | { readonly kind: 'signed' }
  /** No endpoint URL of the card points at the agent (they already name the proxy, or another host). */
  | { readonly kind: 'no_upstream_urls' };

/**
 * The agent card of a body: the body itself (`/.well-known/agent-card.json`, the HTTP+JSON
 * extended card), or the `result` of a JSON-RPC response (`GetExtendedAgentCard`,
 * `agent/getAuthenticatedExtendedCard`). A card has a `url` (0.3) or an interface list (1.0).
 */
function cardOf(body: unknown): JsonObject | undefined {
  if (!isObject(body)) return undefined;
  const card = 'jsonrpc' in body ? body['result'] : body;
  if (!isObject(card)) return undefined;
  const hasInterfaces = INTERFACE_LIST_FIELDS.some((field) => Array.isArray(card[field]));
  return typeof card['url'] === 'string' || hasInterfaces ? card : undefined;
}

/** The card with its endpoint URLs passed through `move`; `count` says how many changed. */
function movedCard(card: JsonObject, move: (url: string) => string | undefined): { card: JsonObject; count: number } {
  let count = 0;
  const moved = (url: unknown): unknown => {
    if (typeof url !== 'string') return url;
    const next = move(url);
    if (next === undefined || next === url) return url;
    count++;
    return next;
  };
  const result: JsonObject = { ...card };
  if ('url' in card) result['url'] = moved(card['url']);
  for (const field of INTERFACE_LIST_FIELDS) {
    const list = card[field];
    if (!Array.isArray(list)) continue;
    result[field] = list.map((entry: unknown) => (isObject(entry) && 'url' in entry ? { ...entry, url: moved(entry['url']) } : entry));
  }
  return { card: result, count };
}

/**
 * Moves the endpoint URLs of the agent card in `body` (see {@link cardOf}) with `move` (usually
 * {@link proxiedEndpointUrl}): the 0.3 `url`, and the `url` of every entry of `supportedInterfaces`
 * (1.0) and `additionalInterfaces` (0.3). Other URLs (`provider.url`, `documentationUrl`,
 * `iconUrl`, OAuth endpoints) are no A2A endpoints and stay. A signed card is left alone.
 * `body` is not modified.
 */
export function rewriteAgentCard(body: unknown, move: (url: string) => string | undefined): CardRewrite {
  const card = cardOf(body);
  if (card === undefined) return { kind: 'not_a_card' };
  const signatures = card['signatures'];
  if (Array.isArray(signatures) && signatures.length > 0) return { kind: 'signed' };
  const moved = movedCard(card, move);
  if (moved.count === 0) return { kind: 'no_upstream_urls' };
  const value = isObject(body) && 'jsonrpc' in body ? { ...body, result: moved.card } : moved.card;
  return { kind: 'rewritten', value, rewrittenUrls: moved.count };
}
