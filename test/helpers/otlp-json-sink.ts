/**
 * @module Test helper: a local OTLP/HTTP JSON endpoint on loopback that records the spans it is sent
 * (by trace id and span id), for tests of our own pipeline; exporting to real backends is proved by
 * the end-to-end suite.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface OtlpJsonRequest {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; name: string }> }> }>;
}

/** A running sink. */
export interface OtlpJsonSink {
  /** Base URL, for an `otlp` exporter's `endpoint`. */
  readonly url: string;
  /** Every span received, in order, as `traceId/spanId name`. */
  readonly spans: string[];
  /** Requests received. */
  readonly requests: () => number;
  /** Most requests it was answering at once. */
  readonly mostConcurrent: () => number;
  close(): Promise<void>;
}

/** Where the sink listens and how slowly it answers. */
export interface OtlpJsonSinkOptions {
  /** Default: a free one. */
  readonly port?: number;
  /** How long each request waits before it is answered (and its spans recorded), in milliseconds. Default 0. */
  readonly answerDelayMillis?: number;
}

/** Starts a sink on a loopback port. */
export async function startOtlpJsonSink(options: OtlpJsonSinkOptions = {}): Promise<OtlpJsonSink> {
  const spans: string[] = [];
  let requests = 0;
  let concurrent = 0;
  let mostConcurrent = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    concurrent++;
    mostConcurrent = Math.max(mostConcurrent, concurrent);
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      setTimeout(() => {
        requests++;
        concurrent--;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJsonRequest;
        for (const resource of body.resourceSpans ?? []) {
          for (const scope of resource.scopeSpans ?? []) for (const span of scope.spans ?? []) spans.push(`${span.traceId}/${span.spanId} ${span.name}`);
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, options.answerDelayMillis ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests: () => requests,
    mostConcurrent: () => mostConcurrent,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
