/**
 * @module The content codings (RFC 9110 §8.4.1) the proxy can undo to read a body: gzip, deflate
 * and br, one at a time. Streaming decoders for answers read on their way to the client, and a
 * bounded whole-body decode for an agent card the proxy rewrites.
 */
import type { Transform } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, gunzipSync, inflateSync, type Zlib } from 'node:zlib';
import { headerListMembers, type RawHeaders } from './raw-headers.js';

/** The body's content codings, lower case, outermost last, `identity` left out. */
export function contentCodings(headers: RawHeaders): string[] {
  return headerListMembers(headers, 'content-encoding')
    .map((coding) => coding.toLowerCase())
    .filter((coding) => coding !== 'identity');
}

/** A zlib decoder: a Transform that counts the coded bytes it consumed (`bytesWritten`). */
export type Decoder = Transform & Zlib;

type Coding = 'gzip' | 'deflate' | 'br';

/** The one coding the proxy can undo, or undefined (no coding, several, or an unknown one). */
function decodableCoding(codings: readonly string[]): Coding | undefined {
  if (codings.length !== 1) return undefined;
  switch (codings[0]) {
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    case 'br':
      return 'br';
    default:
      return undefined;
  }
}

/** A streaming decoder for a body coded with `codings`; undefined when the proxy cannot undo them. */
export function createDecoder(codings: readonly string[]): Decoder | undefined {
  switch (decodableCoding(codings)) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Why {@link decodeBody} returned no body. */
export type DecodeFailure = 'undecodable' | 'decoded_too_large';

/**
 * Undoes `codings` on a whole `body` at once, producing at most `maxDecodedBytes` (zlib stops
 * there, so a compression bomb costs bounded CPU and memory). Meant for small bodies: it runs on
 * the calling thread.
 */
export function decodeBody(codings: readonly string[], body: Buffer, maxDecodedBytes: number): Buffer | DecodeFailure {
  const options = { maxOutputLength: maxDecodedBytes };
  try {
    switch (decodableCoding(codings)) {
      case 'gzip':
        return gunzipSync(body, options);
      case 'deflate':
        return inflateSync(body, options);
      case 'br':
        return brotliDecompressSync(body, options);
      default:
        return 'undecodable';
    }
  } catch (error) {
    return error instanceof RangeError ? 'decoded_too_large' : 'undecodable';
  }
}
