/**
 * The reader's zod-free happy path, held against zod on a seeded, fuzzed corpus: `isRawStep` and
 * `isRawTrace` accept exactly what `RawStepSchema` and `RawTraceSchema` accept, a value they accept
 * holds the data zod would have handed the reader, and `readResponseTrace` reads every fuzzed body
 * as it reads the same body made of zod's output, refusals and their issues included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CollectorError, type FieldIssue } from '../../src/errors.js';
import { passThroughAttributeName } from '../../src/mapping/attribute-names.js';
import { fieldPath, indexPath } from '../../src/model/field-path.js';
import { isObject } from '../../src/model/json-value.js';
import { isRawStep, isRawTrace } from '../../src/model/raw-shape.js';
import { readResponseTrace, type ReadLimits, type ReadResult } from '../../src/model/read-trace.js';
import { RawStepSchema, RawTraceSchema } from '../../src/model/schema.js';
import { seededRandom } from '../helpers/seeded-random.js';

const LIMITS: ReadLimits = { maxNestingDepth: 8, maxSteps: 10_000, passThroughAttributeName };
const BASE_PATH = 'traces[0]';


function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  assert.ok(item !== undefined);
  return item;
}

/** Defines `key` as JSON.parse does, so that a key `__proto__` stays an own key. */
function defineOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function shallowCopy(value: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) defineOwn(copy, key, value[key]);
  return copy;
}

/** Marks a key deleted rather than replaced. */
const ABSENT = Symbol('absent');

/**
 * `value` with the member at `keys` replaced (copied on write, missing objects on the way
 * created); the whole value when `keys` is empty.
 */
function replacedAt(value: unknown, keys: readonly string[], replacement: unknown): unknown {
  const [key, ...rest] = keys;
  if (key === undefined) return replacement === ABSENT ? value : replacement;
  const copy = isPlainObject(value) ? shallowCopy(value) : {};
  if (rest.length === 0 && replacement === ABSENT) delete copy[key];
  else defineOwn(copy, key, replacedAt(Object.hasOwn(copy, key) ? copy[key] : undefined, rest, replacement));
  return copy;
}

interface Replacement {
  readonly label: string;
  /** A fresh value on each call. */
  readonly make: () => unknown;
  /**
   * False for what neither JSON.parse nor a plain JS caller yields (a Date, a Map, a symbol, ...):
   * zod's verdict on it is compared, but not its output, which rebuilds such an object as `{}`.
   */
  readonly plain: boolean;
}

const plain = (label: string, make: () => unknown): Replacement => ({ label, make, plain: true });
const exotic = (label: string, make: () => unknown): Replacement => ({ label, make, plain: false });
const TIMESTAMP = '2026-03-10T21:23:14.974500+00:00';
const TRACEBACK = 'Traceback (most recent call last):\n  File "agent.py", line 3, in run\nValueError: bad input';

/** Values of every JSON type, and the edge values of each field's checks. */
const REPLACEMENTS: readonly Replacement[] = [
  plain('absent', () => ABSENT),
  plain('undefined', () => undefined),
  plain('null', () => null),
  ...['', ' ', 'abc', ' 12 ', '12', '-7', '007', '1e5', '1E-3', '-.5', '.5', '5.', '+5', '-', '.', '1e', 'e5', '0x1f', 'Infinity', 'NaN', '1_000']
    .map((text) => plain(JSON.stringify(text), () => text)),
  ...['１２', '\u00a012\u2003', '\n3\t', '\u200b1', '9'.repeat(400), TIMESTAMP, '2026-03-10T21:23:14.5', 'yesterday', 'AGENT', 'CALL_TYPE_TOOL', TRACEBACK]
    .map((text) => plain(JSON.stringify(text.slice(0, 24)), () => text)),
  ...[0, -0, 1, -1, 3, 0.00042, 1234, 2 ** 53 + 2, 1e17, 1e21, Number.MAX_VALUE, 5e-324, NaN, Infinity, -Infinity]
    .map((number) => plain(Object.is(number, -0) ? '-0' : String(number), () => number)),
  plain('true', () => true),
  plain('false', () => false),
  plain('[]', () => []),
  plain('[1,"a"]', () => [1, 'a']),
  plain('[{step_id}]', () => [{ step_id: 'x' }]),
  plain('{}', () => ({})),
  plain('{a:1}', () => ({ a: 1 })),
  plain('{tool_name:5}', () => ({ tool_name: 5 })),
  plain('{agent_name,response_trace}', () => ({ agent_name: 'callee', response_trace: { trace_id: 'n', steps: [] } })),
  plain('a trace', () => ({ trace_id: 'n', steps: [{ step_id: 'n1', call_type: 'TOOL', cost: 'abc' }] })),
  plain('{steps:"x"}', () => ({ steps: 'x' })),
  plain('token attributes', () => ({ input_tokens: '12', completion_tokens: -3, 'service.name': 'shadow', constructor: 'c' })),
  plain('{message,type}', () => ({ message: 'boom', type: 'UpstreamError' })),
  plain('JSON {"__proto__":{bad fields}}', () => JSON.parse('{"__proto__":{"cost":"abc","tool_name":5,"steps":1},"k":1}')),
  plain('JSON {"__proto__":null}', () => JSON.parse('{"__proto__":null}')),
  exotic('Date', () => new Date(0)),
  exotic('Map', () => new Map([['cost', 'abc']])),
  exotic('null-prototype object', () => Object.assign(Object.create(null) as object, { tool_name: 1, cost: 2 })),
  exotic('bad fields inherited', () => Object.create({ cost: 'abc', tool_name: 5, trace_id: NaN, steps: 'x', agent_name: 1 }) as object),
  exotic('String object', () => new String('12')),
  exotic('function', () => () => 1),
  exotic('symbol', () => Symbol('s')),
  exotic('bigint', () => 12n),
];

interface Field {
  /** The keys from the value down to the field; none for the value itself. */
  readonly keys: readonly string[];
  /** True for `z.unknown()` fields and own `__proto__` keys, which zod skips: no value is refused there. */
  readonly takesAnything: boolean;
}

/** The objects zod rebuilds (not passing them through), and below them those it rebuilds in turn. */
interface Nesting {
  readonly rebuilt: ReadonlyMap<string, Nesting>;
}

function unwrapped(schema: z.core.$ZodType): z.core.$ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return unwrapped(schema.unwrap());
  return schema;
}

/** Every field of `schema`, read from the schema itself so that a field added there is fuzzed here. */
function fieldsOf(schema: z.ZodObject, prefix: readonly string[] = []): { fields: Field[]; nesting: Nesting } {
  const fields: Field[] = [{ keys: [...prefix, '__proto__'], takesAnything: true }];
  const rebuilt = new Map<string, Nesting>();
  for (const [key, fieldSchema] of Object.entries<z.core.$ZodType>(schema.shape)) {
    const inner = unwrapped(fieldSchema);
    fields.push({ keys: [...prefix, key], takesAnything: inner instanceof z.ZodUnknown });
    if (inner instanceof z.ZodObject) {
      const nested = fieldsOf(inner, [...prefix, key]);
      fields.push(...nested.fields);
      rebuilt.set(key, nested.nesting);
    }
  }
  return { fields, nesting: { rebuilt } };
}

const STEP_SHAPE = fieldsOf(RawStepSchema);
const TRACE_SHAPE = fieldsOf(RawTraceSchema);
const STEP_FIELDS: readonly Field[] = [{ keys: [], takesAnything: false }, ...STEP_SHAPE.fields];
const TRACE_FIELDS: readonly Field[] = [{ keys: [], takesAnything: false }, ...TRACE_SHAPE.fields];

/** `value` as zod outputs it: the objects it rebuilds hold every own key but `__proto__`, which the reader never reads. */
function asZodRebuildsIt(value: unknown, nesting: Nesting): unknown {
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') continue;
    const inner = nesting.rebuilt.get(key);
    copy[key] = inner === undefined ? value[key] : asZodRebuildsIt(value[key], inner);
  }
  return copy;
}

const nestedTrace = (): Record<string, unknown> => ({
  trace_id: 'callee-1',
  steps: [{ step_id: 'c1', call_type: 'TOOL', name: 'lookup', cost: 0.5, start_time: TIMESTAMP, end_time: '2026-03-10T21:23:15Z' }],
});

/** Realistic steps, as the Python extension (snake_case) and ProtoJSON (camelCase) producers write them. */
const STEP_BASES: ReadonlyArray<() => Record<string, unknown>> = [
  function pythonToolStep() {
    return {
      step_id: 'step-00000001-4c5e-8f90',
      trace_id: 'trace-1',
      parent_step_id: 'step-root',
      call_type: 'TOOL',
      name: 'search_documents',
      parameters: { query: 'quarterly revenue by region', top_k: 5 },
      requests: null,
      step_type: 'tool',
      cost: 0.00042,
      total_tokens: 1234,
      additional_attributes: { input_tokens: 1000, output_tokens: 234, model: 'gpt-4o-mini' },
      latency: 184,
      start_time: TIMESTAMP,
      end_time: '2026-03-10T21:23:15.158500+00:00',
      error: '',
    };
  },
  function protoToolStep() {
    return {
      stepId: 'step-2',
      traceId: 'trace-1',
      parentStepId: '',
      callType: 'CALL_TYPE_TOOL',
      name: '',
      stepType: 2,
      cost: '0.00042',
      totalTokens: '1234',
      additionalAttributes: { prompt_tokens: '900', completion_tokens: 334, 'service.name': 'shadow' },
      latency: '184',
      startTime: '2026-03-10T21:23:14.9745Z',
      endTime: '2026-03-10T21:23:15Z',
      stepAction: { toolInvocation: { toolName: 'search_documents', parameters: { query: 'q' } } },
      error: TRACEBACK,
    };
  },
  function pythonAgentStep() {
    return {
      step_id: 'step-3',
      parent_step_id: null,
      call_type: 'AGENT',
      name: 'weather-agent',
      cost: 1.25,
      total_tokens: 10,
      latency: 2000,
      start_time: TIMESTAMP,
      end_time: null,
      error: null,
      step_action: {
        agent_invocation: { agent_url: 'http://weather.example/a2a', agent_name: 'weather', requests: [{ text: 'forecast?' }], response_trace: nestedTrace() },
      },
    };
  },
  function protoAgentStep() {
    return {
      stepId: 'step-4',
      callType: 1,
      totalTokens: 7,
      stepAction: {
        agentInvocation: { agentUrl: 'http://rates.example', agentName: 'rates', responseTrace: { steps: [{ stepId: 'r1', callType: 'TOOL', totalTokens: '5' }] } },
      },
    };
  },
  function flatAgentStep() {
    return { step_id: 'step-5', call_type: 'agent', agent_url: 'http://flat.example', agent_name: 'flat', response_trace: nestedTrace() };
  },
  function emptyStep() {
    return {};
  },
  function nullStep() {
    return Object.fromEntries(Object.keys(RawStepSchema.shape).map((key) => [key, null]));
  },
];

const TRACE_BASES: ReadonlyArray<() => Record<string, unknown>> = [
  function pythonTrace() {
    return { trace_id: 'trace-1', steps: [STEP_BASES[0]?.(), STEP_BASES[2]?.()] };
  },
  function protoTrace() {
    return { traceId: 'trace-2', steps: [STEP_BASES[1]?.(), STEP_BASES[3]?.()] };
  },
];

interface Case {
  readonly label: string;
  readonly value: unknown;
  readonly plain: boolean;
  /** The one field this case changed, when it changed only one. */
  readonly field: Field | undefined;
}

function fieldLabel(field: Field): string {
  return field.keys.length === 0 ? '(the value)' : field.keys.join('.');
}

/** Each field replaced by each replacement, on the bases in turn; then `mixed` cases with 2 to 4 fields replaced. */
function corpus(
  random: () => number,
  bases: ReadonlyArray<() => Record<string, unknown>>,
  fields: readonly Field[],
  mixed: number,
): Case[] {
  const cases: Case[] = bases.map((make) => ({ label: make.name, value: make(), plain: true, field: undefined }));
  let turn = 0;
  for (const field of fields) {
    for (const replacement of REPLACEMENTS) {
      const make = bases[turn++ % bases.length] as () => Record<string, unknown>;
      const value = replacedAt(make(), field.keys, replacement.make());
      cases.push({ label: `${make.name} with ${fieldLabel(field)} = ${replacement.label}`, value, plain: replacement.plain, field });
    }
  }
  for (let i = 0; i < mixed; i++) {
    const make = pick(random, bases);
    let value: unknown = make();
    let isPlain = true;
    const labels: string[] = [];
    const count = 2 + Math.floor(random() * 3);
    for (let j = 0; j < count; j++) {
      const field = pick(random, fields);
      const replacement = pick(random, REPLACEMENTS);
      value = replacedAt(value, field.keys, replacement.make());
      isPlain &&= replacement.plain;
      labels.push(`${fieldLabel(field)} = ${replacement.label}`);
    }
    cases.push({ label: `${make.name} with ${labels.join(', ')}`, value, plain: isPlain, field: undefined });
  }
  return cases;
}

interface Tally {
  accepted: number;
  refused: number;
}

/**
 * Checks each case against zod and counts, per field changed alone, how often zod accepted and
 * refused it.
 */
function checkAgainstZod(
  cases: readonly Case[],
  fields: readonly Field[],
  isRaw: (value: unknown) => boolean,
  schema: z.ZodType,
  nesting: Nesting,
): { tallies: Map<Field, Tally>; accepted: number } {
  const tallies = new Map<Field, Tally>(fields.map((field) => [field, { accepted: 0, refused: 0 }]));
  let accepted = 0;
  for (const { label, value, plain: isPlain, field } of cases) {
    const parsed = schema.safeParse(value);
    assert.equal(isRaw(value), parsed.success, label);
    if (parsed.success) {
      accepted++;
      if (isPlain) assert.deepStrictEqual(parsed.data, asZodRebuildsIt(value, nesting), label);
    }
    const tally = field === undefined ? undefined : tallies.get(field);
    if (tally !== undefined) tally[parsed.success ? 'accepted' : 'refused']++;
  }
  return { tallies, accepted };
}

/** Every field that can refuse a value was seen accepted and refused; the others were never refused. */
function assertCoverage(tallies: ReadonlyMap<Field, Tally>): void {
  for (const [field, { accepted, refused }] of tallies) {
    const label = fieldLabel(field);
    assert.ok(accepted > 0, `${label} was never accepted`);
    if (field.takesAnything) assert.equal(refused, 0, `${label} takes any value, yet was refused`);
    else assert.ok(refused > 0, `${label} was never refused`);
  }
}

const random = seededRandom(0x5eed_a2a);
const STEPS = corpus(random, STEP_BASES, STEP_FIELDS, 2000);
const TRACES = corpus(random, TRACE_BASES, TRACE_FIELDS, 500);

describe('the fast-path shape checks', () => {
  it('are literal about the edges of what zod accepts', () => {
    const cases: ReadonlyArray<[string, unknown, boolean]> = [
      ['NaN, ±Infinity and -0 as a cost (typeof number)', { cost: NaN, latency: Infinity, total_tokens: -Infinity, totalTokens: -0 }, true],
      ['numeric strings, spaced and signed', { cost: ' 12 ', latency: '-.5', total_tokens: '1e5', totalTokens: '\u00a05.' }, true],
      ['"1e" as a cost', { cost: '1e' }, false],
      ['"" as a cost', { cost: '' }, false],
      ['NaN as a step id (z.number() wants finite)', { step_id: NaN }, false],
      ['Infinity as a call type', { call_type: Infinity }, false],
      ['keys present holding undefined', { step_id: undefined, step_action: undefined, cost: undefined }, true],
      ['an array as additional_attributes', { additional_attributes: [] }, false],
      ['a Date as additional_attributes', { additional_attributes: new Date(0) }, true],
      ['a tool name nested in step_action', { step_action: { tool_invocation: { tool_name: 5 } } }, false],
      ['an agent name nested in stepAction', { stepAction: { agentInvocation: { agentName: null, agent_url: 'u' } } }, true],
      ['an own __proto__ key holding bad fields', JSON.parse('{"__proto__":{"cost":"abc"}}'), true],
      ['bad fields inherited from the prototype', Object.create({ cost: 'abc' }), false],
      ['an array as the step', [], false],
      ['null as the step', null, false],
    ];
    for (const [label, value, expected] of cases) {
      assert.equal(isRawStep(value), expected, label);
      assert.equal(RawStepSchema.safeParse(value).success, expected, `zod: ${label}`);
    }
    assert.equal(isRawTrace({ steps: [] }), true);
    assert.equal(isRawTrace({ trace_id: 'NaN', steps: ['not a step'] }), true);
    assert.equal(isRawTrace({ steps: undefined }), false);
    assert.equal(isRawTrace({ trace_id: NaN, steps: [] }), false);
  });

  it('accept exactly the fuzzed steps zod accepts, holding the data zod returns', (t) => {
    const { tallies, accepted } = checkAgainstZod(STEPS, STEP_FIELDS, isRawStep, RawStepSchema, STEP_SHAPE.nesting);
    assertCoverage(tallies);
    t.diagnostic(`${STEPS.length} steps, ${accepted} accepted, ${STEPS.length - accepted} refused, over ${STEP_FIELDS.length} fields`);
  });

  it('accept exactly the fuzzed traces zod accepts, holding the data zod returns', (t) => {
    const { tallies, accepted } = checkAgainstZod(TRACES, TRACE_FIELDS, isRawTrace, RawTraceSchema, TRACE_SHAPE.nesting);
    assertCoverage(tallies);
    t.diagnostic(`${TRACES.length} traces, ${accepted} accepted, ${TRACES.length - accepted} refused, over ${TRACE_FIELDS.length} fields`);
  });
});

type Outcome =
  | { readonly accepted: true; readonly result: ReadResult }
  | { readonly accepted: false; readonly code: string; readonly message: string; readonly issues: readonly FieldIssue[] };

function outcome(body: unknown): Outcome {
  try {
    return { accepted: true, result: readResponseTrace(body, BASE_PATH, LIMITS) };
  } catch (error) {
    if (!(error instanceof CollectorError)) throw error;
    return { accepted: false, code: error.code, message: error.message, issues: error.issues };
  }
}

const NESTED_TRACE_HOLDERS = [
  ['step_action', 'agent_invocation'],
  ['step_action', 'agentInvocation'],
  ['stepAction', 'agent_invocation'],
  ['stepAction', 'agentInvocation'],
] as const;

function replaceNestedTraces(holder: Record<string, unknown> | null | undefined): void {
  if (holder === null || holder === undefined) return;
  for (const key of ['response_trace', 'responseTrace']) {
    const nested = holder[key];
    if (nested !== undefined && nested !== null) holder[key] = asZodReadsIt(nested);
  }
}

/**
 * What a zod-only reader reads: the trace, each of its steps and their nested traces, level by
 * level, replaced by zod's output wherever zod accepts them (the objects zod outputs are its own, so
 * they are changed in place).
 */
function asZodReadsIt(trace: unknown): unknown {
  const parsedTrace = RawTraceSchema.safeParse(trace);
  if (!parsedTrace.success) return trace;
  const steps = parsedTrace.data.steps.map((step) => {
    const parsed = RawStepSchema.safeParse(step);
    if (!parsed.success) return step;
    replaceNestedTraces(parsed.data);
    for (const [action, agent] of NESTED_TRACE_HOLDERS) replaceNestedTraces(parsed.data[action]?.[agent]);
    return parsed.data;
  });
  return { ...parsedTrace.data, steps };
}

function zodIssues(schema: z.ZodType, value: unknown, path: string): FieldIssue[] {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: fieldPath(path, issue.path), reason: issue.message }));
}

/** The issues zod finds in the trace, else in its steps, in order: what the reader lists first. */
function parseIssuesOf(trace: unknown): { issues: FieldIssue[]; traceRefused: boolean } {
  const traceIssues = zodIssues(RawTraceSchema, trace, BASE_PATH);
  if (traceIssues.length > 0) return { issues: traceIssues, traceRefused: true };
  const steps = RawTraceSchema.parse(trace).steps;
  const stepsPath = fieldPath(BASE_PATH, ['steps']);
  return { issues: steps.flatMap((step, index) => zodIssues(RawStepSchema, step, indexPath(stepsPath, index))), traceRefused: false };
}

/** Bodies of corpus traces and steps, mostly ones zod accepts, some with corpus bodies nested in a step. */
function bodies(count: number, source: () => number): Case[] {
  const zodAccepts = (schema: z.ZodType) => (each: Case) => each.plain && schema.safeParse(each.value).success;
  const stepsAccepted = STEPS.filter(zodAccepts(RawStepSchema));
  const isAccepted = new Set(stepsAccepted);
  const stepsRefused = STEPS.filter((each) => each.plain && !isAccepted.has(each));
  const tracesWithSteps = TRACES.filter((each) => zodAccepts(RawTraceSchema)(each) && isPlainObject(each.value));
  const tracesRefused = TRACES.filter((each) => each.plain && !RawTraceSchema.safeParse(each.value).success);
  const nestedAt: readonly (readonly string[])[] = [
    ['step_action', 'agent_invocation', 'response_trace'],
    ['stepAction', 'agentInvocation', 'responseTrace'],
    ['response_trace'],
    ['responseTrace'],
  ];
  const body = (depth: number): Case => {
    if (source() < 0.1) return pick(source, tracesRefused);
    const trace = pick(source, tracesWithSteps);
    const labels: string[] = [];
    const steps = Array.from({ length: Math.floor(source() * 5) }, () => {
      const step = pick(source, source() < 0.85 ? stepsAccepted : stepsRefused);
      labels.push(step.label);
      if (depth >= 2 || source() >= 0.25) return step.value;
      const nested = body(depth + 1);
      const at = pick(source, nestedAt);
      labels.push(`${at.join('.')} = (${nested.label})`);
      return replacedAt(step.value, at, nested.value);
    });
    return { label: `${trace.label} with steps [${labels.join('; ')}]`, value: replacedAt(trace.value, ['steps'], steps), plain: true, field: undefined };
  };
  return Array.from({ length: count }, () => body(0));
}

describe('readResponseTrace on fuzzed bodies', () => {
  it('reads each as a zod-only reader does, and lists zod’s reasons for what it refuses', (t) => {
    const corpusBodies = bodies(2000, seededRandom(0xb0d1e5));
    let accepted = 0;
    for (const { label, value } of corpusBodies) {
      const read = outcome(value);
      assert.deepStrictEqual(read, outcome(asZodReadsIt(value)), label);
      const { issues, traceRefused } = parseIssuesOf(value);
      if (read.accepted) {
        assert.deepEqual(issues, [], label);
        accepted++;
      } else {
        assert.deepStrictEqual(traceRefused ? read.issues : read.issues.slice(0, issues.length), issues, label);
      }
    }
    const refused = corpusBodies.length - accepted;
    assert.ok(accepted > corpusBodies.length / 10 && refused > corpusBodies.length / 10, `${accepted} accepted, ${refused} refused`);
    t.diagnostic(`${corpusBodies.length} bodies, ${accepted} accepted, ${refused} refused`);
  });
});
