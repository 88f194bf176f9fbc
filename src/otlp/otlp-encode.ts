/**
 * @module Writes `ReadableSpan`s as a protobuf `ExportTraceServiceRequest` (opentelemetry-proto v1
 * `trace.proto`, `common.proto`, `resource.proto`) in one pass over the spans, into one reused
 * buffer: the same bytes, field for field and byte for byte, as `ProtobufTraceSerializer` of
 * `@opentelemetry/otlp-transformer` 0.223.1 writes (its `trace-serializer.js` and
 * `common-serializer.js`: the same grouping, the same fields written or left out, the same number
 * rules), at a fraction of its cost. A submessage's length is written after its content, in the bytes
 * reserved for it before, moved only in the rare case the reservation was the wrong size.
 */
import type { HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { IExportTraceServiceResponse, ISerializer } from '@opentelemetry/otlp-transformer';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** Span and link `flags` bits (trace.proto `SpanFlags`); the low byte is the W3C trace flags. */
const FLAGS_CONTEXT_HAS_IS_REMOTE = 0x100;
const FLAGS_CONTEXT_IS_REMOTE = 0x200;

/** The int64 range of `int_value`; both bounds are powers of two, exact as doubles. */
const MIN_INT64 = -(2 ** 63);
const MAX_INT64_EXCLUSIVE = 2 ** 63;

/** Longest string whose UTF-8 form (at most 3 bytes per UTF-16 unit) is sure to have a 1-byte length. */
const ONE_BYTE_LENGTH_MAX_UNITS = 42;

/** Size a buffer starts at; one that grew past {@link KEPT_BUFFER_BYTES} for a big request is not kept. */
const INITIAL_BUFFER_BYTES = 64 * 1024;
const KEPT_BUFFER_BYTES = 4 * 1024 * 1024;

/** Length bytes reserved ahead of a submessage: spans are mostly 128 B to 16 KiB, a scope's or resource's spans more. */
const SPAN_LENGTH_RESERVE = 2;
const GROUP_LENGTH_RESERVE = 3;

/**
 * Tags, `(field << 3) | wire type`, of the fields written, by message. Wire types: 0 varint,
 * 1 fixed64, 2 length-delimited, 5 fixed32.
 */
const TAG = {
  requestResourceSpans: 0x0a,
  resourceSpansResource: 0x0a,
  resourceSpansScopeSpans: 0x12,
  resourceSpansSchemaUrl: 0x1a,
  resourceAttributes: 0x0a,
  resourceDroppedAttributesCount: 0x10,
  scopeSpansScope: 0x0a,
  scopeSpansSpans: 0x12,
  scopeSpansSchemaUrl: 0x1a,
  scopeName: 0x0a,
  scopeVersion: 0x12,
  scopeAttributes: 0x1a,
  scopeDroppedAttributesCount: 0x20,
  spanTraceId: 0x0a,
  spanSpanId: 0x12,
  spanTraceState: 0x1a,
  spanParentSpanId: 0x22,
  spanName: 0x2a,
  spanKind: 0x30,
  spanStartTime: 0x39,
  spanEndTime: 0x41,
  spanAttributes: 0x4a,
  spanDroppedAttributesCount: 0x50,
  spanEvents: 0x5a,
  spanDroppedEventsCount: 0x60,
  spanLinks: 0x6a,
  spanDroppedLinksCount: 0x70,
  spanStatus: 0x7a,
  /** Field 16, fixed32: the varint 0x85 is two bytes. */
  spanFlagsLow: 0x85,
  spanFlagsHigh: 0x01,
  eventTime: 0x09,
  eventName: 0x12,
  eventAttributes: 0x1a,
  eventDroppedAttributesCount: 0x20,
  linkTraceId: 0x0a,
  linkSpanId: 0x12,
  linkTraceState: 0x1a,
  linkAttributes: 0x22,
  linkDroppedAttributesCount: 0x28,
  linkFlags: 0x35,
  statusMessage: 0x12,
  statusCode: 0x18,
  keyValueKey: 0x0a,
  keyValueValue: 0x12,
  anyString: 0x0a,
  anyBool: 0x10,
  anyInt: 0x18,
  anyDouble: 0x21,
  anyArray: 0x2a,
  anyKvlist: 0x32,
  anyBytes: 0x3a,
  listValues: 0x0a,
} as const;

/** A scope as OTLP carries it: otlp-transformer writes `attributes` and `droppedAttributesCount` when present (spans read from OTLP have them). */
interface ScopeWithAttributes extends InstrumentationScope {
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly droppedAttributesCount?: number;
}

/** Bytes of the varint of `value`, a uint32. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** The value of a hex digit, as otlp-transformer's `hexToBinary` reads it (any other character is read as if it were A-F). */
function hexDigit(charCode: number): number {
  if (charCode >= 48 && charCode <= 57) return charCode - 48;
  if (charCode >= 97 && charCode <= 102) return charCode - 87;
  return charCode - 55;
}

/** {@link hexDigit} of each character code below 128. */
const HEX_DIGITS = Int16Array.from({ length: 128 }, (_, code) => hexDigit(code));

/** A growing byte buffer with the protobuf primitives, written in place; each primitive makes its own room. */
class ProtobufBuffer {
  bytes: Uint8Array;
  /** The same memory as {@link bytes}, for Node's native UTF-8 encoder. */
  text: Buffer;
  view: DataView;
  capacity: number;
  pos = 0;

  constructor(size: number) {
    this.text = Buffer.alloc(size);
    this.bytes = new Uint8Array(this.text.buffer, this.text.byteOffset, size);
    this.view = new DataView(this.text.buffer, this.text.byteOffset, size);
    this.capacity = size;
  }

  /** Makes room for `count` more bytes. */
  ensure(count: number): void {
    if (this.pos + count > this.capacity) this.grow(count);
  }

  private grow(count: number): void {
    let size = this.capacity * 2;
    while (size < this.pos + count) size *= 2;
    const text = Buffer.alloc(size);
    this.text.copy(text, 0, 0, this.pos);
    this.text = text;
    this.bytes = new Uint8Array(text.buffer, text.byteOffset, size);
    this.view = new DataView(text.buffer, text.byteOffset, size);
    this.capacity = size;
  }

  /** One byte. */
  byte(value: number): void {
    if (this.pos >= this.capacity) this.grow(1);
    this.bytes[this.pos++] = value;
  }

  /** A varint of a uint32 (a length). */
  uint32(value: number): void {
    this.ensure(5);
    const bytes = this.bytes;
    let v = value;
    while (v > 0x7f) {
      bytes[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[this.pos++] = v;
  }

  /**
   * A varint of any number, as otlp-transformer's `ProtobufWriter.writeVarint` writes it: a uint32
   * as is (fraction dropped), anything else as its 64-bit two's complement (so a negative int64 takes
   * 10 bytes, as protobuf requires, and a value that is not a number, 0).
   */
  varint(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value >>> 0);
      return;
    }
    let low: number;
    let high: number;
    const abs = Math.abs(value);
    low = abs >>> 0;
    high = (abs / 0x100000000) >>> 0;
    if (!(value >= 0)) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    this.ensure(10);
    const bytes = this.bytes;
    while (high > 0 || low > 0x7f) {
      bytes[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    bytes[this.pos++] = low & 0x7f;
  }

  /** A little-endian fixed32. */
  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  /**
   * An HrTime as fixed64 unix nanoseconds, without BigInt and without losing precision: seconds are
   * split at bit 16 so every product stays below 2^53 (otlp-transformer's `writeHrTimeAsFixed64`
   * arithmetic, so that out-of-range times wrap the same way).
   */
  hrTime(time: HrTime): void {
    this.ensure(8);
    const seconds = time[0];
    const nanos = time[1];
    const lowerSeconds = seconds & 0xffff;
    const upperSeconds = (seconds / 0x10000) >>> 0;
    const lowerNanos = lowerSeconds * 1_000_000_000;
    const upperNanos = upperSeconds * 1_000_000_000;
    const low = (lowerNanos >>> 0) + (((upperNanos & 0xffff) * 0x10000) >>> 0) + nanos;
    const high = Math.floor(lowerNanos / 0x100000000) + ((upperNanos / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  /** A little-endian double. */
  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A length-delimited string, UTF-8 (a lone surrogate becomes U+FFFD, as TextEncoder writes it). */
  string(value: string): void {
    const units = value.length;
    if (units <= ONE_BYTE_LENGTH_MAX_UNITS) {
      this.ensure(1 + 3 * units);
      const bytes = this.bytes;
      const start = this.pos;
      let pos = start + 1;
      for (let i = 0; i < units; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) {
          const written = this.text.write(value, start + 1, 'utf8');
          bytes[start] = written;
          this.pos = start + 1 + written;
          return;
        }
        bytes[pos++] = code;
      }
      bytes[start] = units;
      this.pos = pos;
      return;
    }
    const reserved = varintSize(units);
    this.ensure(reserved + 3 * units + 5);
    const start = this.pos;
    const written = this.text.write(value, start + reserved, 'utf8');
    this.pos = start + reserved + written;
    this.finish(start, reserved);
  }

  /** Bytes from a hex id, as `hexToBinary` reads it, without an intermediate array. */
  hexBytes(hex: string): void {
    const count = hex.length >>> 1;
    this.uint32(count);
    this.ensure(count);
    const bytes = this.bytes;
    let pos = this.pos;
    for (let i = 0; i < count; i++) {
      const high = hex.charCodeAt(2 * i);
      const low = hex.charCodeAt(2 * i + 1);
      bytes[pos++] = ((high < 128 ? (HEX_DIGITS[high] as number) : high - 55) << 4) | (low < 128 ? (HEX_DIGITS[low] as number) : low - 55);
    }
    this.pos = pos;
  }

  /** Length-delimited bytes. */
  byteArray(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.bytes.set(value, this.pos);
    this.pos += value.length;
  }

  /** Reserves `reserved` bytes for the length of the submessage that starts here; returns where. */
  start(reserved: number): number {
    this.ensure(reserved);
    const start = this.pos;
    this.pos += reserved;
    return start;
  }

  /** Writes the length of the submessage begun by {@link start}, moving its content if the length took another size. */
  finish(start: number, reserved: number): void {
    const length = this.pos - start - reserved;
    if (reserved === 1 && length < 0x80) this.bytes[start] = length;
    else this.finishResized(start, reserved, length);
  }

  private finishResized(start: number, reserved: number, length: number): void {
    const size = varintSize(length);
    if (size !== reserved) {
      if (size > reserved) this.ensure(size - reserved);
      this.bytes.copyWithin(start + size, start + reserved, this.pos);
      this.pos += size - reserved;
    }
    const bytes = this.bytes;
    let pos = start;
    let v = length;
    while (v > 0x7f) {
      bytes[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[pos] = v;
  }

  /** The bytes written, copied out. */
  copy(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.bytes.subarray(0, this.pos));
    return out;
  }
}

/** An attribute value, as otlp-transformer's `writeAnyValue` writes it: a value of no OTLP type is an empty AnyValue. */
function writeAnyValue(buffer: ProtobufBuffer, value: unknown): void {
  const type = typeof value;
  if (type === 'string') {
    buffer.byte(TAG.anyString);
    buffer.string(value as string);
  } else if (type === 'number') {
    const number = value as number;
    // Any integer int64 holds, not only safe ones: 2^60 is exact and an int64.
    if (Number.isInteger(number) && number >= MIN_INT64 && number < MAX_INT64_EXCLUSIVE) {
      buffer.byte(TAG.anyInt);
      buffer.varint(number);
    } else {
      buffer.byte(TAG.anyDouble);
      buffer.double(number);
    }
  } else if (type === 'boolean') {
    buffer.byte(TAG.anyBool);
    buffer.byte(value === true ? 1 : 0);
  } else if (type === 'object' && value !== null) {
    writeCompositeValue(buffer, value as object);
  }
}

/** An array, kvlist or bytes value (kept apart so that the scalar cases above stay small enough to inline). */
function writeCompositeValue(buffer: ProtobufBuffer, value: object): void {
  if (value instanceof Uint8Array) {
    buffer.byte(TAG.anyBytes);
    buffer.byteArray(value);
  } else if (Array.isArray(value)) {
    buffer.byte(TAG.anyArray);
    const arrayStart = buffer.start(1);
    const items = value as readonly unknown[];
    for (let i = 0; i < items.length; i++) {
      buffer.byte(TAG.listValues);
      const itemStart = buffer.start(1);
      writeAnyValue(buffer, items[i]);
      buffer.finish(itemStart, 1);
    }
    buffer.finish(arrayStart, 1);
  } else {
    buffer.byte(TAG.anyKvlist);
    const listStart = buffer.start(1);
    writeAttributes(buffer, value as Readonly<Record<string, unknown>>, TAG.listValues);
    buffer.finish(listStart, 1);
  }
}

/**
 * The encoded start of the KeyValue of each attribute name met (`key` field and the `value` tag), so
 * that a name is encoded once, not once per span. Names are few (mapping constants and what agents
 * set), but they come from outside: past {@link MAX_CACHED_KEYS} names, new ones are encoded each time.
 */
const keyValueHeads = new Map<string, Uint8Array>();
const MAX_CACHED_KEYS = 1024;

/** Each own enumerable property of `attributes` as a KeyValue field of tag `tag`, in property order. */
function writeAttributes(buffer: ProtobufBuffer, attributes: Readonly<Record<string, unknown>>, tag: number): void {
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const head = keyValueHeads.get(key);
    // The tag, the KeyValue's and the value's reserved lengths, and the head.
    buffer.ensure(3 + (head === undefined ? 0 : head.length));
    const keyValueStart = buffer.pos + 1;
    buffer.bytes[buffer.pos] = tag;
    buffer.pos += 2;
    if (head !== undefined) {
      buffer.bytes.set(head, buffer.pos);
      buffer.pos += head.length;
    } else {
      const headStart = buffer.pos;
      buffer.byte(TAG.keyValueKey);
      buffer.string(key);
      buffer.byte(TAG.keyValueValue);
      if (keyValueHeads.size < MAX_CACHED_KEYS && key.length <= ONE_BYTE_LENGTH_MAX_UNITS) keyValueHeads.set(key, buffer.bytes.slice(headStart, buffer.pos));
    }
    const valueStart = buffer.start(1);
    writeAnyValue(buffer, attributes[key]);
    buffer.finish(valueStart, 1);
    buffer.finish(keyValueStart, 1);
  }
}

/** The `flags` of a span or link: W3C trace flags, and whether the (parent) context is remote. */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  const flags = (traceFlags & 0xff) | FLAGS_CONTEXT_HAS_IS_REMOTE;
  return isRemote === true ? flags | FLAGS_CONTEXT_IS_REMOTE : flags;
}

function writeEvent(buffer: ProtobufBuffer, event: TimedEvent): void {
  buffer.byte(TAG.spanEvents);
  const start = buffer.start(1);
  buffer.byte(TAG.eventTime);
  buffer.hrTime(event.time);
  buffer.byte(TAG.eventName);
  buffer.string(event.name);
  if (event.attributes) writeAttributes(buffer, event.attributes, TAG.eventAttributes);
  buffer.byte(TAG.eventDroppedAttributesCount);
  buffer.varint(event.droppedAttributesCount || 0);
  buffer.finish(start, 1);
}

function writeLink(buffer: ProtobufBuffer, link: Link): void {
  const context = link.context;
  buffer.byte(TAG.spanLinks);
  const start = buffer.start(1);
  buffer.byte(TAG.linkTraceId);
  buffer.hexBytes(context.traceId);
  buffer.byte(TAG.linkSpanId);
  buffer.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    buffer.byte(TAG.linkTraceState);
    buffer.string(traceState);
  }
  if (link.attributes) writeAttributes(buffer, link.attributes, TAG.linkAttributes);
  buffer.byte(TAG.linkDroppedAttributesCount);
  buffer.varint(link.droppedAttributesCount || 0);
  buffer.byte(TAG.linkFlags);
  buffer.fixed32(spanFlags(context.traceFlags, context.isRemote));
  buffer.finish(start, 1);
}

function writeSpan(buffer: ProtobufBuffer, span: ReadableSpan): void {
  buffer.byte(TAG.scopeSpansSpans);
  const start = buffer.start(SPAN_LENGTH_RESERVE);
  const context = span.spanContext();
  buffer.byte(TAG.spanTraceId);
  buffer.hexBytes(context.traceId);
  buffer.byte(TAG.spanSpanId);
  buffer.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    buffer.byte(TAG.spanTraceState);
    buffer.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    buffer.byte(TAG.spanParentSpanId);
    buffer.hexBytes(parent.spanId);
  }
  buffer.byte(TAG.spanName);
  buffer.string(span.name);
  // trace.proto counts kinds from SPAN_KIND_UNSPECIFIED = 0, the API from INTERNAL = 0.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    buffer.byte(TAG.spanKind);
    buffer.varint(kind);
  }
  buffer.byte(TAG.spanStartTime);
  buffer.hrTime(span.startTime);
  buffer.byte(TAG.spanEndTime);
  buffer.hrTime(span.endTime);
  if (span.attributes) writeAttributes(buffer, span.attributes, TAG.spanAttributes);
  buffer.byte(TAG.spanDroppedAttributesCount);
  buffer.varint(span.droppedAttributesCount);
  const events = span.events;
  for (let i = 0; i < events.length; i++) writeEvent(buffer, events[i] as TimedEvent);
  buffer.byte(TAG.spanDroppedEventsCount);
  buffer.varint(span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(buffer, links[i] as Link);
  buffer.byte(TAG.spanDroppedLinksCount);
  buffer.varint(span.droppedLinksCount);
  buffer.byte(TAG.spanStatus);
  const statusStart = buffer.start(1);
  const status = span.status;
  if (status.message) {
    buffer.byte(TAG.statusMessage);
    buffer.string(status.message);
  }
  buffer.byte(TAG.statusCode);
  buffer.varint(status.code);
  buffer.finish(statusStart, 1);
  buffer.byte(TAG.spanFlagsLow);
  buffer.byte(TAG.spanFlagsHigh);
  buffer.fixed32(spanFlags(context.traceFlags, parent?.isRemote));
  buffer.finish(start, SPAN_LENGTH_RESERVE);
}

function writeScope(buffer: ProtobufBuffer, scope: ScopeWithAttributes): void {
  buffer.byte(TAG.scopeSpansScope);
  const start = buffer.start(1);
  buffer.byte(TAG.scopeName);
  buffer.string(scope.name);
  if (scope.version) {
    buffer.byte(TAG.scopeVersion);
    buffer.string(scope.version);
  }
  if (scope.attributes) writeAttributes(buffer, scope.attributes, TAG.scopeAttributes);
  if (scope.droppedAttributesCount) {
    buffer.byte(TAG.scopeDroppedAttributesCount);
    buffer.varint(scope.droppedAttributesCount);
  }
  buffer.finish(start, 1);
}

/** One `ScopeSpans`: `spans`, all of one scope, in order. */
function writeScopeSpans(buffer: ProtobufBuffer, spans: readonly ReadableSpan[]): void {
  const scope = (spans[0] as ReadableSpan).instrumentationScope;
  buffer.byte(TAG.resourceSpansScopeSpans);
  const start = buffer.start(GROUP_LENGTH_RESERVE);
  writeScope(buffer, scope);
  for (let i = 0; i < spans.length; i++) writeSpan(buffer, spans[i] as ReadableSpan);
  if (scope.schemaUrl) {
    buffer.byte(TAG.scopeSpansSchemaUrl);
    buffer.string(scope.schemaUrl);
  }
  buffer.finish(start, GROUP_LENGTH_RESERVE);
}

/** One `ResourceSpans`; `scopes` holds the spans of each scope. */
function writeResourceSpans(buffer: ProtobufBuffer, resource: Resource, scopes: Iterable<readonly ReadableSpan[]>): void {
  buffer.byte(TAG.requestResourceSpans);
  const start = buffer.start(GROUP_LENGTH_RESERVE);
  buffer.byte(TAG.resourceSpansResource);
  const resourceStart = buffer.start(2);
  const attributes = resource.attributes;
  if (attributes) writeAttributes(buffer, attributes, TAG.resourceAttributes);
  // otlp-transformer tracks no dropped resource attributes: always 0, always written.
  buffer.byte(TAG.resourceDroppedAttributesCount);
  buffer.byte(0);
  buffer.finish(resourceStart, 2);
  for (const spans of scopes) writeScopeSpans(buffer, spans);
  if (resource.schemaUrl) {
    buffer.byte(TAG.resourceSpansSchemaUrl);
    buffer.string(resource.schemaUrl);
  }
  buffer.finish(start, GROUP_LENGTH_RESERVE);
}

/** Groups spans by Resource object, then by scope object, both in order of first appearance (identity, not equality, as otlp-transformer does). */
function groupSpans(spans: readonly ReadableSpan[]): Map<Resource, Map<InstrumentationScope, ReadableSpan[]>> {
  const resources = new Map<Resource, Map<InstrumentationScope, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.resource);
    if (scopes === undefined) resources.set(span.resource, (scopes = new Map<InstrumentationScope, ReadableSpan[]>()));
    let members = scopes.get(span.instrumentationScope);
    if (members === undefined) scopes.set(span.instrumentationScope, (members = []));
    members.push(span);
  }
  return resources;
}

/**
 * Writes requests into a buffer of its own, reused from one request to the next (one that grew past
 * 4 MiB for a big request is let go). Most callers want {@link encodeTraceExportRequest}, which uses a
 * shared one; an encoder of one's own chooses the size its buffer starts at.
 */
export class TraceExportRequestEncoder {
  /** `undefined` while a request is being written: a request written meanwhile (by a getter) gets a buffer of its own. */
  private idle: ProtobufBuffer | undefined;

  /** @param initialBufferBytes size the buffer starts at, a positive integer; default 64 KiB. */
  constructor(private readonly initialBufferBytes = INITIAL_BUFFER_BYTES) {
    if (!Number.isInteger(initialBufferBytes) || initialBufferBytes < 1) throw new RangeError(`initialBufferBytes must be a positive integer, got ${initialBufferBytes}`);
  }

  /** {@link encodeTraceExportRequest}, with this encoder's buffer. */
  encode(spans: readonly ReadableSpan[]): Uint8Array {
    const buffer = this.idle ?? new ProtobufBuffer(this.initialBufferBytes);
    this.idle = undefined;
    buffer.pos = 0;
    try {
      const first = spans[0];
      let shared = first !== undefined;
      for (let i = 1; shared && i < spans.length; i++) {
        const span = spans[i] as ReadableSpan;
        shared = span.resource === first?.resource && span.instrumentationScope === first.instrumentationScope;
      }
      if (first !== undefined && shared) {
        writeResourceSpans(buffer, first.resource, [spans]);
      } else {
        for (const [resource, scopes] of groupSpans(spans)) writeResourceSpans(buffer, resource, scopes.values());
      }
      return buffer.copy();
    } finally {
      if (buffer.capacity <= Math.max(KEPT_BUFFER_BYTES, this.initialBufferBytes)) this.idle = buffer;
    }
  }
}

const sharedEncoder = new TraceExportRequestEncoder();

/**
 * `spans` as a protobuf `ExportTraceServiceRequest`: the bytes `ProtobufTraceSerializer.serializeRequest`
 * of otlp-transformer 0.223.1 returns, written directly. Spans are grouped into one `ResourceSpans`
 * per Resource object and one `ScopeSpans` per InstrumentationScope object (identity: two equal
 * Resource objects give two entries, so callers SHOULD share one object per resource). An empty
 * list gives an empty request (zero bytes). The array returned is the caller's own.
 */
export function encodeTraceExportRequest(spans: readonly ReadableSpan[]): Uint8Array {
  return sharedEncoder.encode(spans);
}

/**
 * `ProtobufTraceSerializer` with {@link encodeTraceExportRequest} as its request encoder: the same
 * bytes, faster. Responses are read by `ProtobufTraceSerializer.deserializeResponse`.
 */
export const DirectProtobufTraceSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: (spans) => encodeTraceExportRequest(spans),
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};
