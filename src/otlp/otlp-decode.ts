/**
 * @module Reads an OTLP `ExportTraceServiceRequest`, protobuf or OTLP/JSON, into ReadableSpans that
 * pass through unchanged: ids, times, kind, status, events, links and every attribute as sent, one
 * Resource object per `resourceSpans` entry (the OTLP encoder groups spans by Resource identity), its
 * scope with the scope's attributes. Both encodings walk the same message shape (otlp-messages.ts
 * names the fields as OTLP/JSON does): a protobufjs message holds ids as bytes and 64-bit numbers as
 * Long, OTLP/JSON holds ids as hex and 64-bit numbers as decimal strings or numbers.
 *
 * A body that does not decode, or whose structure above the spans is wrong, is refused whole (400). A
 * span that is wrong (ids of the wrong length, a value of the wrong type) is rejected on its own and
 * named in the answer's `partial_success`, as the OTLP specification has receivers do.
 */
import { SpanKind, SpanStatusCode, type Attributes, type AttributeValue, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import { TraceState, hrTimeDuration, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import Long from 'long';
import { IssueList, type FieldIssue } from '../errors.js';
import { indexPath, propertyPath } from '../model/field-path.js';
import { isObject } from '../model/json-value.js';
import { ExportTraceServiceRequest } from './otlp-messages.js';
import * as errors from '../error-catalog.js';

/** Deepest nesting of array and kvlist values read in an attribute. */
const MAX_VALUE_DEPTH = 32;

/** Span flags bits (trace.proto `SpanFlags`): the low byte is the W3C trace flags. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

/** A scope as OTLP carries it: the OTLP encoder writes `attributes` back when present. */
export interface OtlpScope extends InstrumentationScope {
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

/** A span read from OTLP. Its attributes object is its own: accounting adds to it before anything else sees the span. */
export class OtlpSpan implements ReadableSpan {
  readonly ended = true;

  constructor(
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly name: string,
    readonly kind: SpanKind,
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly status: { code: SpanStatusCode; message?: string },
    readonly attributes: Attributes,
    readonly events: TimedEvent[],
    readonly links: Link[],
    readonly resource: Resource,
    readonly instrumentationScope: OtlpScope,
    readonly droppedAttributesCount: number,
    readonly droppedEventsCount: number,
    readonly droppedLinksCount: number,
  ) {
    this.duration = hrTimeDuration(startTime, endTime);
  }

  readonly duration: HrTime;

  spanContext(): SpanContext {
    return this.context;
  }
}

/** What a request held: the spans read, and those rejected with why. */
export interface DecodedTraces {
  readonly spans: OtlpSpan[];
  /** One issue per rejected span (bounded list, every one counted). */
  readonly rejected: IssueList;
}

/** A span's problem: the span is rejected, the rest of the request goes on. */
class SpanRejected extends Error {
  constructor(readonly issue: FieldIssue) {
    super(issue.reason);
  }
}

function reject(path: string, reason: string): never {
  throw new SpanRejected({ path, reason });
}

const snakeNames = new Map<string, string>();

/** The proto field name of a lowerCamelCase one (`resourceSpans` → `resource_spans`). */
function snakeName(field: string): string {
  let name = snakeNames.get(field);
  if (name === undefined) snakeNames.set(field, (name = field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)));
  return name;
}

/**
 * A field's value, own fields only (a protobufjs message keeps defaults on its prototype). OTLP/JSON
 * names fields in lowerCamelCase, and the protobuf JSON mapping has parsers accept the proto names
 * too, so `resource_spans` is read as well: ignoring it would answer 200 for spans never taken.
 */
function own(message: object, field: string): unknown {
  if (Object.hasOwn(message, field)) return (message as Record<string, unknown>)[field];
  const snake = snakeName(field);
  return snake !== field && Object.hasOwn(message, snake) ? (message as Record<string, unknown>)[snake] : undefined;
}

function list(message: object, field: string, path: string, refuse: (path: string, reason: string) => never): readonly unknown[] {
  const value = own(message, field);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) refuse(propertyPath(path, field), 'expected an array');
  return value;
}

function refuseRequest(path: string, reason: string): never {
  throw errors.invalidOtlp([{ path, reason }]);
}

function stringField(message: object, field: string, path: string): string {
  const value = own(message, field);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') reject(propertyPath(path, field), 'expected a string');
  return value;
}

/** A uint32 / int32 / fixed32 field: a number in protobuf, a number (or decimal string) in JSON. */
function intField(message: object, field: string, path: string): number {
  const value = own(message, field);
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) reject(propertyPath(path, field), 'expected an integer');
  return number;
}

const HEX = /^[0-9a-fA-F]*$/;

/** An id field as lowercase hex: bytes in protobuf, hex in OTLP/JSON; empty when absent. */
function idField(message: object, field: string, bytes: number, path: string): string {
  const value = own(message, field);
  if (value === undefined || value === null) return '';
  if (value instanceof Uint8Array) {
    if (value.byteLength !== 0 && value.byteLength !== bytes) reject(propertyPath(path, field), `expected ${bytes} bytes, got ${value.byteLength}`);
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  }
  if (typeof value !== 'string' || !HEX.test(value)) reject(propertyPath(path, field), `expected ${bytes} bytes as ${bytes * 2} hex digits`);
  if (value.length !== 0 && value.length !== bytes * 2) reject(propertyPath(path, field), `expected ${bytes * 2} hex digits, got ${value.length}`);
  const hex = value.toLowerCase();
  return hex;
}

const ALL_ZERO = /^0*$/;

/** A required id: present and not all zero. */
function requiredId(message: object, field: string, bytes: number, path: string): string {
  const hex = idField(message, field, bytes, path);
  if (ALL_ZERO.test(hex)) reject(propertyPath(path, field), hex === '' ? 'missing' : 'must not be all zero');
  return hex;
}

const NANOS_PER_SECOND = 1_000_000_000n;

/** A fixed64 Unix-nanosecond time: a Long in protobuf, a decimal string (or a number) in OTLP/JSON. */
function timeField(message: object, field: string, path: string): HrTime {
  const value = own(message, field);
  if (value === undefined || value === null) return [0, 0];
  let nanos: bigint;
  if (Long.isLong(value)) nanos = BigInt((value).toUnsigned().toString());
  else if (typeof value === 'string' && /^\d+$/.test(value)) nanos = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) nanos = BigInt(value);
  else reject(propertyPath(path, field), 'expected Unix nanoseconds (a non-negative integer, as a string in JSON)');
  return [Number(nanos / NANOS_PER_SECOND), Number(nanos % NANOS_PER_SECOND)];
}

/** An attribute value. Kvlists become plain objects and bytes Uint8Arrays, which the OTLP encoder writes back as such. */
function anyValue(value: unknown, path: string, depth: number): AttributeValue | undefined {
  if (!isObject(value)) reject(path, 'expected an AnyValue object');
  if (depth > MAX_VALUE_DEPTH) reject(path, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const string = own(value, 'stringValue');
  if (string !== undefined && string !== null) {
    if (typeof string !== 'string') reject(propertyPath(path, 'stringValue'), 'expected a string');
    return string;
  }
  const bool = own(value, 'boolValue');
  if (bool !== undefined && bool !== null) {
    if (typeof bool !== 'boolean') reject(propertyPath(path, 'boolValue'), 'expected true or false');
    return bool;
  }
  const int = own(value, 'intValue');
  if (int !== undefined && int !== null) {
    if (Long.isLong(int)) return (int).toNumber();
    if (typeof int === 'string' && /^-?\d+$/.test(int)) return Number(int);
    if (typeof int === 'number' && Number.isInteger(int)) return int;
    reject(propertyPath(path, 'intValue'), 'expected an integer (a decimal string in JSON)');
  }
  const double = own(value, 'doubleValue');
  if (double !== undefined && double !== null) {
    if (typeof double === 'number') return double;
    // The protobuf JSON mapping writes the special values as strings.
    if (double === 'NaN' || double === 'Infinity' || double === '-Infinity') return Number(double);
    reject(propertyPath(path, 'doubleValue'), 'expected a number');
  }
  const array = own(value, 'arrayValue');
  if (array !== undefined && array !== null) {
    const arrayPath = propertyPath(path, 'arrayValue');
    if (!isObject(array)) reject(arrayPath, 'expected an ArrayValue object');
    const values = list(array, 'values', arrayPath, reject);
    const valuesPath = propertyPath(arrayPath, 'values');
    return values.map((item, index) => anyValue(item, indexPath(valuesPath, index), depth + 1) ?? null) as AttributeValue;
  }
  const kvlist = own(value, 'kvlistValue');
  if (kvlist !== undefined && kvlist !== null) {
    const kvlistPath = propertyPath(path, 'kvlistValue');
    if (!isObject(kvlist)) reject(kvlistPath, 'expected a KeyValueList object');
    return keyValues(kvlist, 'values', kvlistPath, depth + 1) as unknown as AttributeValue;
  }
  const bytes = own(value, 'bytesValue');
  if (bytes !== undefined && bytes !== null) {
    if (bytes instanceof Uint8Array) return bytes as unknown as AttributeValue;
    if (typeof bytes === 'string') return Buffer.from(bytes, 'base64') as unknown as AttributeValue;
    reject(propertyPath(path, 'bytesValue'), 'expected bytes (base64 in JSON)');
  }
  // An empty AnyValue: OTel JS attributes have no way to hold it.
  return undefined;
}

/** A repeated KeyValue field as attributes; a later key wins over an earlier one. */
function keyValues(message: object, field: string, path: string, depth = 0): Attributes {
  const attributes: Attributes = {};
  const entries = list(message, field, path, reject);
  const entriesPath = propertyPath(path, field);
  entries.forEach((entry, index) => {
    const entryPath = indexPath(entriesPath, index);
    if (!isObject(entry)) reject(entryPath, 'expected a KeyValue object');
    const key = stringField(entry, 'key', entryPath);
    const value = own(entry, 'value');
    if (value === undefined || value === null) return;
    const read = anyValue(value, propertyPath(entryPath, 'value'), depth);
    if (read !== undefined) attributes[key] = read;
  });
  return attributes;
}

function spanKind(otlpKind: number): SpanKind {
  // OTLP counts from SPAN_KIND_UNSPECIFIED = 0; OTel JS from INTERNAL = 0. Unknown kinds are internal.
  return otlpKind >= 2 && otlpKind <= 5 ? ((otlpKind - 1)) : SpanKind.INTERNAL;
}

function statusCode(code: number): SpanStatusCode {
  return code === 1 ? SpanStatusCode.OK : code === 2 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET;
}

function traceState(serialized: string): TraceState | undefined {
  return serialized === '' ? undefined : new TraceState(serialized);
}

function readEvent(event: unknown, path: string): TimedEvent {
  if (!isObject(event)) reject(path, 'expected an Event object');
  const droppedAttributesCount = intField(event, 'droppedAttributesCount', path);
  return {
    name: stringField(event, 'name', path),
    time: timeField(event, 'timeUnixNano', path),
    attributes: keyValues(event, 'attributes', path),
    ...(droppedAttributesCount > 0 ? { droppedAttributesCount } : {}),
  };
}

function readLink(link: unknown, path: string): Link {
  if (!isObject(link)) reject(path, 'expected a Link object');
  const flags = intField(link, 'flags', path);
  const droppedAttributesCount = intField(link, 'droppedAttributesCount', path);
  return {
    context: {
      traceId: requiredId(link, 'traceId', 16, path),
      spanId: requiredId(link, 'spanId', 8, path),
      traceFlags: flags & 0xff,
      traceState: traceState(stringField(link, 'traceState', path)),
      isRemote: (flags & FLAGS_HAS_IS_REMOTE) !== 0 ? (flags & FLAGS_IS_REMOTE) !== 0 : undefined,
    },
    attributes: keyValues(link, 'attributes', path),
    ...(droppedAttributesCount > 0 ? { droppedAttributesCount } : {}),
  };
}

function readSpan(span: unknown, path: string, resource: Resource, scope: OtlpScope): OtlpSpan {
  if (!isObject(span)) reject(path, 'expected a Span object');
  const traceId = requiredId(span, 'traceId', 16, path);
  const spanId = requiredId(span, 'spanId', 8, path);
  const parentSpanId = idField(span, 'parentSpanId', 8, path);
  const flags = intField(span, 'flags', path);
  const traceFlags = flags & 0xff;
  const status = own(span, 'status');
  let spanStatus: { code: SpanStatusCode; message?: string } = { code: SpanStatusCode.UNSET };
  if (status !== undefined && status !== null) {
    const statusPath = propertyPath(path, 'status');
    if (!isObject(status)) reject(statusPath, 'expected a Status object');
    const message = stringField(status, 'message', statusPath);
    spanStatus = { code: statusCode(intField(status, 'code', statusPath)), ...(message === '' ? {} : { message }) };
  }
  const eventsPath = propertyPath(path, 'events');
  const linksPath = propertyPath(path, 'links');
  return new OtlpSpan(
    { traceId, spanId, traceFlags, traceState: traceState(stringField(span, 'traceState', path)) },
    ALL_ZERO.test(parentSpanId)
      ? undefined
      : { traceId, spanId: parentSpanId, traceFlags, isRemote: (flags & FLAGS_HAS_IS_REMOTE) !== 0 ? (flags & FLAGS_IS_REMOTE) !== 0 : undefined },
    stringField(span, 'name', path),
    spanKind(intField(span, 'kind', path)),
    timeField(span, 'startTimeUnixNano', path),
    timeField(span, 'endTimeUnixNano', path),
    spanStatus,
    keyValues(span, 'attributes', path),
    list(span, 'events', path, reject).map((event, index) => readEvent(event, indexPath(eventsPath, index))),
    list(span, 'links', path, reject).map((link, index) => readLink(link, indexPath(linksPath, index))),
    resource,
    scope,
    intField(span, 'droppedAttributesCount', path),
    intField(span, 'droppedEventsCount', path),
    intField(span, 'droppedLinksCount', path),
  );
}

/** Runs `read`, turning a problem of the resource or scope above the spans into a refusal of the request. */
function aboveSpans<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof SpanRejected) throw errors.invalidOtlp([error.issue]);
    throw error;
  }
}

/** Walks a decoded request (a protobufjs message or parsed OTLP/JSON). */
export function readExportRequest(request: unknown): DecodedTraces {
  if (!isObject(request)) refuseRequest('', 'expected an ExportTraceServiceRequest object');
  const spans: OtlpSpan[] = [];
  const rejected = new IssueList();
  list(request, 'resourceSpans', '', refuseRequest).forEach((resourceSpans, resourceIndex) => {
    const resourcePath = indexPath('resourceSpans', resourceIndex);
    if (!isObject(resourceSpans)) refuseRequest(resourcePath, 'expected a ResourceSpans object');
    const resource = aboveSpans(() => {
      const message = own(resourceSpans, 'resource');
      const attributes = isObject(message) ? keyValues(message, 'attributes', propertyPath(resourcePath, 'resource')) : {};
      const schemaUrl = stringField(resourceSpans, 'schemaUrl', resourcePath);
      return resourceFromAttributes(attributes, schemaUrl === '' ? undefined : { schemaUrl });
    });
    list(resourceSpans, 'scopeSpans', resourcePath, refuseRequest).forEach((scopeSpans, scopeIndex) => {
      const scopePath = indexPath(propertyPath(resourcePath, 'scopeSpans'), scopeIndex);
      if (!isObject(scopeSpans)) refuseRequest(scopePath, 'expected a ScopeSpans object');
      const scope = aboveSpans((): OtlpScope => {
        const message = own(scopeSpans, 'scope');
        const schemaUrl = stringField(scopeSpans, 'schemaUrl', scopePath);
        const common = { name: '', ...(schemaUrl === '' ? {} : { schemaUrl }) };
        if (!isObject(message)) return common;
        const messagePath = propertyPath(scopePath, 'scope');
        const version = stringField(message, 'version', messagePath);
        const attributes = keyValues(message, 'attributes', messagePath);
        const dropped = intField(message, 'droppedAttributesCount', messagePath);
        return {
          ...common,
          name: stringField(message, 'name', messagePath),
          ...(version === '' ? {} : { version }),
          ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
          ...(dropped > 0 ? { droppedAttributesCount: dropped } : {}),
        };
      });
      const spansPath = propertyPath(scopePath, 'spans');
      list(scopeSpans, 'spans', scopePath, refuseRequest).forEach((span, spanIndex) => {
        try {
          spans.push(readSpan(span, indexPath(spansPath, spanIndex), resource, scope));
        } catch (error) {
          if (!(error instanceof SpanRejected)) throw error;
          rejected.add(error.issue);
        }
      });
    });
  });
  return { spans, rejected };
}

/**
 * Reads a protobuf `ExportTraceServiceRequest`.
 * @throws CollectorError `A2A_ERR_INVALID_OTLP` when the bytes do not decode.
 */
export function decodeTracesProtobuf(bytes: Uint8Array): DecodedTraces {
  let message: unknown;
  try {
    message = ExportTraceServiceRequest.decode(bytes);
  } catch (error) {
    // protobufjs throws Error for bad wire data, RangeError (stack) for absurd nesting.
    throw errors.invalidOtlp([{ path: '', reason: `not a protobuf ExportTraceServiceRequest: ${(error as Error).message}` }]);
  }
  return readExportRequest(message);
}

/**
 * Reads an OTLP/JSON `ExportTraceServiceRequest`.
 * @throws CollectorError `A2A_ERR_INVALID_JSON` for text that is not JSON, `A2A_ERR_INVALID_OTLP` for JSON of the wrong shape.
 */
export function decodeTracesJson(text: string): DecodedTraces {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw errors.invalidJson((error as Error).message);
  }
  return readExportRequest(value);
}
