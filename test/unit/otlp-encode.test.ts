/**
 * @module Differential test of the direct OTLP protobuf encoder: on every case, its bytes are compared
 * with those of otlp-transformer's `ProtobufTraceSerializer` (the reference), first decoded with the
 * protobufjs descriptor of otlp-messages.ts (for a readable difference), then byte for byte. The
 * reference writes fields in field-number order with canonical length varints, as protobufjs does, so
 * identical bytes are expected everywhere, not only an equal decoding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime, type Link, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace-base';
import { toOtelTraceId } from '../../src/mapping/ids.js';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import { decodeTracesProtobuf } from '../../src/otlp/otlp-decode.js';
import { DirectProtobufTraceSerializer, encodeTraceExportRequest, TraceExportRequestEncoder } from '../../src/otlp/otlp-encode.js';
import { encodeExportResponse, ExportTraceServiceRequest } from '../../src/otlp/otlp-messages.js';
import { readFixture } from '../helpers/collector-harness.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';
import { seededRandom } from '../helpers/seeded-random.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const BYTES_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId', 'bytesValue']);

/** A decoded request as plain data: int64/fixed64 as decimal strings, bytes as hex, only fields on the wire. */
function decoded(bytes: Uint8Array): unknown {
  const message = ExportTraceServiceRequest.decode(bytes);
  return hexBytes(ExportTraceServiceRequest.toObject(message, { longs: String, bytes: String, defaults: false }));
}

function hexBytes(value: unknown, field = ''): unknown {
  if (typeof value === 'string') return BYTES_FIELDS.has(field) ? Buffer.from(value, 'base64').toString('hex') : value;
  if (Array.isArray(value)) return value.map((item) => hexBytes(item));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hexBytes(item, key)]));
  return value;
}

/** The reference encoding of `spans`. */
function reference(spans: readonly ReadableSpan[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest([...spans]);
  assert.ok(bytes !== undefined, 'the reference serializer failed');
  return bytes;
}

/** Asserts that the encoder writes exactly what the reference writes for `spans`; returns the reference's decoding. */
function assertSameEncoding(spans: readonly ReadableSpan[]): unknown {
  const expected = reference(spans);
  const actual = encodeTraceExportRequest(spans);
  const expectedDecoded = decoded(expected);
  assert.deepStrictEqual(decoded(actual), expectedDecoded);
  assert.deepStrictEqual(Buffer.from(actual), Buffer.from(expected));
  return expectedDecoded;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The case (`stringValue`, ..., or `empty` for none) of every AnyValue in a decoded request: KeyValue values and ArrayValue items. */
function anyValueCases(node: unknown, field = '', found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) anyValueCases(item, field, found);
  else if (isRecord(node)) {
    if (field === 'value' || field === 'arrayItem') {
      const cases = Object.keys(node);
      if (cases.length === 0) found.add('empty');
      for (const name of cases) found.add(name);
    }
    for (const [name, child] of Object.entries(node)) anyValueCases(child, field === 'arrayValue' && name === 'values' ? 'arrayItem' : name, found);
  }
  return found;
}

const DEFAULT_RESOURCE = resourceFromAttributes({ 'service.name': 'encoder-test' });
const DEFAULT_SCOPE: InstrumentationScope = { name: 'a2a-trace-collector', version: '0.1.0' };

interface SpanParts {
  readonly name?: string;
  readonly kind?: SpanKind;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly traceFlags?: number;
  readonly traceState?: SpanContext['traceState'];
  readonly parent?: SpanContext;
  readonly startTime?: HrTime;
  readonly endTime?: HrTime;
  readonly status?: SpanStatus;
  /** Values of any type, OTLP's or not: the encoder is given what a span may hold at run time. */
  readonly attributes?: Record<string, unknown>;
  readonly events?: TimedEvent[];
  readonly links?: Link[];
  readonly resource?: Resource;
  readonly scope?: InstrumentationScope;
  readonly droppedAttributesCount?: number;
  readonly droppedEventsCount?: number;
  readonly droppedLinksCount?: number;
}

/** A ReadableSpan as any exporter may be handed one: a plain object. */
function span(parts: SpanParts = {}): ReadableSpan {
  const spanContext: SpanContext = { traceId: parts.traceId ?? TRACE_ID, spanId: parts.spanId ?? SPAN_ID, traceFlags: parts.traceFlags ?? 1, traceState: parts.traceState };
  return {
    name: parts.name ?? 'span',
    kind: parts.kind ?? SpanKind.INTERNAL,
    spanContext: () => spanContext,
    parentSpanContext: parts.parent,
    startTime: parts.startTime ?? [1_800_000_000, 123_456_789],
    endTime: parts.endTime ?? [1_800_000_001, 5],
    status: parts.status ?? { code: SpanStatusCode.UNSET },
    attributes: (parts.attributes ?? {}) as Attributes,
    links: parts.links ?? [],
    events: parts.events ?? [],
    duration: [1, 0],
    ended: true,
    resource: parts.resource ?? DEFAULT_RESOURCE,
    instrumentationScope: parts.scope ?? DEFAULT_SCOPE,
    droppedAttributesCount: parts.droppedAttributesCount ?? 0,
    droppedEventsCount: parts.droppedEventsCount ?? 0,
    droppedLinksCount: parts.droppedLinksCount ?? 0,
  };
}

/** One span per attribute value, and one with them all. */
function valueSpans(values: Record<string, unknown>): ReadableSpan[] {
  return [...Object.entries(values).map(([key, value]) => span({ name: key, attributes: { [key]: value } })), span({ name: 'all', attributes: values })];
}

const STRINGS: Record<string, unknown> = {
  empty: '',
  ascii: 'search_documents',
  latin1: 'héllo wörld',
  cjk: '日本語のテキスト',
  emoji: 'agent 🤖 ok 👍🏽',
  'lone high surrogate': 'a\ud800b',
  'lone low surrogate at the end': 'ab\udc00',
  'ascii of 42 units': 'x'.repeat(42),
  'ascii of 43 units': 'x'.repeat(43),
  'ascii of 127 bytes': 'y'.repeat(127),
  'ascii of 128 bytes': 'y'.repeat(128),
  '42 euro signs (126 bytes)': '€'.repeat(42),
  '43 euro signs (129 bytes)': '€'.repeat(43),
  '50 euro signs': '€'.repeat(50),
  'ascii of 20,000 bytes': 'z'.repeat(20_000),
  'non-ascii of 6,000 units': '日'.repeat(6_000),
  'non-ascii after 42 ascii': `${'a'.repeat(42)}é`,
  'control characters': '\u0000\u0001\n\t\u007f\u0080',
  'a key named ü': 'value',
};

const INTEGERS: Record<string, unknown> = {
  zero: 0,
  'negative zero': -0,
  one: 1,
  'minus one': -1,
  '127': 127,
  '128': 128,
  '2^31 - 1': 2 ** 31 - 1,
  '2^31': 2 ** 31,
  '-(2^31)': -(2 ** 31),
  '2^32 - 1': 2 ** 32 - 1,
  '2^32': 2 ** 32,
  '2^32 + 1': 2 ** 32 + 1,
  'max safe integer': Number.MAX_SAFE_INTEGER,
  'min safe integer': Number.MIN_SAFE_INTEGER,
  '2^53': 2 ** 53,
  '2^60': 2 ** 60,
  '-(2^63)': -(2 ** 63),
  '2^63 (past int64: a double)': 2 ** 63,
  '1e21 (past int64: a double)': 1e21,
  '-1e300 (past int64: a double)': -1e300,
};

const DOUBLES: Record<string, unknown> = {
  half: 0.5,
  cost: 0.00042,
  negative: -12.75,
  tiny: Number.MIN_VALUE,
  epsilon: Number.EPSILON,
  huge: Number.MAX_VALUE,
  nan: Number.NaN,
  infinity: Number.POSITIVE_INFINITY,
  'minus infinity': Number.NEGATIVE_INFINITY,
};

const COMPOSITES: Record<string, unknown> = {
  true: true,
  false: false,
  'empty array': [],
  strings: ['a', '', 'é', '🤖'],
  integers: [1, -1, 0, 2 ** 40],
  doubles: [1.5, Number.NaN, -0.25],
  booleans: [true, false],
  mixed: ['a', 1, 2.5, true, null, undefined],
  'only null': [null],
  'only undefined': [undefined],
  'a hole': Object.assign(new Array<unknown>(3), { 0: 1, 2: 3 }),
  nested: [[1], [2, [3, ['deep']]], []],
  'long array': Array.from({ length: 300 }, (_, index) => `item-${index}`),
  bytes: new Uint8Array([0, 1, 127, 128, 255]),
  'empty bytes': new Uint8Array(0),
  'a Buffer': Buffer.from('buffer bytes'),
  'bytes inside an array': [new Uint8Array([9, 8])],
  kvlist: { a: 1, b: 'x', c: { d: [true, { e: null }] } },
  'empty kvlist': {},
  'kvlist with integer-like keys': { '2': 'two', '1': 'one', z: 'z' },
  null: null,
  undefined: undefined,
  'a bigint (no OTLP type)': 10n,
  'a function (no OTLP type)': () => 1,
};

const ATTRIBUTE_CASES: Record<string, ReadableSpan[]> = {
  strings: valueSpans(STRINGS),
  integers: valueSpans(INTEGERS),
  doubles: valueSpans(DOUBLES),
  'booleans, arrays, bytes, kvlists and values of no OTLP type': valueSpans(COMPOSITES),
  'keys: empty, non-ASCII, long, many': [
    span({ attributes: { '': 'empty key', 'clé': 1, '🔑': true, ['k'.repeat(43)]: 'long key', ['é'.repeat(200)]: 'longer key' } }),
    span({ attributes: Object.fromEntries(Array.from({ length: 500 }, (_, index) => [`attribute.${index}`, index % 2 === 0 ? index : `v${index}`])) }),
  ],
  'an inherited attribute is not written': [span({ attributes: Object.assign(Object.create({ inherited: 'no' }) as Record<string, unknown>, { own: 'yes' }) })],
};

const OTHER_PARENT = '1111111111111111';
const LINK_TRACE = 'a'.repeat(32);

const SPAN_CASES: Record<string, ReadableSpan[]> = {
  'every span kind': [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER].map((kind) => span({ kind })),
  'every status code, with and without message': [
    span({ status: { code: SpanStatusCode.UNSET } }),
    span({ status: { code: SpanStatusCode.OK } }),
    span({ status: { code: SpanStatusCode.ERROR } }),
    span({ status: { code: SpanStatusCode.ERROR, message: 'TimeoutError: forecast API did not answer' } }),
    span({ status: { code: SpanStatusCode.OK, message: '' } }),
    span({ status: { code: SpanStatusCode.UNSET, message: 'ignored? no: written' } }),
    span({ status: { code: SpanStatusCode.ERROR, message: 'é'.repeat(100) } }),
  ],
  'parent span contexts: none, local, remote, unknown, empty id': [
    span(),
    span({ parent: { traceId: TRACE_ID, spanId: OTHER_PARENT, traceFlags: 1, isRemote: false } }),
    span({ parent: { traceId: TRACE_ID, spanId: OTHER_PARENT, traceFlags: 1, isRemote: true } }),
    span({ parent: { traceId: TRACE_ID, spanId: OTHER_PARENT, traceFlags: 1 } }),
    span({ parent: { traceId: TRACE_ID, spanId: '', traceFlags: 1, isRemote: true } }),
  ],
  'trace flags and trace state': [
    span({ traceFlags: 0 }),
    span({ traceFlags: 0xff }),
    span({ traceState: new TraceState('vendor=abc,other=1') }),
    span({ traceState: new TraceState('') }),
    span({ traceFlags: 0, traceState: new TraceState('rojo=00f067aa0ba902b7') }),
  ],
  'ids: upper case hex, odd length, not hex': [
    span({ traceId: TRACE_ID.toUpperCase(), spanId: 'ABCDEF0123456789' }),
    span({ traceId: 'abc', spanId: '12345' }),
    span({ traceId: 'zz'.repeat(16), spanId: 'é🤖'.repeat(4) }),
  ],
  'times: zero-length, epoch, far future, uint64 limit': [
    span({ startTime: [1_800_000_000, 0], endTime: [1_800_000_000, 0] }),
    span({ startTime: [0, 0], endTime: [0, 1] }),
    span({ startTime: [1_773_177_794, 974_500_000], endTime: [1_773_177_795, 999_999_999] }),
    span({ startTime: [4_102_444_800, 5], endTime: [2 ** 32, 999_999_999] }),
    span({ startTime: [18_446_744_073, 709_551_615], endTime: [18_446_744_073, 709_551_615] }),
  ],
  'dropped counts': [
    span({ droppedAttributesCount: 5, droppedEventsCount: 300, droppedLinksCount: 2 ** 31 }),
    span({ droppedAttributesCount: 127, droppedEventsCount: 128, droppedLinksCount: 0 }),
  ],
  'events with and without attributes': [
    span({
      events: [
        { name: 'a2a.step.start', time: [1_800_000_000, 1], attributes: { 'a2a.timestamp': '2026-03-10T21:23:14.974500+00:00' } },
        { name: 'no attributes', time: [1_800_000_000, 2] },
        { name: 'empty attributes', time: [1_800_000_000, 3], attributes: {} },
        { name: '', time: [0, 0], attributes: { n: 1, list: [1, 'a'] } as Attributes, droppedAttributesCount: 4 },
        { name: 'é'.repeat(60), time: [1_800_000_001, 0], attributes: { big: 'b'.repeat(300) } },
      ],
      droppedEventsCount: 1,
    }),
  ],
  'links with and without attributes': [
    span({
      links: [
        { context: { traceId: LINK_TRACE, spanId: 'b'.repeat(16), traceFlags: 1 }, attributes: { 'a2a.link.type': 'callee_trace' } },
        { context: { traceId: LINK_TRACE, spanId: 'c'.repeat(16), traceFlags: 0, isRemote: true, traceState: new TraceState('k=v') } },
        { context: { traceId: LINK_TRACE, spanId: 'd'.repeat(16), traceFlags: 1, isRemote: false }, attributes: {}, droppedAttributesCount: 3 },
        { context: { traceId: LINK_TRACE, spanId: 'e'.repeat(16), traceFlags: 0xff }, attributes: { many: Array.from({ length: 50 }, (_, index) => index) } },
      ],
      droppedLinksCount: 7,
    }),
  ],
  'small and large spans (length varints of 1 to 3 bytes)': [
    span({ name: '', attributes: {} }),
    span({ name: 'n'.repeat(100) }),
    span({ attributes: { payload: 'p'.repeat(17_000) } }),
    span({ attributes: { payload: 'p'.repeat(3_000_000) } }),
  ],
};

const RESOURCE_A = resourceFromAttributes({ 'service.name': 'planner' });
const RESOURCE_A_TWIN = resourceFromAttributes({ 'service.name': 'planner' });
const RESOURCE_WITH_SCHEMA = resourceFromAttributes({ 'service.name': 'weather', 'host.cpus': 2, 'deployment.environment': 'test' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
const RESOURCE_EMPTY = resourceFromAttributes({});
const RESOURCE_LARGE = resourceFromAttributes(Object.fromEntries(Array.from({ length: 1_500 }, (_, index) => [`resource.attribute.${index}`, `value-${index}`])));
const RESOURCE_TYPES = resourceFromAttributes({ 'service.name': 'types', int: 7, double: 0.5, flag: false, list: ['a', 'b'] });
const SCOPE_TWIN: InstrumentationScope = { name: 'a2a-trace-collector', version: '0.1.0' };
const SCOPE_WITH_SCHEMA: InstrumentationScope = { name: 'agent-sdk', version: '1.4.2', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' };
const SCOPE_BARE: InstrumentationScope = { name: '' };
const SCOPE_WITH_ATTRIBUTES = { name: 'otlp-scope', version: '2', attributes: { 'scope.kind': 'sdk', n: 3 }, droppedAttributesCount: 2 };
const SCOPE_EMPTY_ATTRIBUTES = { name: 'otlp-scope', attributes: {}, droppedAttributesCount: 0 };

const GROUPING_CASES: Record<string, ReadableSpan[]> = {
  'resources by identity, interleaved': [
    span({ name: 'a1', resource: RESOURCE_A }),
    span({ name: 'twin1', resource: RESOURCE_A_TWIN }),
    span({ name: 'schema1', resource: RESOURCE_WITH_SCHEMA }),
    span({ name: 'a2', resource: RESOURCE_A }),
    span({ name: 'empty1', resource: RESOURCE_EMPTY }),
    span({ name: 'twin2', resource: RESOURCE_A_TWIN }),
    span({ name: 'large', resource: RESOURCE_LARGE }),
    span({ name: 'types', resource: RESOURCE_TYPES }),
    span({ name: 'a3', resource: RESOURCE_A }),
  ],
  'scopes by identity within a resource, interleaved': [
    span({ name: 's1', scope: DEFAULT_SCOPE }),
    span({ name: 't1', scope: SCOPE_TWIN }),
    span({ name: 'schema', scope: SCOPE_WITH_SCHEMA }),
    span({ name: 's2', scope: DEFAULT_SCOPE }),
    span({ name: 'bare', scope: SCOPE_BARE }),
    span({ name: 'attributes', scope: SCOPE_WITH_ATTRIBUTES }),
    span({ name: 'empty attributes', scope: SCOPE_EMPTY_ATTRIBUTES }),
    span({ name: 'other resource', scope: SCOPE_TWIN, resource: RESOURCE_A }),
    span({ name: 't2', scope: SCOPE_TWIN }),
  ],
  'one resource, scopes interleaved': [
    span({ name: 's1', scope: DEFAULT_SCOPE }),
    span({ name: 't1', scope: SCOPE_TWIN }),
    span({ name: 's2', scope: DEFAULT_SCOPE }),
  ],
  'one resource and scope for all': Array.from({ length: 20 }, (_, index) => span({ name: `same ${index}` })),
  'one span alone': [span()],
};

/** The spans SpanMapper makes of test/fixtures/nested-multi-agent.json: two services, nested agents, an error. */
function fixtureSpans(): ReadableSpan[] {
  const read = readWithDefaultLimits(readFixture('nested-multi-agent.json'));
  const tree = buildStepTree(read.trace, 'trip-planner', 'auto', [...read.warnings]);
  return new SpanMapper(DEFAULT_MAPPING).toReadableSpans({
    tree,
    otelTraceId: toOtelTraceId(read.trace.traceId),
    receivedAt: { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false },
  });
}

/** Spans as the OpenTelemetry JS SDK records them (SpanImpl objects), two services. */
function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  for (const service of ['planner', 'weather']) {
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tracer = provider.getTracer('agent-sdk', '1.4.2');
    const root = tracer.startSpan(`invoke_agent ${service}`, { kind: SpanKind.SERVER, startTime: [1_700_000_000, 123_456_789] });
    const child = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        startTime: [1_700_000_000, 200_000_000],
        attributes: { 'gen_ai.usage.input_tokens': 1000, ratio: 0.25, model: 'gpt-4o-mini', streamed: true, stops: ['\n', 'END'] },
        links: [{ context: { traceId: LINK_TRACE, spanId: 'b'.repeat(16), traceFlags: 1 }, attributes: { 'link.kind': 'follows' } }],
      },
      trace.setSpan(context.active(), root),
    );
    child.addEvent('gen_ai.choice', { index: 0 }, [1_700_000_000, 900_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    child.end([1_700_000_001, 5]);
    root.end([1_700_000_002, 0]);
  }
  return memory.getFinishedSpans();
}


/** `count` spans of random shape from `seed`: values of every type, random text, random grouping. */
function randomSpans(seed: number, count: number): ReadableSpan[] {
  const next = seededRandom(seed);
  const below = (limit: number): number => Math.floor(next() * limit);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)] as T;
  const hex = (length: number): string => Array.from({ length }, () => '0123456789abcdef'[below(16)]).join('');
  const text = (): string => {
    const length = pick([0, 1, 5, 20, 42, 43, 60, 130, 500]);
    const alphabet = pick(['ascii', 'latin', 'bmp', 'astral', 'surrogates']);
    let out = '';
    while (out.length < length) {
      if (alphabet === 'ascii') out += String.fromCharCode(32 + below(95));
      else if (alphabet === 'latin') out += String.fromCharCode(below(2) === 0 ? 97 + below(26) : 0xa0 + below(0x60));
      else if (alphabet === 'bmp') out += String.fromCharCode(below(2) === 0 ? 97 + below(26) : 0x800 + below(0xd000));
      else if (alphabet === 'astral') out += String.fromCodePoint(below(2) === 0 ? 97 + below(26) : 0x1f300 + below(0x300));
      else out += String.fromCharCode(pick([0xd800 + below(0x400), 0xdc00 + below(0x400), 97 + below(26)]));
    }
    return out;
  };
  const scalar = (): unknown =>
    pick([
      () => text(),
      () => below(2) === 0,
      () => below(1000),
      () => -below(2 ** 31) * 4096,
      () => Math.floor(next() * Number.MAX_SAFE_INTEGER),
      () => (next() - 0.5) * 10 ** below(40),
      () => pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 63, -(2 ** 63)]),
      () => null,
      () => undefined,
      () => new Uint8Array(Array.from({ length: below(40) }, () => below(256))),
    ])();
  const value = (depth: number): unknown => {
    const kind = below(depth > 2 ? 1 : 6);
    if (kind === 4) return Array.from({ length: below(6) }, () => value(depth + 1));
    if (kind === 5) return Object.fromEntries(Array.from({ length: below(4) }, () => [text(), value(depth + 1)]));
    return scalar();
  };
  const attributes = (): Record<string, unknown> | undefined => {
    if (below(8) === 0) return undefined;
    const names = ['model', 'a2a.step.id', 'gen_ai.usage.input_tokens', 'a2a.step.cost', 'http.url', 'clé'];
    return Object.fromEntries(Array.from({ length: below(30) }, () => [below(3) === 0 ? text() : pick(names), value(0)]));
  };
  const time = (): HrTime => [pick([0, 1_773_177_794, 1_800_000_000 + below(1000), 2 ** 32 + below(100)]), below(1_000_000_000)];
  const context = (): SpanContext => ({
    traceId: hex(32),
    spanId: hex(16),
    traceFlags: below(256),
    ...(below(4) === 0 ? { traceState: new TraceState(`k${below(9)}=v${below(9)}`) } : {}),
    ...(below(3) === 0 ? {} : { isRemote: below(2) === 0 }),
  });
  const resources = [DEFAULT_RESOURCE, RESOURCE_A, RESOURCE_A_TWIN, RESOURCE_WITH_SCHEMA, RESOURCE_EMPTY, RESOURCE_TYPES];
  const scopes: InstrumentationScope[] = [DEFAULT_SCOPE, SCOPE_TWIN, SCOPE_WITH_SCHEMA, SCOPE_BARE, SCOPE_WITH_ATTRIBUTES, SCOPE_EMPTY_ATTRIBUTES];
  return Array.from({ length: count }, () => {
    const own = context();
    return span({
      name: text(),
      kind: below(5) as SpanKind,
      traceId: own.traceId,
      spanId: own.spanId,
      traceFlags: own.traceFlags,
      traceState: own.traceState,
      parent: below(3) === 0 ? undefined : context(),
      startTime: time(),
      endTime: time(),
      status: pick([{ code: SpanStatusCode.UNSET }, { code: SpanStatusCode.OK }, { code: SpanStatusCode.ERROR, message: text() }]),
      attributes: attributes(),
      events: Array.from({ length: below(4) }, () => ({ name: text(), time: time(), attributes: attributes() as Attributes | undefined, ...(below(3) === 0 ? { droppedAttributesCount: below(500) } : {}) })),
      links: Array.from({ length: below(3) }, () => ({ context: context(), attributes: attributes() as Attributes | undefined, ...(below(3) === 0 ? { droppedAttributesCount: below(500) } : {}) })),
      resource: pick(resources),
      scope: pick(scopes),
      droppedAttributesCount: pick([0, 1, 200]),
      droppedEventsCount: pick([0, 3, 70_000]),
      droppedLinksCount: pick([0, 128]),
    });
  });
}

describe('encodeTraceExportRequest', () => {
  describe('writes the bytes ProtobufTraceSerializer writes, for attribute values', () => {
    for (const [label, spans] of Object.entries(ATTRIBUTE_CASES)) it(label, () => {
      assertSameEncoding(spans);
    });
  });

  describe('writes the bytes ProtobufTraceSerializer writes, for span fields', () => {
    for (const [label, spans] of Object.entries(SPAN_CASES)) it(label, () => {
      assertSameEncoding(spans);
    });
  });

  describe('groups as ProtobufTraceSerializer does', () => {
    for (const [label, spans] of Object.entries(GROUPING_CASES)) it(label, () => {
      assertSameEncoding(spans);
    });

    it('one ResourceSpans per Resource object and one ScopeSpans per scope object, in order of first appearance', () => {
      const request = assertSameEncoding([...GROUPING_CASES['resources by identity, interleaved']!, ...GROUPING_CASES['scopes by identity within a resource, interleaved']!]) as {
        resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
      };
      const names = request.resourceSpans.map((resourceSpans) => resourceSpans.scopeSpans.map((scopeSpans) => scopeSpans.spans.map((one) => one.name)));
      assert.deepStrictEqual(names, [
        [['a1', 'a2', 'a3'], ['other resource']],
        [['twin1', 'twin2']],
        [['schema1']],
        [['empty1']],
        [['large']],
        [['types']],
        [['s1', 's2'], ['t1', 't2'], ['schema'], ['bare'], ['attributes'], ['empty attributes']],
      ]);
    });
  });

  it('writes the bytes ProtobufTraceSerializer writes for SpanMapper spans of the nested multi-agent fixture', () => {
    const spans = fixtureSpans();
    assert.equal(spans.length, 6);
    assertSameEncoding(spans);
  });

  it('writes the bytes ProtobufTraceSerializer writes for spans the OpenTelemetry JS SDK recorded', () => {
    const spans = sdkSpans();
    assert.equal(spans.length, 4);
    assertSameEncoding(spans);
  });

  it('writes the bytes ProtobufTraceSerializer writes for spans read back from OTLP (scope attributes, the intake path)', () => {
    const spans = [...fixtureSpans(), ...sdkSpans(), ...GROUPING_CASES['scopes by identity within a resource, interleaved']!];
    const { spans: read, rejected } = decodeTracesProtobuf(reference(spans));
    assert.equal(rejected.count, 0);
    assert.equal(read.length, spans.length);
    assertSameEncoding(read);
  });

  it('writes the bytes ProtobufTraceSerializer writes for 600 random spans (seeded)', () => {
    for (const seed of [1, 2, 3]) {
      const spans = randomSpans(seed, 200);
      assertSameEncoding(spans);
      for (let from = 0; from < spans.length; from += 25) assertSameEncoding(spans.slice(from, from + 25));
    }
  });

  it('covers every AnyValue case, and values of no OTLP type as an empty AnyValue', () => {
    const request = assertSameEncoding([...Object.values(ATTRIBUTE_CASES).flat(), ...randomSpans(4, 50)]);
    assert.deepStrictEqual([...anyValueCases(request)].sort(), ['arrayValue', 'boolValue', 'bytesValue', 'doubleValue', 'empty', 'intValue', 'kvlistValue', 'stringValue']);
  });

  it('writes the whole corpus at once as ProtobufTraceSerializer does', () => {
    assertSameEncoding([...Object.values(ATTRIBUTE_CASES).flat(), ...Object.values(SPAN_CASES).flat(), ...Object.values(GROUPING_CASES).flat(), ...fixtureSpans(), ...sdkSpans(), ...randomSpans(5, 300)]);
  });

  it('encodes no spans as ProtobufTraceSerializer does: an empty request of zero bytes', () => {
    const expected = reference([]);
    assert.deepStrictEqual(encodeTraceExportRequest([]), expected);
    assert.equal(expected.length, 0);
  });

  it('returns bytes of the caller: a later request does not overwrite them', () => {
    const first = [span({ name: 'first', attributes: { a: 'x'.repeat(1_000) } })];
    const kept = encodeTraceExportRequest(first);
    encodeTraceExportRequest([span({ name: 'second', attributes: { b: 'y'.repeat(1_000) } })]);
    encodeTraceExportRequest([span({ attributes: { payload: 'p'.repeat(5_000_000) } })]);
    assert.deepStrictEqual(Buffer.from(kept), Buffer.from(reference(first)));
  });

  it('writes a request whose attribute getter writes another request', () => {
    const inner = [span({ name: 'inner', attributes: { inner: 'value' } })];
    const attributes = { before: 1 } as Record<string, unknown>;
    Object.defineProperty(attributes, 'getter', { enumerable: true, get: () => encodeTraceExportRequest(inner).length });
    attributes['after'] = 'x';
    const outer = [span({ name: 'outer', attributes })];
    const request = assertSameEncoding(outer);
    assert.equal(JSON.stringify(request).includes('"key":"getter","value":{"intValue":"'), true);
  });
});

describe('TraceExportRequestEncoder', () => {
  it('writes the same bytes whatever size its buffer starts at: its first growth at every byte of a request', () => {
    const spans = [
      span({
        kind: SpanKind.CLIENT,
        traceState: new TraceState('vendor=abc'),
        parent: { traceId: TRACE_ID, spanId: OTHER_PARENT, traceFlags: 1, isRemote: true },
        attributes: { text: 'é🤖', int: -5, big: 2 ** 40, double: 0.5, flag: true, list: [1, 'a', null], bytes: new Uint8Array([1, 2]), map: { k: 'v' } },
        events: [
          { name: 'with attributes', time: [1_800_000_000, 1], attributes: { n: 1 }, droppedAttributesCount: 2 },
          { name: 'without', time: [1_800_000_000, 2] },
        ],
        links: [{ context: { traceId: LINK_TRACE, spanId: 'b'.repeat(16), traceFlags: 1, traceState: new TraceState('k=v') }, attributes: { k: 'v' }, droppedAttributesCount: 1 }],
        status: { code: SpanStatusCode.ERROR, message: 'failed' },
        droppedAttributesCount: 1,
        droppedEventsCount: 300,
        droppedLinksCount: 2,
        resource: RESOURCE_WITH_SCHEMA,
        scope: SCOPE_WITH_ATTRIBUTES,
      }),
      span({ name: 'second scope', scope: SCOPE_WITH_SCHEMA, resource: RESOURCE_WITH_SCHEMA }),
      // Last: a long string reserves room for 3 bytes a unit, which would hide a missing reservation after it.
      span({ name: 'second resource', resource: RESOURCE_TYPES, attributes: { long: 'é'.repeat(30) + 'l'.repeat(150) } }),
    ];
    const expected = Buffer.from(reference(spans));
    for (let size = 1; size <= expected.length + 1; size++) {
      const encoder = new TraceExportRequestEncoder(size);
      assert.deepStrictEqual(Buffer.from(encoder.encode(spans)), expected, `buffer of ${size} bytes at first`);
      assert.deepStrictEqual(Buffer.from(encoder.encode(spans)), expected, `buffer of ${size} bytes, reused`);
    }
  });

  it('refuses a starting size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) assert.throws(() => new TraceExportRequestEncoder(size), RangeError);
  });
});

describe('DirectProtobufTraceSerializer', () => {
  it('serializes requests with encodeTraceExportRequest', () => {
    const spans = fixtureSpans();
    assert.deepStrictEqual(Buffer.from(DirectProtobufTraceSerializer.serializeRequest(spans) ?? []), Buffer.from(reference(spans)));
  });

  it('reads responses as ProtobufTraceSerializer does', () => {
    const partial = encodeExportResponse({ rejectedSpans: 3, errorMessage: 'resourceSpans[0]: bad span' });
    assert.deepStrictEqual(DirectProtobufTraceSerializer.deserializeResponse(partial), ProtobufTraceSerializer.deserializeResponse(partial));
    assert.deepStrictEqual(DirectProtobufTraceSerializer.deserializeResponse(partial), { partialSuccess: { rejectedSpans: 3, errorMessage: 'resourceSpans[0]: bad span' } });
    assert.deepStrictEqual(DirectProtobufTraceSerializer.deserializeResponse(new Uint8Array(0)), {});
  });
});
