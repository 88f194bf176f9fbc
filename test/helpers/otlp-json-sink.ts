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
  close(): Promise<void>;
}

/** Starts a sink on a free loopback port. */
export async function startOtlpJsonSink(): Promise<OtlpJsonSink> {
  const spans: string[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJsonRequest;
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) for (const span of scope.spans ?? []) spans.push(`${span.traceId}/${span.spanId} ${span.name}`);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
