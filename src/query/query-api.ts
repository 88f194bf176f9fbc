/**
 * @module The query API over the embedded store, and the web page that reads it, as Jaeger keeps
 * its query service apart from ingest: `GET /api/traces` (newest first), `GET /api/traces/{id}` (OTel
 * hex id or A2A trace id) and `GET /`.
 */
import type { Hono } from 'hono';
import * as errors from '../error-catalog.js';
import type { TraceStore } from '../store/trace-store.js';
import { indexPage } from './index-page.js';

/** Default and largest `limit` of `GET /api/traces`. */
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

function storeOrRefuse(store: TraceStore | undefined): TraceStore {
  if (store === undefined) throw errors.storeDisabled();
  return store;
}

/** Adds the query routes to `app`; with the store disabled they answer 404 `A2A_ERR_NOT_FOUND`. */
export function registerQueryRoutes(app: Hono, store: TraceStore | undefined): void {
  app.get('/api/traces', (c) => {
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? DEFAULT_LIST_LIMIT) || DEFAULT_LIST_LIMIT, 1), MAX_LIST_LIMIT);
    return c.json({ traces: storeOrRefuse(store).list(limit) });
  });

  app.get('/api/traces/:id', (c) => {
    const id = c.req.param('id');
    const trace = storeOrRefuse(store).get(id);
    if (trace === undefined) throw errors.noSuchTrace(id);
    return c.json(trace);
  });

  app.get('/', (c) => c.html(indexPage));
}
