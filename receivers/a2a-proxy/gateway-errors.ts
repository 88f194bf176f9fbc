/**
 * @module The proxy's own answers when the agent fails it: 502 when it cannot be reached, 504 when it
 * does not answer in time, each with the collector's JSON error body; an answer already started is
 * cut instead.
 */
import type { ServerResponse } from 'node:http';
import type { CollectorError } from '../../src/errors.js';

/** The text of an error reaching the agent, with its code (`ECONNREFUSED: ...`) when its message lacks it. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined || error.message.includes(code) ? error.message : `${code}: ${error.message}`;
}

/**
 * Answers `status` with `error` (`A2A_ERR_UPSTREAM_UNAVAILABLE`): 502 (RFC 9110
 * §15.6.3) when the agent cannot be reached, 504 (RFC 9110 §15.6.5) when it was reached but did not
 * answer in time. Cuts the response instead when it has started (or is gone).
 */
export function sendGatewayError(response: ServerResponse, status: 502 | 504, error: CollectorError): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
