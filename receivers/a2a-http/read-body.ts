/**
 * @module Reads a request body with a byte limit, from Node's IncomingMessage or, in process, from
 * the Web Request, and holds the bytes of a Node request against the bound all bodies in flight
 * share. Going through the Web `Request` body under @hono/node-server builds a full undici Request
 * per call, which cost more than all of our own per-request work (see bench/).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { CollectorError } from '../../src/errors.js';
import type { ByteBudget } from '../../src/http/byte-budget.js';
import * as errors from '../../src/error-catalog.js';

/** Seconds a client refused for want of body budget is asked to wait: bodies in flight end within a request timeout. */
export const BODY_BUDGET_RETRY_AFTER_SECONDS = 1;

function overBudget(budget: ByteBudget, bytes: number): CollectorError {
  if (bytes > budget.capacityBytes) return errors.bodyOverInFlightBudget(budget.capacityBytes);
  return errors.inFlightBudgetFull(budget.capacityBytes, BODY_BUDGET_RETRY_AFTER_SECONDS);
}

/**
 * The body of a Node request as UTF-8 text, refused with 413 once it passes `maxBytes` (checked
 * against Content-Length first, then while reading, so an oversize body is never held whole).
 *
 * With a `budget`, the body's bytes are reserved in it while the body is read: a declared
 * `Content-Length` all at once before anything is read, a chunked body chunk by chunk. A body that
 * does not fit is refused, 503 with `Retry-After` (413 when it alone passes the budget's capacity).
 * Everything reserved is released when the body has been read, or when the request fails or is
 * cut; callers MUST NOT release it themselves.
 */
export function readIncomingText(incoming: IncomingMessage, maxBytes: number, budget?: ByteBudget): Promise<string> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    incoming.resume();
    return Promise.reject(errors.bodyTooLarge(maxBytes));
  }
  const declaredLength = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  let reserved = 0;
  if (budget !== undefined && declaredLength !== undefined) {
    if (!budget.tryReserve(declaredLength)) {
      incoming.resume();
      return Promise.reject(overBudget(budget, declaredLength));
    }
    reserved = declaredLength;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      budget?.release(reserved);
      reserved = 0;
      if (error === undefined) resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    };
    const refuse = (error: CollectorError): void => {
      incoming.removeAllListeners('data');
      incoming.resume();
      chunks.length = 0;
      settle(error);
    };
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        refuse(errors.bodyTooLarge(maxBytes));
        return;
      }
      if (budget !== undefined && size > reserved) {
        // Only a body without Content-Length gets here: node never delivers more than one declares.
        if (!budget.tryReserve(size - reserved)) {
          refuse(overBudget(budget, size));
          return;
        }
        reserved = size;
      }
      chunks.push(chunk);
    });
    incoming.once('end', () => settle(undefined));
    incoming.once('error', (error) => settle(error));
    // A client that goes away mid-body may end the request with 'close' alone.
    incoming.once('close', () => settle(new Error('the request was closed before its body ended')));
  });
}

/**
 * The body of a hono request as text, with the same limit (Node's IncomingMessage when there is one,
 * held against `budget` as {@link readIncomingText} does; a body in process is not).
 */
export async function readBodyText(c: Context, maxBytes: number, budget?: ByteBudget): Promise<string> {
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    return readIncomingText((env as { incoming: IncomingMessage }).incoming, maxBytes, budget);
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw errors.bodyTooLarge(maxBytes);
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw errors.bodyTooLarge(maxBytes);
  return Buffer.from(buffer).toString('utf8');
}
