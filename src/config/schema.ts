/**
 * @module The one configuration schema (YAML file, environment and flags all land here), validated
 * whole before any socket opens; unknown keys are refused. Every default is stated here.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** Where the exporters section's ids must look like the Collector's `type/name`. */
export const EXPORTER_ID = /^[a-z][a-z0-9_]*(?:\/[A-Za-z0-9_.-]+)?$/;

/** Top-level config. */
export const ConfigSchema = z.strictObject({
  server: z
    .strictObject({
      /** Interface to listen on. Default loopback. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Port to listen on; 0 picks a free one. Default 4320. */
      port: z.number().int().min(0).max(65535).default(4320),
      /** Largest accepted request body, in bytes. Default 8 MiB. */
      max_body_bytes: positiveInt.default(8 * 1024 * 1024),
      /** When set, ingest requires `Authorization: Bearer <token>`. */
      auth_token: z.string().min(1).optional(),
      /** Bytes of all request bodies being read at once; a request that would pass it gets 503 with `Retry-After` before its body is read (413 when it alone would). Default 64 MiB. */
      max_in_flight_body_bytes: positiveInt.default(64 * 1024 * 1024),
      /** How long a client may take to send a request's headers before its connection is closed (408), in milliseconds; also bounds an idle new connection. Default 10,000. */
      headers_timeout_millis: positiveInt.default(10_000),
      /** How long a client may take to send a whole request, body included, in milliseconds (at least `headers_timeout_millis`). Default 60,000. */
      request_timeout_millis: positiveInt.default(60_000),
      /** How long an idle keep-alive connection stays open after a response, in milliseconds. Default 5,000. */
      keep_alive_timeout_millis: positiveInt.default(5_000),
      /** Most connections open at once (the proxy's listener has its own as many); later ones are closed at once. Default 1,024. */
      max_connections: positiveInt.default(1024),
    })
    .refine((server) => server.headers_timeout_millis <= server.request_timeout_millis, {
      path: ['headers_timeout_millis'],
      error: 'must not be larger than server.request_timeout_millis',
    })
    .prefault({}),
  service: z
    .strictObject({
      /** service.name of the agent whose traces are ingested (the root of each trace). Default `a2a-agent`. */
      name: z.string().min(1).default('a2a-agent'),
      /** Extra resource attributes on every span. */
      resource_attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    })
    .prefault({}),
  mapping: z
    .strictObject({
      /** How reported costs and tokens are read (DESIGN §3). Default `auto`. */
      cost_mode: z.enum(['auto', 'inclusive', 'exclusive']).default('auto'),
      /** Currency of costs, written to `a2a.cost.currency` and the metrics' `currency` label. Default `USD`. */
      currency: z.string().min(1).max(16).default('USD'),
      /** Longest string attribute, in characters. Default 4,096. */
      max_attribute_length: positiveInt.default(4096),
      /** Deepest nesting of response traces accepted. Default 32. */
      max_nesting_depth: positiveInt.max(1000).default(32),
      /** Most steps in one trace, nested ones included. Default 10,000. */
      max_steps_per_trace: positiveInt.default(10_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** Keep recent traces for the query API. Default true. */
      enabled: z.boolean().default(true),
      /** Most traces kept. Default 1,000. */
      max_traces: positiveInt.default(1000),
      /** Most bytes (estimated) kept. Default 64 MiB. */
      max_bytes: positiveInt.default(64 * 1024 * 1024),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Serve span metrics on /metrics. Default true. */
      enabled: z.boolean().default(true),
      /** Distinct values per label before new ones become `__overflow__`. Default 100. */
      max_label_values: positiveInt.default(100),
      /** Label combinations per span metric, the overflow one included; past it new combinations are counted in one series whose labels are all `__overflow__`. Default 2,000. */
      max_series: positiveInt.default(2000),
    })
    .prefault({}),
  /** The durable spool (README "Durable spool"): what exporters have not delivered survives a restart. */
  spool: z
    .strictObject({
      /** Keep a spool whenever an exporter is configured. Default true. */
      enabled: z.boolean().default(true),
      /** Directory of the spool. Default `$XDG_STATE_HOME/a2a-trace-collector/spool-<port>` (`~/.local/state/...`); with `server.port: 0`, a temporary directory removed at shutdown. */
      directory: z.string().min(1).optional(),
      /** `batch`: a request is answered once its record is written to the OS (survives `kill -9`); `always`: once fsync'd (survives power loss). Default `batch`. */
      fsync: z.enum(['batch', 'always']).default('batch'),
      /** Most bytes of records on disk; past it ingest answers 503. Default 1 GiB. */
      max_bytes: positiveInt.default(1024 * 1024 * 1024),
      /** Size of one segment file; whole segments are deleted once every exporter is past them. Default 16 MiB. */
      segment_bytes: positiveInt.default(16 * 1024 * 1024),
    })
    .prefault({}),
  /** Counting every step exactly once (README "Counted exactly once"). */
  accounting: z
    .strictObject({
      /** Bytes the counted-once ledger may hold (estimated, about 320 per span); past it the oldest traces are forgotten. Default 32 MiB. */
      ledger_max_bytes: positiveInt.default(32 * 1024 * 1024),
      /** How long a trace with steps in flight or orphaned waits after its last change before its duration and cost histograms are observed, in milliseconds. Default 30,000. */
      trace_settle_millis: positiveInt.default(30_000),
      /**
       * Callee agents that run a sidecar of their own, which counts and exports their steps: their
       * nested traces are linked from the AGENT step instead of counted and exported here. Each
       * entry is an agent name (`agent_name`, exact), a URL prefix (`http://weather:8080/`, matched
       * against `agent_url`), or `*` for every callee. Give every sidecar of a fleet the same list.
       * Default none: nested traces are counted here.
       */
      sidecar_agents: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /**
   * The A2A reverse proxy run by the `proxy` command in front of one agent (receivers/a2a-proxy). Absent: no
   * proxy. The collector's own API stays on `server`.
   */
  proxy: z
    .strictObject({
      /** Base URL of the one A2A agent to forward to (`http://127.0.0.1:9999`); a path in it prefixes every request path. Required. */
      upstream: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
      /** Interface the proxy listens on. Default loopback. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Port the proxy listens on; 0 picks a free one. Default 4321. */
      port: z.number().int().min(0).max(65535).default(4321),
      /** Remove the trace from responses to clients that did not request the traceability extension themselves. Default false. */
      strip_trace: z.boolean().default(false),
      /** Largest SSE event (or line) read for traces, in bytes; a longer one passes through unread, the events after it are still read. Default 4 MiB. */
      max_event_bytes: positiveInt.default(4 * 1024 * 1024),
      /** Bytes all in-flight responses together may hold for inspection; past it a response is passed through uninspected. Default 64 MiB. */
      max_buffered_bytes: positiveInt.default(64 * 1024 * 1024),
      /** How long connecting to the agent may take before the client gets 502, in milliseconds. Default 10,000. */
      connect_timeout_millis: positiveInt.default(10_000),
      /** How long the agent may take to start its answer (its status line and headers) once it has the request, in milliseconds; then the client gets 504 and the call to the agent is aborted. Default 120,000. */
      response_timeout_millis: positiveInt.default(120_000),
      /** Longest silence inside an answer's body (between two reads, an SSE stream's events included), in milliseconds; then the answer is cut for the client (504 if nothing was sent yet) and the call to the agent aborted. Default 300,000. */
      idle_timeout_millis: positiveInt.default(300_000),
      /**
       * Move the endpoint URLs of the agent cards the proxy relays (`url`, `additionalInterfaces[].url`,
       * `supportedInterfaces[].url`) from `upstream` to the proxy's own address, so clients that follow
       * the card stay on the proxy. A signed card passes unchanged. Default true.
       */
      rewrite_agent_card: z.boolean().default(true),
      /**
       * Build the proxy's address for rewritten cards from `X-Forwarded-Host` / `X-Forwarded-Proto`, as
       * a reverse proxy in front of it sets them. Default false: only the request's `Host` (else the
       * listen address) counts, since anyone can send these fields.
       */
      trust_forwarded_headers: z.boolean().default(false),
    })
    .optional(),
  /**
   * Receivers by id (`type` or `type/name`), each validated against its type's own schema (receivers/).
   * Absent: the `otlp` receiver with its defaults (OTLP/HTTP on `server.port`). `{}`: none but A2A ingest.
   */
  receivers: z
    .record(z.string().regex(EXPORTER_ID, 'receiver ids look like `type` or `type/name`'), z.record(z.string(), z.unknown()).nullable())
    .optional(),
  /** Prices that turn tokens into cost where a span or step reports tokens and a model but no cost (README "Cost from a price table"). */
  pricing: z
    .strictObject({
      /** A price table (JSON or YAML, the shape of the shipped one) used instead of the shipped table; re-read when it changes. */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Exporters by id (`type` or `type/name`), each validated against its type's own schema. */
  exporters: z
    .record(z.string().regex(EXPORTER_ID, 'exporter ids look like `type` or `type/name`'), z.record(z.string(), z.unknown()).nullable())
    .default({}),
  /** Log level. Default `info`. */
  log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** Config after validation and defaults, exporters not yet typed. */
export type ParsedConfig = z.infer<typeof ConfigSchema>;
