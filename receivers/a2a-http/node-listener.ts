/**
 * @module The collector's node:http request listener: `POST /v1/a2a/traces` is served directly
 * (the hot path: one adapter over IngestEndpoint, no Web Request/Response objects), every other
 * route goes to the hono app through @hono/node-server. bench/ measures why: the Web objects cost
 * several times the collector's own per-request work.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ByteBudget } from '../../src/http/byte-budget.js';
import type { ReceiverRoute } from '../../src/receiver-factory.js';
import { INGEST_PATH, type IngestEndpoint, type IngestRequest } from './ingest-endpoint.js';
import { readIncomingText } from '../../src/http/read-body.js';

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isIngest(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  return request.method === 'POST' && (url === INGEST_PATH || url.startsWith(`${INGEST_PATH}?`));
}

function serviceOf(request: IncomingMessage): string | undefined {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  const fromQuery = query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('service');
  return fromQuery ?? header(request, 'x-a2a-agent-name');
}

function sendJson(response: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extraHeaders });
  response.end(text);
}

/** Settings of the listener besides the app and the endpoint. */
export interface NodeListenerOptions {
  /** Bound of the bytes of all ingest bodies being read at once (`server.max_in_flight_body_bytes`). Default: none. */
  readonly bodyBudget?: ByteBudget | undefined;
  /** Routes of the receivers served on the same port (OTLP/HTTP `POST /v1/traces`), tried before the hono app. */
  readonly routes?: readonly ReceiverRoute[];
}

async function serveIngest(endpoint: IngestEndpoint, request: IncomingMessage, response: ServerResponse, bodyBudget: ByteBudget | undefined): Promise<void> {
  try {
    const facts: IngestRequest = {
      contentType: header(request, 'content-type'),
      authorization: header(request, 'authorization'),
      traceparent: header(request, 'traceparent'),
      service: serviceOf(request),
    };
    const mediaType = endpoint.admit(facts);
    const text = await readIncomingText(request, endpoint.maxBodyBytes, bodyBudget);
    sendJson(response, 202, await endpoint.ingest(text, mediaType, facts));
  } catch (error) {
    const refused = endpoint.refuse(error);
    const headers: Record<string, string> = {};
    if (refused.retryAfterSeconds !== undefined) headers['retry-after'] = String(refused.retryAfterSeconds);
    // A body still arriving (refused before or while reading) is drained and discarded, not held,
    // so that the client can finish sending and read the answer instead of seeing a reset.
    if (!request.readableEnded) request.resume();
    sendJson(response, refused.httpStatus, refused.toJSON(), headers);
  }
}

/** The request listener for `http.createServer`. */
export function createNodeListener(app: Hono, endpoint: IngestEndpoint, options: NodeListenerOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  const honoListener = getRequestListener(app.fetch);
  const routes = options.routes ?? [];
  return (request, response) => {
    if (isIngest(request)) {
      void serveIngest(endpoint, request, response, options.bodyBudget);
      return;
    }
    for (const route of routes) {
      if (route.matches(request)) {
        void route.serve(request, response);
        return;
      }
    }
    void honoListener(request, response);
  };
}
