/**
 * @module One HTTP POST of an export request, answered as an {@link ExportOutcome}: the transport
 * seam under the exporters that speak HTTP (OTLP, Zipkin), so that every one of them reports the
 * status code, `Retry-After` and request errors the same way. It never retries: retry is one layer,
 * the pipeline's `RetryingExporter`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import {
  ExportFailure,
  classifyHttpStatus,
  isRetryableNetworkError,
  parseRetryAfterMillis,
  type ExportOutcome,
} from './export-outcome.js';

/** Most bytes of an answer's body kept (a partial-success answer, or the text quoted in an error). */
const MAX_KEPT_RESPONSE_BYTES = 64 * 1024;
/** Most characters of an error answer's body quoted in the error message. */
const MAX_QUOTED_BODY_CHARS = 200;

/** One export request. */
export interface HttpExportRequest {
  /** `http:` or `https:` URL the body is posted to. */
  readonly url: string;
  /** Request headers (content type, encoding, authentication). */
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded (and, if so, already compressed) body. */
  readonly body: Uint8Array;
  /** An attempt that has not been fully answered by then is abandoned as retryable, in milliseconds. */
  readonly timeoutMillis: number;
  /** Connection pool to use. Default: Node's global agent. */
  readonly agent?: http.Agent | undefined;
}

/** What came back. */
export interface HttpExportAnswer {
  readonly outcome: ExportOutcome;
  /** The first {@link MAX_KEPT_RESPONSE_BYTES} of the answer's body; empty without an answer. */
  readonly body: Buffer;
}

/** The outcome of an HTTP answer, by {@link classifyHttpStatus}; `Retry-After` is read on retryable statuses. */
function outcomeOfAnswer(url: URL, response: http.IncomingMessage, body: Buffer): ExportOutcome {
  const statusCode = response.statusCode ?? 0;
  const verdict = classifyHttpStatus(statusCode);
  if (verdict === 'success') return { kind: 'success' };
  const text = body.toString('utf8', 0, Math.min(body.length, MAX_QUOTED_BODY_CHARS * 4)).slice(0, MAX_QUOTED_BODY_CHARS).trim();
  const message = `${url.host} answered ${statusCode} ${response.statusMessage ?? ''}`.trim() + (text === '' ? '' : `: ${text}`);
  const retryAfterMillis = verdict === 'retryable' ? parseRetryAfterMillis(response.headers['retry-after'], Date.now()) : undefined;
  return new ExportFailure(message, { kind: verdict, retryAfterMillis, statusCode }).outcome;
}

/**
 * Posts `request.body` once. Never rejects: an answer is classified by its status, a request error
 * by its code ({@link isRetryableNetworkError}), and an attempt past `timeoutMillis` is retryable.
 */
export function postExportRequest(request: HttpExportRequest): Promise<HttpExportAnswer> {
  return new Promise((resolve) => {
    const url = new URL(request.url);
    let settled = false;
    const finish = (outcome: ExportOutcome, body: Buffer = Buffer.alloc(0)): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ outcome, body });
    };
    const send = url.protocol === 'https:' ? https.request : http.request;
    const outgoing = send(
      url,
      { method: 'POST', headers: { ...request.headers, 'Content-Length': String(request.body.byteLength) }, agent: request.agent },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept >= MAX_KEPT_RESPONSE_BYTES) return;
          chunks.push(chunk);
          kept += chunk.length;
        });
        const answered = (): void => finish(outcomeOfAnswer(url, response, Buffer.concat(chunks)), Buffer.concat(chunks));
        response.on('end', answered);
        // The status line arrived, so the status decides even if the body was cut short.
        response.on('error', answered);
      },
    );
    const timer = setTimeout(() => {
      finish(new ExportFailure(`${url.host} did not answer within ${request.timeoutMillis} ms`, { kind: 'retryable' }).outcome);
      outgoing.destroy();
    }, request.timeoutMillis);
    outgoing.on('error', (error) => {
      const kind = isRetryableNetworkError(error) ? 'retryable' : 'permanent';
      finish(new ExportFailure(error.message, { kind, cause: error }).outcome);
    });
    outgoing.end(request.body);
  });
}
