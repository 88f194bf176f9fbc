/**
 * @module The HTTP API (hono): ingest, query, metrics and health. Errors are turned into responses
 * in one place (`onError`); every refusal is counted by reason.
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import { CollectorError } from '../errors.js';
import type { TraceStore } from '../store/trace-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { RejectReason, SelfMetrics } from '../telemetry/self-metrics.js';
import { isEventStreamMediaType, type TraceIntake } from './trace-intake.js';
import { indexPage } from './index-page.js';
import { readBodyText } from './read-body.js';

/** What the HTTP API is built from. */
export interface HttpAppOptions {
  readonly intake: TraceIntake;
  readonly store: TraceStore | undefined;
  readonly registry: Registry;
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Bearer token ingest requires, when set. */
  readonly authToken?: string | undefined;
}

const REJECT_REASONS: Partial<Record<CollectorError['code'], RejectReason>> = {
  A2A_ERR_INVALID_JSON: 'invalid',
  A2A_ERR_INVALID_TRACE: 'invalid',
  A2A_ERR_NESTING_TOO_DEEP: 'invalid',
  A2A_ERR_NO_TRACE_IN_ENVELOPE: 'no_trace',
  A2A_ERR_BODY_TOO_LARGE: 'too_large',
  A2A_ERR_QUEUE_FULL: 'queue_full',
  A2A_ERR_UNAUTHORIZED: 'unauthorized',
  A2A_ERR_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
};

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;
// curl -d sends application/x-www-form-urlencoded unless told otherwise; its body is still our JSON.
const LENIENT_MEDIA_TYPE = /^(?:text\/plain|application\/x-www-form-urlencoded)\b/i;

function errorResponse(c: Context, error: CollectorError): Response {
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
  return c.json(error.toJSON(), error.httpStatus as 400);
}

/** Builds the hono app. Test it in process with `app.request()`. */
export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();
  const { intake, store, registry, metrics, logger } = options;

  app.onError((error, c) => {
    const known =
      error instanceof CollectorError ? error : new CollectorError('A2A_ERR_INTERNAL', 'internal error; the request was not accepted');
    if (!(error instanceof CollectorError)) logger.log('error', 'unhandled error in request', { path: c.req.path, error: String(error.stack ?? error) });
    if (c.req.method === 'POST') metrics.rejectedRequests.inc({ reason: REJECT_REASONS[known.code] ?? 'internal' });
    return errorResponse(c, known);
  });

  app.notFound((c) => errorResponse(c, new CollectorError('A2A_ERR_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)));

  app.post(
    '/v1/a2a/traces',
    async (c, next) => {
      if (options.authToken !== undefined && c.req.header('authorization') !== `Bearer ${options.authToken}`) {
        throw new CollectorError('A2A_ERR_UNAUTHORIZED', 'missing or wrong bearer token');
      }
      await next();
    },
    async (c) => {
      const contentType = c.req.header('content-type') ?? 'application/json';
      if (!JSON_MEDIA_TYPE.test(contentType) && !isEventStreamMediaType(contentType) && !LENIENT_MEDIA_TYPE.test(contentType)) {
        throw new CollectorError(
          'A2A_ERR_UNSUPPORTED_MEDIA_TYPE',
          `content type ${contentType} is not accepted; send application/json, or text/event-stream for a stream transcript`,
        );
      }
      const text = await readBodyText(c, options.maxBodyBytes);
      const accepted = intake.ingestText(text, contentType, {
        traceparent: c.req.header('traceparent'),
        service: c.req.query('service') ?? c.req.header('x-a2a-agent-name'),
      });
      return c.json(
        {
          traceCount: accepted.length,
          stepCount: accepted.reduce((sum, trace) => sum + trace.stepCount, 0),
          accepted,
        },
        202,
      );
    },
  );

  app.get('/api/traces', (c) => {
    if (store === undefined) throw new CollectorError('A2A_ERR_NOT_FOUND', 'the trace store is disabled');
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
    return c.json({ traces: store.list(limit) });
  });

  app.get('/api/traces/:id', (c) => {
    if (store === undefined) throw new CollectorError('A2A_ERR_NOT_FOUND', 'the trace store is disabled');
    const id = c.req.param('id');
    const trace = store.get(id);
    if (trace === undefined) throw new CollectorError('A2A_ERR_NOT_FOUND', `no trace with id ${JSON.stringify(id)} in the store`);
    return c.json(trace);
  });

  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/', (c) => c.html(indexPage));

  return app;
}
