/**
 * @module Every error the collector reports to a user, with its code and message template, in one
 * place (as fastify's `createError` keeps its codes): callers pass the values, the catalog words
 * them. The codes and statuses are in errors.ts and documented in docs/errors.md.
 */
import { CollectorError, type FieldIssue, type IssueList } from './errors.js';

type Issues = readonly FieldIssue[] | IssueList;

// A2A_ERR_INVALID_JSON

/** The body does not parse as JSON; `reason` is the parser's. */
export function invalidJson(reason: string): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_JSON', 'the body is not valid JSON', [{ path: '', reason }]);
}

/** Events of an event stream whose data is not JSON, one issue each. */
export function invalidEvents(issues: Issues): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_JSON', 'events of the event stream are not valid JSON', issues);
}

// A2A_ERR_INVALID_TRACE

/** One trace read on its own is not a valid ResponseTrace. */
export function invalidTrace(issues: Issues): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_TRACE', 'the body is not a valid ResponseTrace', issues);
}

/** Some trace of the body is invalid, so none of them was taken. */
export function invalidTraces(issues: Issues): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_TRACE', 'the body holds invalid traces; nothing was accepted', issues);
}

/** The body is none of the accepted shapes; `expected` lists them. */
export function notATrace(expected: string): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_TRACE', 'the body is not a ResponseTrace', [{ path: '', reason: expected }]);
}

/** An empty JSON array, or an empty `"traces"`. */
export function noTraceToIngest(where: 'array' | 'traces'): CollectorError {
  return where === 'array'
    ? new CollectorError('A2A_ERR_INVALID_TRACE', 'empty array: no trace to ingest', [{ path: '', reason: 'empty array' }])
    : new CollectorError('A2A_ERR_INVALID_TRACE', 'empty "traces": no trace to ingest', [{ path: 'traces', reason: 'empty array' }]);
}

/** The body holds only JSON-RPC error responses: `first` describes the first, `total` counts them all. */
export function onlyErrorResponses(first: string, total: number, issues: Issues): CollectorError {
  const more = total > 1 ? ` (and ${total - 1} more error responses)` : '';
  return new CollectorError('A2A_ERR_INVALID_TRACE', `no trace in an error response: ${first}${more}`, issues);
}

// A2A_ERR_NESTING_TOO_DEEP

/** Nested `response_trace`s deeper than `mapping.max_nesting_depth`, at `path`. */
export function nestingTooDeep(limit: number, path: string): CollectorError {
  return new CollectorError('A2A_ERR_NESTING_TOO_DEEP', `nested response traces go deeper than ${limit} levels`, [
    { path, reason: `nesting depth exceeds the limit of ${limit}` },
  ]);
}

/** JSON that parses but nests too deeply for the walks after parsing. */
export function nestedTooDeeplyToRead(): CollectorError {
  return new CollectorError('A2A_ERR_NESTING_TOO_DEEP', 'the body nests objects or arrays too deeply to read', [{ path: '', reason: 'nested too deeply' }]);
}

// A2A_ERR_UNDECODABLE_BODY

/** A body whose content coding does not decode (corrupt or cut gzip/deflate data). */
export function undecodableBody(coding: string, reason: string): CollectorError {
  return new CollectorError('A2A_ERR_UNDECODABLE_BODY', `the body is not valid ${coding} data`, [{ path: '', reason }]);
}

// A2A_ERR_INVALID_OTLP

/** An OTLP export request that does not decode, or whose resource or scope is malformed: nothing of it was taken. */
export function invalidOtlp(issues: Issues): CollectorError {
  return new CollectorError('A2A_ERR_INVALID_OTLP', 'the body is not a valid OTLP ExportTraceServiceRequest; nothing was accepted', issues);
}

// A2A_ERR_NO_TRACE_IN_ENVELOPE

/** An A2A envelope without a trace; `keys` are the metadata keys searched, `issues` every place searched. */
export function noTraceInEnvelope(keys: string, issues: Issues): CollectorError {
  return new CollectorError(
    'A2A_ERR_NO_TRACE_IN_ENVELOPE',
    'no ResponseTrace in the A2A envelope: searched the metadata of Tasks, status and artifact updates, Messages ' +
      `(status messages and history too) and Artifacts under the keys ${keys}, and data and text parts`,
    issues,
  );
}

// A2A_ERR_UPSTREAM_UNAVAILABLE

/** The proxy cannot reach the agent at `upstream`; `error` is what kept it. */
export function upstreamUnreachable(upstream: string, error: string): CollectorError {
  return new CollectorError('A2A_ERR_UPSTREAM_UNAVAILABLE', `the A2A agent at ${upstream} cannot be reached: ${error}`);
}

/** The agent at `upstream` did not start its answer (`response`), or fell silent inside it (`idle`), for `millis`. */
export function upstreamTimedOut(upstream: string, phase: 'response' | 'idle', millis: number): CollectorError {
  return new CollectorError(
    'A2A_ERR_UPSTREAM_UNAVAILABLE',
    phase === 'response'
      ? `the A2A agent at ${upstream} did not start its answer within ${millis} ms (proxy.response_timeout_millis)`
      : `the A2A agent at ${upstream} sent nothing for ${millis} ms in the middle of its answer (proxy.idle_timeout_millis)`,
  );
}

// A2A_ERR_UNSUPPORTED_MEDIA_TYPE

/** A `Content-Type` on `POST /v1/traces` that is not one of OTLP/HTTP's two encodings. */
export function unsupportedOtlpMediaType(mediaType: string): CollectorError {
  return new CollectorError('A2A_ERR_UNSUPPORTED_MEDIA_TYPE', `content type ${mediaType} is not accepted on /v1/traces; send application/x-protobuf or application/json`);
}

/** A `Content-Encoding` other than gzip, deflate and identity. */
export function unsupportedContentEncoding(coding: string): CollectorError {
  return new CollectorError('A2A_ERR_UNSUPPORTED_MEDIA_TYPE', `content encoding ${coding} is not accepted; send the body as it is, gzip or deflate`);
}

/** A `Content-Type` that is neither JSON nor an event stream. */
export function unsupportedMediaType(mediaType: string): CollectorError {
  return new CollectorError(
    'A2A_ERR_UNSUPPORTED_MEDIA_TYPE',
    `content type ${mediaType} is not accepted; send application/json, or text/event-stream for a stream transcript`,
  );
}

// A2A_ERR_BODY_TOO_LARGE

/** A content-coded body that passes `server.max_body_bytes` once decoded. */
export function decodedBodyTooLarge(maxBytes: number): CollectorError {
  return new CollectorError('A2A_ERR_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes once decoded`);
}

/** A body past `server.max_body_bytes`. */
export function bodyTooLarge(maxBytes: number): CollectorError {
  return new CollectorError('A2A_ERR_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
}

/** A body larger than all bodies in flight may hold (`server.max_in_flight_body_bytes`). */
export function bodyOverInFlightBudget(capacityBytes: number): CollectorError {
  return new CollectorError(
    'A2A_ERR_BODY_TOO_LARGE',
    `request body is larger than the ${capacityBytes} bytes all bodies in flight may hold (server.max_in_flight_body_bytes)`,
  );
}

/** Without a spool, a request whose spans are more than an exporter's whole queue can ever hold. */
export function spansOverQueue(bytes: number, exporter: string, capacityBytes: number): CollectorError {
  return new CollectorError(
    'A2A_ERR_BODY_TOO_LARGE',
    `the request's spans (about ${bytes} bytes) exceed exporter ${exporter}'s queue (sending_queue.queue_size_bytes ${capacityBytes}); send fewer traces per request`,
  );
}

// A2A_ERR_UNAUTHORIZED

/** `server.auth_token` is set and the request lacks it. */
export function unauthorized(): CollectorError {
  return new CollectorError('A2A_ERR_UNAUTHORIZED', 'missing or wrong bearer token');
}

// A2A_ERR_QUEUE_FULL

/** Without a spool, exporter `exporter`'s queue has no room. */
export function queueFull(exporter: string, retryAfterSeconds: number): CollectorError {
  return new CollectorError('A2A_ERR_QUEUE_FULL', `exporter ${exporter} is behind and its queue is full; retry later`, [], retryAfterSeconds);
}

/** The bodies being read hold the whole in-flight budget. */
export function inFlightBudgetFull(capacityBytes: number, retryAfterSeconds: number): CollectorError {
  return new CollectorError(
    'A2A_ERR_QUEUE_FULL',
    `the bodies being read hold server.max_in_flight_body_bytes (${capacityBytes} bytes); retry later`,
    [],
    retryAfterSeconds,
  );
}

// A2A_ERR_SPOOL_FULL

/** The spool holds `spool.max_bytes` of records some exporter has not delivered. */
export function spoolFull(capacityBytes: number, retryAfterSeconds: number): CollectorError {
  return new CollectorError(
    'A2A_ERR_SPOOL_FULL',
    `the spool holds spool.max_bytes (${capacityBytes}) of records an exporter has not delivered; retry later`,
    [],
    retryAfterSeconds,
  );
}

// A2A_ERR_SPOOL_UNAVAILABLE

/** Writing the request to the spool failed. */
export function spoolUnavailable(retryAfterSeconds: number): CollectorError {
  return new CollectorError('A2A_ERR_SPOOL_UNAVAILABLE', 'the spool could not be written; retry later', [], retryAfterSeconds);
}

// A2A_ERR_NOT_FOUND

/** No route for `method` `path`. */
export function noRoute(method: string, path: string): CollectorError {
  return new CollectorError('A2A_ERR_NOT_FOUND', `no route ${method} ${path}`);
}

/** The query API with `store.enabled: false`. */
export function storeDisabled(): CollectorError {
  return new CollectorError('A2A_ERR_NOT_FOUND', 'the trace store is disabled');
}

/** No trace with OTel or A2A id `id` in the store. */
export function noSuchTrace(id: string): CollectorError {
  return new CollectorError('A2A_ERR_NOT_FOUND', `no trace with id ${JSON.stringify(id)} in the store`);
}

// A2A_ERR_INTERNAL

/** A bug: the request was not accepted. */
export function internal(): CollectorError {
  return new CollectorError('A2A_ERR_INTERNAL', 'internal error; the request was not accepted');
}

// CFG_ERR_INVALID

/** The configuration fails validation; `issues` lists every problem with its key path. */
export function invalidConfig(issues: readonly FieldIssue[]): CollectorError {
  return new CollectorError('CFG_ERR_INVALID', `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'})`, issues);
}

// CFG_ERR_FILE

/** The config file at `path` cannot be read. */
export function configUnreadable(path: string, reason: string): CollectorError {
  return new CollectorError('CFG_ERR_FILE', `cannot read config file ${path}: ${reason}`, [{ path: '', reason }]);
}

/** The config file at `path` is not YAML. */
export function configNotYaml(path: string, reason: string): CollectorError {
  return new CollectorError('CFG_ERR_FILE', `config file ${path} is not valid YAML`, [{ path: '', reason }]);
}

// CFG_ERR_SPOOL_LOCKED

/** Another running collector, process `pid`, holds the spool directory. */
export function spoolLocked(directory: string, pid: number): CollectorError {
  return new CollectorError('CFG_ERR_SPOOL_LOCKED', `spool directory ${directory} is in use by process ${pid}; give each collector its own spool.directory`);
}
