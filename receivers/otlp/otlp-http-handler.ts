/**
 * @module OTLP/HTTP `POST /v1/traces` (the OTLP specification's "OTLP/HTTP"): protobuf
 * (`application/x-protobuf`) or OTLP/JSON (`application/json`), either one gzip- or deflate-coded.
 * The answer is in the request's encoding: an `ExportTraceServiceResponse` (with `partialSuccess`
 * when spans were rejected) on 200, a `google.rpc.Status` on a refusal, with `Retry-After` when the
 * collector has no room (503). Authorization and body limits are those of A2A ingest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorError } from '../../src/errors.js';
import type { ByteBudget } from '../../src/http/byte-budget.js';
import { mediaTypeEssence } from '../../src/http/media-types.js';
import { decodeContent, readIncomingBytes } from '../../src/http/read-body.js';
import { countRefusal, isAuthorized } from '../../src/http/refusals.js';
import type { OtlpIntake } from '../../src/accounting/otlp-intake.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../src/otlp/otlp-decode.js';
import { encodeExportResponse, encodeRpcStatus, exportResponseJson, grpcCodeOf } from '../../src/otlp/otlp-messages.js';
import type { Logger } from '../../src/telemetry/logger.js';
import type { SelfMetrics } from '../../src/telemetry/self-metrics.js';
import * as errors from '../../src/error-catalog.js';

/** The OTLP/HTTP traces path. */
export const OTLP_TRACES_PATH = '/v1/traces';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

type Encoding = 'protobuf' | 'json';

/** The encoding a `Content-Type` names; undefined for one OTLP does not define. */
function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const essence = mediaTypeEssence(contentType);
  if (essence === PROTOBUF || essence === 'application/protobuf') return 'protobuf';
  if (essence === JSON_TYPE) return 'json';
  return undefined;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Settings of the handler: those of A2A ingest (`server.*`). */
export interface OtlpHttpOptions {
  readonly maxBodyBytes: number;
  readonly authToken?: string | undefined;
  readonly bodyBudget?: ByteBudget | undefined;
}

/** Serves `POST /v1/traces` on any node:http server. */
export class OtlpHttpHandler {
  constructor(
    private readonly intake: OtlpIntake,
    private readonly metrics: SelfMetrics,
    private readonly logger: Logger,
    private readonly options: OtlpHttpOptions,
  ) {}

  /** Whether `request` is an OTLP/HTTP trace export (a query string is allowed). */
  matches(request: IncomingMessage): boolean {
    const url = request.url ?? '';
    return request.method === 'POST' && (url === OTLP_TRACES_PATH || url.startsWith(`${OTLP_TRACES_PATH}?`));
  }

  /** Answers one export request; never throws. */
  async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const encoding = encodingOf(header(request, 'content-type'));
    try {
      if (!isAuthorized(header(request, 'authorization'), this.options.authToken)) throw errors.unauthorized();
      if (encoding === undefined) throw errors.unsupportedOtlpMediaType(header(request, 'content-type') ?? '(none)');
      const coded = await readIncomingBytes(request, this.options.maxBodyBytes, this.options.bodyBudget);
      const body = await decodeContent(coded, header(request, 'content-encoding'), this.options.maxBodyBytes);
      const decoded = encoding === 'protobuf' ? decodeTracesProtobuf(body) : decodeTracesJson(body.toString('utf8'));
      const answer = this.intake.ingest(decoded, 'http');
      try {
        await this.intake.durable();
      } catch (error) {
        this.logger.log('error', 'spool write failed', { error: (error as Error).message });
        throw errors.spoolUnavailable(5);
      }
      if (encoding === 'protobuf') send(response, 200, PROTOBUF, Buffer.from(encodeExportResponse(answer)));
      else send(response, 200, JSON_TYPE, Buffer.from(JSON.stringify(exportResponseJson(answer))));
    } catch (error) {
      this.refuse(request, response, countRefusal(error, this.metrics, this.logger), encoding ?? 'json');
    }
  }

  private refuse(request: IncomingMessage, response: ServerResponse, refused: CollectorError, encoding: Encoding): void {
    const headers: Record<string, string> = {};
    if (refused.retryAfterSeconds !== undefined) headers['retry-after'] = String(refused.retryAfterSeconds);
    // The rest of a body still arriving is read and discarded, so that the client reads the answer.
    if (!request.readableEnded) request.resume();
    const issues = refused.issues.map((issue) => (issue.path === '' ? issue.reason : `${issue.path}: ${issue.reason}`));
    const message = [refused.message, ...issues].join('; ');
    const code = grpcCodeOf(refused.httpStatus);
    if (encoding === 'protobuf') send(response, refused.httpStatus, PROTOBUF, Buffer.from(encodeRpcStatus(code, message)), headers);
    // OTLP/JSON's Status, with the collector's own error code and issues beside it for people reading it.
    else send(response, refused.httpStatus, JSON_TYPE, Buffer.from(JSON.stringify({ code, message, ...refused.toJSON() })), headers);
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': body.length, ...headers });
  response.end(body);
}
