/**
 * @module The proxy's own metrics, registered on the collector's registry and served on its
 * /metrics: what happened to each proxied request, why traces were lost, how many bytes the proxy
 * held to read them, and which agent cards it rewrote. Every label comes from a closed set.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What became of one proxied request. Closed set (a label value):
 * - `traced`: the response carried traces and they were ingested;
 * - `no_trace`: an A2A response without a trace (or a JSON-RPC error);
 * - `not_a2a`: a JSON or event-stream response that is no A2A envelope (the agent card, say);
 * - `not_inspected`: a response with another media type or encoding, or no body;
 * - `ingest_failed`: the response was A2A but its traces could not be ingested (see the failure reasons);
 * - `upstream_unavailable`: the agent could not be reached; the client got 502;
 * - `upstream_aborted`: the agent cut the response; the client's is cut too;
 * - `upstream_timeout`: the agent did not start its answer within `proxy.response_timeout_millis`
 *   (the client got 504), or fell silent in its body for `proxy.idle_timeout_millis` (the client's
 *   answer was cut, or 504 if nothing was sent yet); the call to the agent was aborted;
 * - `client_aborted`: the client went away first; the request to the agent was aborted.
 */
export type ProxyOutcome =
  | 'traced'
  | 'no_trace'
  | 'not_a2a'
  | 'not_inspected'
  | 'ingest_failed'
  | 'upstream_unavailable'
  | 'upstream_aborted'
  | 'upstream_timeout'
  | 'client_aborted';

/**
 * Why a response's traces were (partly) not ingested. Closed set (a label value):
 * - `invalid_json`: a JSON body, or an event's data, is not JSON;
 * - `invalid_trace`: a trace failed validation (nothing of that response is ingested);
 * - `nesting_too_deep`: the JSON nests too deeply to walk;
 * - `queue_full`: an exporter queue had no room;
 * - `event_too_large`: an SSE event exceeded `proxy.max_event_bytes` (it passed through unread);
 * - `body_too_large`: a JSON body, or the trace-bearing events of one stream, exceeded `server.max_body_bytes`;
 * - `over_budget`: all responses together held `proxy.max_buffered_bytes`;
 * - `undecodable`: the body's `Content-Encoding` is unknown or its data is corrupt;
 * - `decoded_too_large`: a coded body inflated past 64 decoded bytes per coded byte (and past
 *   `proxy.max_buffered_bytes`), as a compression bomb does; the rest was not decoded;
 * - `internal`: a bug; logged.
 */
export type IngestFailureReason =
  | 'invalid_json'
  | 'invalid_trace'
  | 'nesting_too_deep'
  | 'queue_full'
  | 'event_too_large'
  | 'body_too_large'
  | 'over_budget'
  | 'undecodable'
  | 'decoded_too_large'
  | 'internal';

/**
 * Why `strip_trace` could not edit a response that should have been stripped. Closed set (a label
 * value): the ingest failure reasons of the same name, and
 * - `encoded`: the agent sent a content-coded body although the proxy asked for `identity`;
 * - `lossy_numbers`: the body (or an event's data) holds a number that re-serializing would change
 *   (an integer past 2^53, `1.10`), so it went through as the agent sent it, traces included.
 */
export type StripSkipReason = 'encoded' | 'event_too_large' | 'body_too_large' | 'over_budget' | 'invalid_json' | 'nesting_too_deep' | 'lossy_numbers';

/**
 * Why the proxy passed an agent card on as the agent sent it although `proxy.rewrite_agent_card`
 * is on. Closed set (a label value):
 * - `signed`: the card has `signatures`; rewriting would break them (also logged, once);
 * - `no_transform`: the response says `Cache-Control: no-transform` (RFC 9110 §7.7);
 * - `no_upstream_urls`: no endpoint URL of the card points at `proxy.upstream` (it names the proxy
 *   already, or the agent by another name);
 * - `not_a_card`: the answer to a card request holds no card (a JSON-RPC error, say);
 * - `lossy_numbers`: re-serializing the body would change one of its numbers (a JSON-RPC `id` past 2^53);
 * - the ingest failure reasons `invalid_json`, `nesting_too_deep`, `undecodable`,
 *   `decoded_too_large` (past `server.max_body_bytes`), `body_too_large` and `over_budget`.
 */
export type CardRewriteSkipReason =
  | 'signed'
  | 'no_transform'
  | 'no_upstream_urls'
  | 'not_a_card'
  | 'lossy_numbers'
  | 'invalid_json'
  | 'nesting_too_deep'
  | 'undecodable'
  | 'decoded_too_large'
  | 'body_too_large'
  | 'over_budget';

/** Upper bounds of the buffered-bytes histogram: 1 KiB to 64 MiB by powers of 4. */
const BUFFERED_BYTES_BUCKETS = [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

/** Counters, gauges and histograms of the proxy. */
export class ProxyMetrics {
  readonly requests: Counter<'outcome'>;
  readonly ingestFailures: Counter<'reason'>;
  readonly tracesIngested: Counter;
  readonly extensionAdded: Counter<'header'>;
  readonly strippedResponses: Counter;
  readonly stripSkipped: Counter<'reason'>;
  readonly inFlightRequests: Gauge;
  readonly bufferedBytes: Gauge;
  readonly responsePeakBufferedBytes: Histogram;
  readonly decodedBytes: Counter;
  readonly cardsRewritten: Counter;
  readonly cardRewriteSkipped: Counter<'reason'>;
  readonly refusedConnections: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({ name: 'a2a_proxy_requests_total', help: 'Requests the proxy forwarded, by outcome.', labelNames: ['outcome'], registers });
    this.ingestFailures = new Counter({
      name: 'a2a_proxy_ingest_failures_total',
      help: 'Responses whose traces were (partly) not ingested, by reason; the response itself passed through.',
      labelNames: ['reason'],
      registers,
    });
    this.tracesIngested = new Counter({ name: 'a2a_proxy_traces_ingested_total', help: 'ResponseTraces read from proxied responses and ingested.', registers });
    this.extensionAdded = new Counter({
      name: 'a2a_proxy_extension_added_total',
      help: 'Requests the proxy added the traceability extension to, by activation header.',
      labelNames: ['header'],
      registers,
    });
    this.strippedResponses = new Counter({ name: 'a2a_proxy_stripped_responses_total', help: 'Responses strip_trace removed traces from.', registers });
    this.stripSkipped = new Counter({
      name: 'a2a_proxy_strip_skipped_total',
      help: 'Responses (or stream events) strip_trace should have edited but passed through unchanged, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.inFlightRequests = new Gauge({ name: 'a2a_proxy_in_flight_requests', help: 'Requests being proxied now.', registers });
    this.bufferedBytes = new Gauge({
      name: 'a2a_proxy_buffered_bytes',
      help: 'Bytes all in-flight responses hold now to read traces (bounded by proxy.max_buffered_bytes).',
      registers,
    });
    this.decodedBytes = new Counter({
      name: 'a2a_proxy_decoded_bytes_total',
      help: 'Bytes the proxy inflated from content-coded (gzip, deflate, br) responses to read them.',
      registers,
    });
    this.cardsRewritten = new Counter({
      name: 'a2a_proxy_cards_rewritten_total',
      help: 'Agent cards whose endpoint URLs the proxy moved from the agent to itself.',
      registers,
    });
    this.cardRewriteSkipped = new Counter({
      name: 'a2a_proxy_card_rewrite_skipped_total',
      help: 'Agent cards passed on as the agent sent them although rewrite_agent_card is on, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.refusedConnections = new Counter({
      name: 'a2a_proxy_refused_connections_total',
      help: 'Connections to the proxy closed as soon as accepted because server.max_connections were open.',
      registers,
    });
    this.responsePeakBufferedBytes = new Histogram({
      name: 'a2a_proxy_response_peak_buffered_bytes',
      help: 'Most bytes one response held at once to read traces: an unfinished SSE event plus trace-bearing events, or a JSON body.',
      buckets: BUFFERED_BYTES_BUCKETS,
      registers,
    });
  }
}
