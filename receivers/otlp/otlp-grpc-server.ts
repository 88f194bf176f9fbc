/**
 * @module OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on @grpc/grpc-js.
 * The method is declared by hand with the same protobufjs messages as OTLP/HTTP (no .proto files to
 * load at run time); grpc-js undoes gzip message compression itself. A refusal is the gRPC status
 * the OTLP specification pairs with the HTTP one: UNAVAILABLE (retryable) when the collector has no
 * room, INVALID_ARGUMENT for a request that does not decode, UNAUTHENTICATED without the token.
 */
import type { status as grpcStatus} from '@grpc/grpc-js';
import { Metadata, Server, ServerCredentials, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { OtlpIntake } from '../../src/accounting/otlp-intake.js';
import { countRefusal, isAuthorized } from '../../src/http/refusals.js';
import { decodeTracesProtobuf } from '../../src/otlp/otlp-decode.js';
import { encodeExportResponse, grpcCodeOf, TRACE_SERVICE_EXPORT_PATH } from '../../src/otlp/otlp-messages.js';
import type { Logger } from '../../src/telemetry/logger.js';
import type { SelfMetrics } from '../../src/telemetry/self-metrics.js';
import * as errors from '../../src/error-catalog.js';

/** Settings of the gRPC server. */
export interface OtlpGrpcOptions {
  /** `host:port` to listen on; port 0 picks a free one. */
  readonly endpoint: string;
  /** Largest request message, in bytes (`server.max_body_bytes`). */
  readonly maxMessageBytes: number;
  readonly authToken?: string | undefined;
}

const identity = (buffer: Buffer): Buffer => buffer;

/** The TraceService, with the request left as bytes so that a bad one gets INVALID_ARGUMENT from us, not a transport error. */
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: TRACE_SERVICE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (response: Uint8Array) => Buffer.from(response.buffer, response.byteOffset, response.byteLength),
    responseDeserialize: identity,
  },
};

function metadataValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The OTLP/gRPC trace receiver. */
export class OtlpGrpcServer {
  private readonly server: Server;
  private address: string | undefined;

  constructor(
    private readonly intake: OtlpIntake,
    private readonly metrics: SelfMetrics,
    private readonly logger: Logger,
    private readonly options: OtlpGrpcOptions,
  ) {
    this.server = new Server({ 'grpc.max_receive_message_length': options.maxMessageBytes });
    this.server.addService(TRACE_SERVICE, {
      Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => void this.export(call, callback),
    });
  }

  /** Binds the endpoint; resolves with the bound `host:port`. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(this.options.endpoint, ServerCredentials.createInsecure(), (error, port) => {
        if (error !== null) {
          reject(error);
          return;
        }
        const host = this.options.endpoint.slice(0, this.options.endpoint.lastIndexOf(':'));
        this.address = `${host}:${port}`;
        this.logger.log('info', 'OTLP/gRPC receiver listening', { endpoint: this.address });
        resolve(this.address);
      });
    });
  }

  /** Stops taking calls; calls in progress get `graceMillis` to finish before they are cut. */
  shutdown(graceMillis = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), graceMillis);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async export(call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>): Promise<void> {
    try {
      if (!isAuthorized(metadataValue(call.metadata, 'authorization'), this.options.authToken)) throw errors.unauthorized();
      const answer = this.intake.ingest(decodeTracesProtobuf(call.request), 'grpc');
      try {
        await this.intake.durable();
      } catch (error) {
        this.logger.log('error', 'spool write failed', { error: (error as Error).message });
        throw errors.spoolUnavailable(5);
      }
      callback(null, encodeExportResponse(answer));
    } catch (error) {
      const refused = countRefusal(error, this.metrics, this.logger);
      const trailers = new Metadata();
      if (refused.retryAfterSeconds !== undefined) trailers.set('retry-after', String(refused.retryAfterSeconds));
      const issues = refused.issues.map((issue) => (issue.path === '' ? issue.reason : `${issue.path}: ${issue.reason}`));
      callback({ code: grpcCodeOf(refused.httpStatus) as grpcStatus, details: [refused.message, ...issues].join('; '), metadata: trailers }, null);
    }
  }
}
