/**
 * @module The HTTP API (hono): ingest, the query API (src/query), metrics and health. Errors are turned into responses
 * in one place (`onError`); ingest refusals are counted by the shared IngestEndpoint.
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import { CollectorError } from '../errors.js';
import { registerQueryRoutes } from '../query/query-api.js';
import type { TraceStore } from '../store/trace-store.js';
import type { Logger } from '../telemetry/logger.js';
import { INGEST_PATH, type IngestEndpoint, type IngestRequest } from '../../receivers/a2a-http/ingest-endpoint.js';
import type { ByteBudget } from './byte-budget.js';
import { readBodyText } from './read-body.js';
import * as errors from '../error-catalog.js';

/** What the HTTP API is built from. */
export interface HttpAppOptions {
  readonly endpoint: IngestEndpoint;
  readonly store: TraceStore | undefined;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Bounds the bytes of all request bodies being read at once (`server.max_in_flight_body_bytes`). */
  readonly bodyBudget?: ByteBudget | undefined;
}

function errorResponse(c: Context, error: CollectorError): Response {
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
  return c.json(error.toJSON(), error.httpStatus as 400);
}

/** Builds the hono app. Test it in process with `app.request()`. */
export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();
  const { endpoint, store, registry, logger } = options;

  app.onError((error, c) => {
    if (c.req.method === 'POST' && c.req.path === INGEST_PATH) return errorResponse(c, endpoint.refuse(error));
    const known =
      error instanceof CollectorError ? error : errors.internal();
    if (!(error instanceof CollectorError)) logger.log('error', 'unhandled error in request', { path: c.req.path, error: String(error.stack ?? error) });
    return errorResponse(c, known);
  });

  app.notFound((c) => errorResponse(c, errors.noRoute(c.req.method, c.req.path)));

  // The same endpoint the node:http fast path serves (node-listener.ts); this route serves app.request().
  app.post(INGEST_PATH, async (c) => {
    const request: IngestRequest = {
      contentType: c.req.header('content-type'),
      authorization: c.req.header('authorization'),
      traceparent: c.req.header('traceparent'),
      service: c.req.query('service') ?? c.req.header('x-a2a-agent-name'),
    };
    const mediaType = endpoint.admit(request);
    const text = await readBodyText(c, endpoint.maxBodyBytes, options.bodyBudget);
    return c.json(await endpoint.ingest(text, mediaType, request), 202);
  });

  registerQueryRoutes(app, store);

  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  return app;
}
