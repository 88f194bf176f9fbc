/**
 * @module Reads a request body with a byte limit. Under @hono/node-server it reads Node's
 * IncomingMessage directly: going through the Web `Request` body makes the adapter build a full
 * undici Request per call, which cost more than all of our own per-request work (see bench/).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { CollectorError } from '../errors.js';

function tooLarge(maxBytes: number): CollectorError {
  return new CollectorError('A2A_ERR_BODY_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);
}

function incomingOf(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  return (env as { incoming: IncomingMessage }).incoming;
}

/**
 * The body as UTF-8 text, refused with 413 once it passes `maxBytes` (checked against
 * Content-Length first, then while reading, so an oversize body is never held whole).
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const incoming = incomingOf(c);
  if (incoming === undefined) {
    const buffer = await c.req.arrayBuffer();
    if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
    return Buffer.from(buffer).toString('utf8');
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
