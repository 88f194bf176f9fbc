/**
 * @module Reads a request body with a byte limit, from Node's IncomingMessage or, in process, from
 * the Web Request, holds the bytes of a Node request against the bound all bodies in flight share,
 * and undoes its `Content-Encoding` (gzip, deflate) with the same limit on the decoded bytes. Shared
 * by the receivers. Going through the Web `Request` body under @hono/node-server builds a full undici
 * Request per call, which cost more than all of our own per-request work (see bench/).
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from 'node:zlib';
import type { Context } from 'hono';
import type { CollectorError } from '../errors.js';
import type { ByteBudget } from './byte-budget.js';
import * as errors from '../error-catalog.js';

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
export async function readIncomingText(incoming: IncomingMessage, maxBytes: number, budget?: ByteBudget): Promise<string> {
  const coded = await readIncomingBytes(incoming, maxBytes, budget);
  const encoding = incoming.headers['content-encoding'];
  return (await decodeContent(coded, Array.isArray(encoding) ? encoding.join(',') : encoding, maxBytes)).toString('utf8');
}

/** The body of a Node request as it came (still content-coded), with the limit and budget of {@link readIncomingText}. */
export function readIncomingBytes(incoming: IncomingMessage, maxBytes: number, budget?: ByteBudget): Promise<Buffer> {
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
      if (error === undefined) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
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
  return (await decodeContent(Buffer.from(buffer), c.req.header('content-encoding'), maxBytes)).toString('utf8');
}

type Inflate = (buffer: InputType, options: ZlibOptions) => Promise<Buffer>;
const DECODERS: Readonly<Record<string, Inflate>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
};
const inflateRawAsync: Inflate = promisify(inflateRaw);

/** The content codings of a `Content-Encoding` value, in the order they were applied, `identity` left out. */
function codingsOf(contentEncoding: string | undefined): string[] {
  if (contentEncoding === undefined) return [];
  return contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/**
 * `body` with its content codings undone (gzip, deflate; `identity` and none leave it as it is),
 * producing at most `maxBytes`: zlib stops there, so a compression bomb costs no more than a body
 * of the limit. Decoding runs on the libuv thread pool, off the event loop.
 * @throws CollectorError 415 for another coding, 413 when the decoded body passes `maxBytes`, 400 when the coded bytes are corrupt.
 */
export async function decodeContent(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const codings = codingsOf(contentEncoding);
  let decoded = body;
  for (const coding of codings.reverse()) {
    // Own keys only: `constructor` is no coding.
    const decoder = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
    if (decoder === undefined) throw errors.unsupportedContentEncoding(coding);
    try {
      decoded = await decoder(decoded, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw errors.decodedBodyTooLarge(maxBytes);
      // `deflate` is the zlib format (RFC 9110 §8.4.1.2), but some clients send raw deflate.
      if (coding === 'deflate') {
        try {
          decoded = await inflateRawAsync(decoded, { maxOutputLength: maxBytes });
          continue;
        } catch (rawError) {
          if ((rawError as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw errors.decodedBodyTooLarge(maxBytes);
        }
      }
      throw errors.undecodableBody(coding, (error as Error).message);
    }
  }
  return decoded;
}
