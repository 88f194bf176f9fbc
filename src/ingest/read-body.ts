/**
 * @module Reads a request body with a byte limit, from Node's IncomingMessage or, in process, from
 * the Web Request. Going through the Web `Request` body under @hono/node-server builds a full undici
 * Request per call, which cost more than all of our own per-request work (see bench/).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { CollectorError } from '../errors.js';

function tooLarge(maxBytes: number): CollectorError {
  return new CollectorError('A2A_ERR_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
}

/**
 * The body of a Node request as UTF-8 text, refused with 413 once it passes `maxBytes` (checked
 * against Content-Length first, then while reading, so an oversize body is never held whole).
 */
export function readIncomingText(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) {
    incoming.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        incoming.removeAllListeners('data');
        incoming.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    incoming.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    incoming.once('error', reject);
  });
}

/** The body of a hono request as text, with the same limit (Node's IncomingMessage when there is one). */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env) {
    return readIncomingText((env as { incoming: IncomingMessage }).incoming, maxBytes);
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
  return Buffer.from(buffer).toString('utf8');
}
