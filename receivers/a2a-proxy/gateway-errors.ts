/**
 * @module The proxy's own answers when the agent fails it: 502 when it cannot be reached, 504 when it
 * does not answer in time, each with the collector's JSON error body; an answer already started is
 * cut instead.
 */
import type { ServerResponse } from 'node:http';
import { CollectorError } from '../../src/errors.js';
import type { UpstreamTimeout } from './upstream-timer.js';

/** The text of an error reaching the agent, with its code (`ECONNREFUSED: ...`) when its message lacks it. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined || error.message.includes(code) ? error.message : `${code}: ${error.message}`;
}

/** The 502 message for an agent at `upstreamHref` that `error` kept the proxy from reaching. */
export function unreachableMessage(upstreamHref: string, error: unknown): string {
  return `the A2A agent at ${upstreamHref} cannot be reached: ${errorText(error)}`;
}

/** The 504 message for an agent at `upstreamHref` whose `phase` timeout of `millis` milliseconds fired. */
export function timeoutMessage(upstreamHref: string, phase: UpstreamTimeout, millis: number): string {
  return phase === 'response'
    ? `the A2A agent at ${upstreamHref} did not start its answer within ${millis} ms (proxy.response_timeout_millis)`
    : `the A2A agent at ${upstreamHref} sent nothing for ${millis} ms in the middle of its answer (proxy.idle_timeout_millis)`;
}

/**
 * Answers `status` with an `A2A_ERR_UPSTREAM_UNAVAILABLE` error saying `message`: 502 (RFC 9110
 * §15.6.3) when the agent cannot be reached, 504 (RFC 9110 §15.6.5) when it was reached but did not
 * answer in time. Cuts the response instead when it has started (or is gone).
 */
export function sendGatewayError(response: ServerResponse, status: 502 | 504, message: string): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const body = JSON.stringify(new CollectorError('A2A_ERR_UPSTREAM_UNAVAILABLE', message).toJSON());
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
