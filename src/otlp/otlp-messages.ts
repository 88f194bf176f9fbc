/**
 * @module The OTLP trace messages (opentelemetry-proto v1: `collector/trace/v1/trace_service.proto`,
 * `trace/v1/trace.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`) as a protobufjs
 * descriptor. Only the field numbers and types matter on the wire; the names are the lowerCamelCase
 * ones OTLP/JSON uses, so one walk reads both encodings (otlp-decode.ts). protobufjs builds the
 * decoder and encoder of each message from this at load time.
 */
import protobuf from 'protobufjs';

const keyValues = { rule: 'repeated', type: 'KeyValue' } as const;

/** The descriptor, in protobufjs's JSON form. Fields of newer proto versions a decoder does not know are skipped. */
const DESCRIPTOR = {
  nested: {
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: { type: 'string', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
    KeyValueList: { fields: { values: { ...keyValues, id: 1 } } },
    KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
    InstrumentationScope: {
      fields: {
        name: { type: 'string', id: 1 },
        version: { type: 'string', id: 2 },
        attributes: { ...keyValues, id: 3 },
        droppedAttributesCount: { type: 'uint32', id: 4 },
      },
    },
    Resource: { fields: { attributes: { ...keyValues, id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } } },
    ResourceSpans: {
      fields: {
        resource: { type: 'Resource', id: 1 },
        scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
        schemaUrl: { type: 'string', id: 3 },
      },
    },
    ScopeSpans: {
      fields: {
        scope: { type: 'InstrumentationScope', id: 1 },
        spans: { rule: 'repeated', type: 'Span', id: 2 },
        schemaUrl: { type: 'string', id: 3 },
      },
    },
    Span: {
      fields: {
        traceId: { type: 'bytes', id: 1 },
        spanId: { type: 'bytes', id: 2 },
        traceState: { type: 'string', id: 3 },
        parentSpanId: { type: 'bytes', id: 4 },
        flags: { type: 'fixed32', id: 16 },
        name: { type: 'string', id: 5 },
        kind: { type: 'int32', id: 6 },
        startTimeUnixNano: { type: 'fixed64', id: 7 },
        endTimeUnixNano: { type: 'fixed64', id: 8 },
        attributes: { ...keyValues, id: 9 },
        droppedAttributesCount: { type: 'uint32', id: 10 },
        events: { rule: 'repeated', type: 'Event', id: 11 },
        droppedEventsCount: { type: 'uint32', id: 12 },
        links: { rule: 'repeated', type: 'Link', id: 13 },
        droppedLinksCount: { type: 'uint32', id: 14 },
        status: { type: 'Status', id: 15 },
      },
    },
    Event: {
      fields: {
        timeUnixNano: { type: 'fixed64', id: 1 },
        name: { type: 'string', id: 2 },
        attributes: { ...keyValues, id: 3 },
        droppedAttributesCount: { type: 'uint32', id: 4 },
      },
    },
    Link: {
      fields: {
        traceId: { type: 'bytes', id: 1 },
        spanId: { type: 'bytes', id: 2 },
        traceState: { type: 'string', id: 3 },
        attributes: { ...keyValues, id: 4 },
        droppedAttributesCount: { type: 'uint32', id: 5 },
        flags: { type: 'fixed32', id: 6 },
      },
    },
    Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
    ExportTracePartialSuccess: { fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
    ExportTraceServiceResponse: { fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } } },
    // google.rpc.Status, the body of an OTLP/HTTP error answer (its `details` are not written).
    RpcStatus: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);

/** `ExportTraceServiceRequest`: what OTLP/HTTP `POST /v1/traces` and gRPC `TraceService/Export` carry. */
export const ExportTraceServiceRequest = root.lookupType('ExportTraceServiceRequest');

/** `ExportTraceServiceResponse`: the answer, with `partialSuccess` when spans were rejected. */
export const ExportTraceServiceResponse = root.lookupType('ExportTraceServiceResponse');

/** `google.rpc.Status`: what an OTLP/HTTP error answer holds. */
const RpcStatus = root.lookupType('RpcStatus');

/** A `google.rpc.Status` of `code` (a gRPC status code) and `message`, protobuf-encoded. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode({ code, message }).finish();
}

/** The full gRPC method path of the trace export. */
export const TRACE_SERVICE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** What an export answers: all taken, or how many spans were rejected and why. */
export interface ExportAnswer {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

/** The `ExportTraceServiceResponse` of `answer`, protobuf-encoded (empty when nothing was rejected, as the Collector answers). */
export function encodeExportResponse(answer: ExportAnswer): Uint8Array {
  if (answer.rejectedSpans === 0 && answer.errorMessage === '') return ExportTraceServiceResponse.encode({}).finish();
  return ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: answer.rejectedSpans, errorMessage: answer.errorMessage } }).finish();
}

/** The OTLP/JSON form of the same response (int64 as a JSON string, as the protobuf JSON mapping writes it). */
export function exportResponseJson(answer: ExportAnswer): Record<string, unknown> {
  if (answer.rejectedSpans === 0 && answer.errorMessage === '') return {};
  return { partialSuccess: { rejectedSpans: String(answer.rejectedSpans), errorMessage: answer.errorMessage } };
}

/** gRPC status codes the receiver answers with (grpc/status/code.proto). */
export const GrpcCode = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/**
 * The gRPC status of a refusal answered over HTTP with `httpStatus`, as the OTLP specification pairs
 * them: 503 (no room: retryable) is UNAVAILABLE, a body too large is RESOURCE_EXHAUSTED, 401 is
 * UNAUTHENTICATED, other 4xx are INVALID_ARGUMENT (not retryable).
 */
export function grpcCodeOf(httpStatus: number): number {
  if (httpStatus === 503 || httpStatus === 429) return GrpcCode.UNAVAILABLE;
  if (httpStatus === 413) return GrpcCode.RESOURCE_EXHAUSTED;
  if (httpStatus === 401) return GrpcCode.UNAUTHENTICATED;
  if (httpStatus === 404) return GrpcCode.NOT_FOUND;
  if (httpStatus >= 400 && httpStatus < 500) return GrpcCode.INVALID_ARGUMENT;
  return GrpcCode.INTERNAL;
}
