import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractTracesFromEventStream } from '../../src/a2a/extract-event-stream.js';
import { EnvelopeExtractor, MAX_RPC_ERRORS_KEPT, extractTraces } from '../../src/a2a/extract-traces.js';
import {
  TIMESTAMP_METADATA_KEYS,
  TRACEABILITY_EXTENSION_URI,
  TRACEABILITY_METADATA_KEY,
  TRACEABILITY_METADATA_KEYS,
} from '../../src/a2a/extension-keys.js';
import { propertyPath } from '../../src/model/field-path.js';
import { parseEventStream } from '../../src/a2a/sse-parser.js';

const TRACE = {
  trace_id: 'trace-table-1',
  steps: [{ step_id: 's1', trace_id: 'trace-table-1', parent_step_id: null, call_type: 'TOOL', name: 'lookup', latency: 5 }],
};
const OTHER_TRACE = { trace_id: 'trace-table-2', steps: [{ step_id: 's1', call_type: 'AGENT', name: 'helper' }] };
const TASK_ID = 'task-1';
const CONTEXT_ID = 'ctx-1';

type Version = '0.3' | '1.0';
type Metadata = Record<string, unknown>;
type Part = Record<string, unknown>;

const rpc = (result: unknown) => ({ jsonrpc: '2.0', id: 1, result });
const message = (version: Version, metadata?: Metadata, parts: Part[] = []) =>
  version === '0.3'
    ? { kind: 'message', messageId: 'm-1', role: 'agent', contextId: CONTEXT_ID, taskId: TASK_ID, parts, metadata }
    : { messageId: 'm-1', role: 'ROLE_AGENT', contextId: CONTEXT_ID, taskId: TASK_ID, parts, metadata };
const artifact = (metadata?: Metadata, parts: Part[] = [{ text: 'x' }]) => ({ artifactId: 'art-1', name: 'result', parts, metadata });
const task = (version: Version, fields: Record<string, unknown>) => ({
  ...(version === '0.3' ? { kind: 'task' } : {}),
  id: TASK_ID,
  contextId: CONTEXT_ID,
  status: { state: version === '0.3' ? 'completed' : 'TASK_STATE_COMPLETED', timestamp: '2026-03-10T10:00:00Z' },
  ...fields,
});
const wrapTask = (version: Version, value: unknown) => (version === '0.3' ? rpc(value) : rpc({ task: value }));
const wrapMessage = (version: Version, value: unknown) => (version === '0.3' ? rpc(value) : rpc({ message: value }));
const statusUpdate = (version: Version, fields: Record<string, unknown>) => {
  const event = { taskId: TASK_ID, contextId: CONTEXT_ID, status: { state: version === '0.3' ? 'working' : 'TASK_STATE_WORKING' }, ...fields };
  return version === '0.3' ? rpc({ kind: 'status-update', final: true, ...event }) : rpc({ statusUpdate: event });
};
const artifactUpdate = (version: Version, value: unknown) => {
  const event = { taskId: TASK_ID, contextId: CONTEXT_ID, artifact: value };
  return version === '0.3' ? rpc({ kind: 'artifact-update', ...event }) : rpc({ artifactUpdate: event });
};
const prefix = (version: Version, member: string) => (version === '0.3' ? 'result' : `result.${member}`);

/** Every metadata placement of DESIGN §2: builds the body with `metadata` in place, and names its path. */
const METADATA_PLACEMENTS: Array<{ name: string; build: (version: Version, metadata: Metadata) => unknown; path: (version: Version) => string }> = [
  { name: 'Task.metadata', build: (v, m) => wrapTask(v, task(v, { metadata: m })), path: (v) => `${prefix(v, 'task')}.metadata` },
  {
    name: 'Task.status.message.metadata',
    build: (v, m) => wrapTask(v, task(v, { status: { state: 'completed', message: message(v, m) } })),
    path: (v) => `${prefix(v, 'task')}.status.message.metadata`,
  },
  { name: 'Task.artifacts[*].metadata', build: (v, m) => wrapTask(v, task(v, { artifacts: [artifact(), artifact(m)] })), path: (v) => `${prefix(v, 'task')}.artifacts[1].metadata` },
  { name: 'Task.history[*].metadata', build: (v, m) => wrapTask(v, task(v, { history: [message(v), message(v, m)] })), path: (v) => `${prefix(v, 'task')}.history[1].metadata` },
  { name: 'Message.metadata', build: (v, m) => wrapMessage(v, message(v, m)), path: (v) => `${prefix(v, 'message')}.metadata` },
  { name: 'status-update metadata', build: (v, m) => statusUpdate(v, { metadata: m }), path: (v) => `${prefix(v, 'statusUpdate')}.metadata` },
  {
    name: 'status-update status.message.metadata',
    build: (v, m) => statusUpdate(v, { status: { state: 'working', message: message(v, m) } }),
    path: (v) => `${prefix(v, 'statusUpdate')}.status.message.metadata`,
  },
  { name: 'artifact-update artifact.metadata', build: (v, m) => artifactUpdate(v, artifact(m)), path: (v) => `${prefix(v, 'artifactUpdate')}.artifact.metadata` },
];

/** Every part placement: builds the body with `parts`, and names the path of the parts array. */
const PART_PLACEMENTS: Array<{ name: string; build: (version: Version, parts: Part[]) => unknown; path: (version: Version) => string }> = [
  { name: 'Message.parts', build: (v, p) => wrapMessage(v, message(v, undefined, p)), path: (v) => `${prefix(v, 'message')}.parts` },
  { name: 'Task.artifacts[*].parts', build: (v, p) => wrapTask(v, task(v, { artifacts: [artifact(undefined, p)] })), path: (v) => `${prefix(v, 'task')}.artifacts[0].parts` },
  {
    name: 'Task.status.message.parts',
    build: (v, p) => wrapTask(v, task(v, { status: { state: 'completed', message: message(v, undefined, p) } })),
    path: (v) => `${prefix(v, 'task')}.status.message.parts`,
  },
  { name: 'Task.history[*].parts', build: (v, p) => wrapTask(v, task(v, { history: [message(v, undefined, p)] })), path: (v) => `${prefix(v, 'task')}.history[0].parts` },
  { name: 'artifact-update artifact.parts', build: (v, p) => artifactUpdate(v, artifact(undefined, p)), path: (v) => `${prefix(v, 'artifactUpdate')}.artifact.parts` },
];

/** The part shapes that hold a trace, per version, and the path of the trace inside the part. */
const TRACE_PARTS: Record<Version, Array<{ name: string; part: Part; inner: string }>> = {
  '0.3': [
    { name: 'data part', part: { kind: 'data', data: TRACE }, inner: '.data' },
    { name: 'text part', part: { kind: 'text', text: JSON.stringify(TRACE) }, inner: '.text' },
  ],
  '1.0': [
    { name: 'data part', part: { data: TRACE, mediaType: 'application/json' }, inner: '.data' },
    { name: 'data part (draft {data: {data}})', part: { data: { data: TRACE } }, inner: '.data.data' },
    { name: 'text part', part: { text: `  ${JSON.stringify(TRACE, null, 2)}\n`, mediaType: 'application/json' }, inner: '.text' },
  ],
};

function found(body: unknown) {
  const extraction = extractTraces(body);
  assert.equal(extraction.isEnvelope, true);
  assert.deepEqual(extraction.issues, []);
  return extraction.traces.map(({ value, path }) => ({ value, path }));
}

describe('extractTraces: every placement x key x protocol version', () => {
  for (const version of ['0.3', '1.0'] as const) {
    for (const placement of METADATA_PLACEMENTS) {
      for (const key of TRACEABILITY_METADATA_KEYS) {
        for (const form of ['object', 'JSON string'] as const) {
          it(`${version} ${placement.name} under ${key} as ${form}`, () => {
            const value = form === 'object' ? TRACE : JSON.stringify(TRACE);
            const body = placement.build(version, { other: 1, [key]: value });
            assert.deepEqual(found(body), [{ value: TRACE, path: propertyPath(placement.path(version), key) }]);
          });
        }
      }
    }
    for (const placement of PART_PLACEMENTS) {
      for (const { name, part, inner } of TRACE_PARTS[version]) {
        it(`${version} ${placement.name} holding a ${name}`, () => {
          const body = placement.build(version, [{ kind: 'text', text: 'Here is your answer.' }, part]);
          assert.deepEqual(found(body), [{ value: TRACE, path: `${placement.path(version)}[1]${inner}` }]);
        });
      }
    }
  }

  it('reads bare objects: a 1.0 GetTask result, an Artifact, a stream event without JSON-RPC', () => {
    const metadata = { [TRACEABILITY_METADATA_KEY]: TRACE };
    assert.deepEqual(found(rpc(task('1.0', { metadata }))), [{ value: TRACE, path: `result.metadata[${JSON.stringify(TRACEABILITY_METADATA_KEY)}]` }]);
    assert.deepEqual(found(artifact(metadata)), [{ value: TRACE, path: `metadata[${JSON.stringify(TRACEABILITY_METADATA_KEY)}]` }]);
    assert.deepEqual(found({ statusUpdate: { taskId: 't', status: {}, metadata } }), [
      { value: TRACE, path: `statusUpdate.metadata[${JSON.stringify(TRACEABILITY_METADATA_KEY)}]` },
    ]);
    assert.deepEqual(found({ taskId: 't', contextId: 'c', status: { state: 'TASK_STATE_FAILED' }, metadata }), [
      { value: TRACE, path: `metadata[${JSON.stringify(TRACEABILITY_METADATA_KEY)}]` },
    ]);
    assert.deepEqual(found({ status_update: { taskId: 't', status: {}, metadata } }).length, 1);
  });

  it('takes an array of traces under a key', () => {
    const body = rpc(message('0.3', { [TRACEABILITY_EXTENSION_URI]: [TRACE, OTHER_TRACE] }));
    const base = `result.metadata[${JSON.stringify(TRACEABILITY_EXTENSION_URI)}]`;
    assert.deepEqual(found(body), [
      { value: TRACE, path: `${base}[0]` },
      { value: OTHER_TRACE, path: `${base}[1]` },
    ]);
  });
});

describe('extractTraces: what counts', () => {
  it('ingests every distinct trace of one envelope, in document order', () => {
    const body = rpc(task('0.3', { metadata: { trace: OTHER_TRACE }, artifacts: [artifact({ [TRACEABILITY_METADATA_KEY]: TRACE })] }));
    assert.deepEqual(found(body).map((trace) => trace.value), [OTHER_TRACE, TRACE]);
  });

  it('takes the same trace once (same id, same content, key order and JSON-string form aside)', () => {
    const reordered = { steps: TRACE.steps, trace_id: TRACE.trace_id };
    const body = rpc(
      task('0.3', {
        metadata: { [TRACEABILITY_METADATA_KEY]: TRACE },
        status: { state: 'completed', message: message('0.3', { trace: JSON.stringify(reordered) }) },
        artifacts: [artifact(undefined, [{ kind: 'data', data: TRACE }])],
      }),
    );
    assert.deepEqual(found(body), [{ value: TRACE, path: `result.metadata[${JSON.stringify(TRACEABILITY_METADATA_KEY)}]` }]);
  });

  it('merges copies of one trace id by step id, so a trace that grew is taken once, whole', () => {
    const updated = { ...(TRACE.steps[0] as Record<string, unknown>), cost: 99 };
    const grown = { ...TRACE, steps: [updated, { step_id: 's2', call_type: 'TOOL', name: 'more' }] };
    const body = rpc(task('0.3', { metadata: { trace: TRACE }, artifacts: [artifact({ trace: grown })] }));
    assert.deepEqual(found(body), [{ value: { ...TRACE, steps: [updated, { step_id: 's2', call_type: 'TOOL', name: 'more' }] }, path: 'result.metadata.trace' }]);
  });

  it('takes a data or text part only when it looks like a ResponseTrace, and `trace` only then too', () => {
    const extraction = extractTraces(
      rpc(
        message('0.3', { trace: 'trace-id-7', other: TRACE }, [
          { kind: 'data', data: { answer: 42 } },
          { kind: 'text', text: '{"trace_id": "only an id"}' },
          { kind: 'text', text: '{not json' },
          { kind: 'file', file: { uri: 'https://example.com/a.pdf' } },
        ]),
      ),
    );
    assert.deepEqual(extraction.traces, []);
    assert.deepEqual(extraction.issues, []);
    assert.deepEqual(extraction.searched, [
      { path: 'result.metadata', placement: 'Message.metadata', outcome: 'no trace under a traceability key (keys: "trace", "other")' },
      { path: 'result.parts[0].data', placement: 'data part', outcome: 'not a ResponseTrace (no "steps" array)' },
      { path: 'result.parts[1].text', placement: 'text part', outcome: 'not a ResponseTrace as JSON' },
      { path: 'result.parts[2].text', placement: 'text part', outcome: 'not a ResponseTrace as JSON' },
    ]);
  });

  it('hands anything under an extension key to the reader, and refuses what cannot be a trace', () => {
    const key = JSON.stringify(TRACEABILITY_METADATA_KEY);
    const noSteps = extractTraces(rpc(message('0.3', { [TRACEABILITY_METADATA_KEY]: { trace_id: 'x' } })));
    assert.deepEqual(noSteps.traces.map((trace) => trace.path), [`result.metadata[${key}]`]);
    const notJson = extractTraces(rpc(message('0.3', { [TRACEABILITY_METADATA_KEY]: 'trace-1' })));
    assert.deepEqual(notJson.traces, []);
    assert.equal(notJson.issues[0]?.path, `result.metadata[${key}]`);
    assert.match(notJson.issues[0]?.reason ?? '', /^expected a ResponseTrace or a JSON string of one; this string is not JSON/);
    const number = extractTraces(rpc(message('0.3', { [TRACEABILITY_EXTENSION_URI]: 7 })));
    assert.deepEqual(number.issues, [
      { path: `result.metadata[${JSON.stringify(TRACEABILITY_EXTENSION_URI)}]`, reason: 'expected a ResponseTrace object or a JSON string of one' },
    ]);
    assert.deepEqual(extractTraces(rpc(message('0.3', { [TRACEABILITY_METADATA_KEY]: null }))).issues, []);
  });

  it('tells envelopes from other bodies', () => {
    assert.equal(extractTraces({ hello: 'world' }).isEnvelope, false);
    assert.equal(extractTraces(TRACE).isEnvelope, false);
    assert.equal(extractTraces('text').isEnvelope, false);
    assert.equal(extractTraces({ jsonrpc: '2.0', id: 1, method: 'message/send', params: {} }).isEnvelope, false);
    const empty = extractTraces(rpc(null));
    assert.equal(empty.isEnvelope, true);
    assert.deepEqual(empty.searched, [{ path: 'result', placement: 'JSON-RPC result', outcome: 'not an A2A Task, Message, Artifact or task event' }]);
  });

  it('reports JSON-RPC error responses', () => {
    const extraction = extractTraces({ jsonrpc: '2.0', id: 4, error: { code: -32001, message: 'Task not found' } });
    assert.equal(extraction.isEnvelope, true);
    assert.deepEqual(extraction.rpcErrors, [{ path: 'error', code: -32001, message: 'Task not found' }]);
  });

  it('counts searched places beyond the listed ones', () => {
    const history = Array.from({ length: 60 }, () => message('0.3'));
    const extraction = extractTraces(rpc(task('0.3', { history })));
    assert.equal(extraction.searched.length, 50);
    assert.equal(extraction.searchedLeftOut, 11);
  });
});

describe('extractTraces: the envelope context', () => {
  it('reads ids, traceparent, status timestamps and stamps of both versions, normalized and each once', () => {
    const [stampKey, samplesStampKey] = TIMESTAMP_METADATA_KEYS as [string, string];
    const extractor = new EnvelopeExtractor();
    extractor.add(
      rpc({
        statusUpdate: {
          taskId: 'task-9',
          contextId: 'ctx-9',
          status: {
            state: 'TASK_STATE_INPUT_REQUIRED',
            timestamp: '2026-03-10T10:00:01.5Z',
            message: { messageId: 'm-2', role: 'ROLE_AGENT', parts: [], metadata: { [stampKey]: '2026-03-10T10:00:01.400000+00:00' } },
          },
          metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', [TRACEABILITY_METADATA_KEY]: TRACE },
        },
      }),
      'events[0]',
    );
    extractor.add(
      rpc({
        kind: 'task',
        id: 'task-9',
        contextId: 'ctx-9',
        status: { state: 'input-required', timestamp: '2026-03-10T10:00:01.5Z', message: { kind: 'message', messageId: 'm-2', role: 'agent', parts: [] } },
        history: [{ kind: 'message', messageId: 'm-1', role: 'user', parts: [], metadata: { [samplesStampKey]: 'yesterday' } }],
        artifacts: [{ artifactId: 'a-1', name: 'answer', parts: [], metadata: { [samplesStampKey]: '2026-03-10T10:00:01.450Z' } }],
        metadata: { [stampKey]: '2026-03-10T10:00:00Z', [TRACEABILITY_METADATA_KEY]: TRACE },
      }),
      'events[1]',
    );
    const extraction = extractor.finish();
    assert.equal(extraction.traces.length, 1);
    const context = extraction.traces[0]?.context;
    assert.equal(context?.contextId, 'ctx-9');
    assert.equal(context?.taskId, 'task-9');
    assert.deepEqual(context?.traceparent, {
      value: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      path: 'events[0].result.statusUpdate.metadata.traceparent',
    });
    assert.deepEqual(
      context?.marks.map(({ source, time, path, ...ids }) => [source, time.raw, path, ids]),
      [
        ['task_status', '2026-03-10T10:00:01.5Z', 'events[0].result.statusUpdate.status.timestamp', { taskId: 'task-9', state: 'input-required', messageId: 'm-2', role: 'agent' }],
        ['message', '2026-03-10T10:00:01.400000+00:00', `events[0].result.statusUpdate.status.message.metadata[${JSON.stringify(stampKey)}]`, { taskId: undefined, messageId: 'm-2', role: 'agent' }],
        ['task', '2026-03-10T10:00:00Z', `events[1].result.metadata[${JSON.stringify(stampKey)}]`, { taskId: 'task-9' }],
        ['artifact', '2026-03-10T10:00:01.450Z', `events[1].result.artifacts[0].metadata[${JSON.stringify(samplesStampKey)}]`, { taskId: 'task-9', artifactId: 'a-1', artifactName: 'answer' }],
      ],
    );
    assert.deepEqual(context?.warnings, [
      {
        path: `events[1].result.history[0].metadata[${JSON.stringify(samplesStampKey)}]`,
        code: 'envelope_timestamp_invalid',
        message: 'not an RFC 3339 timestamp: "yesterday"; ignored',
      },
    ]);
  });

  it('records at most 128 moments per envelope and says how many more there were', () => {
    const extractor = new EnvelopeExtractor();
    for (let second = 0; second < 130; second++) {
      const timestamp = `2026-03-10T10:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}Z`;
      extractor.add({ kind: 'status-update', taskId: 't', status: { state: 'working', timestamp }, metadata: { trace: TRACE } });
    }
    const context = extractor.finish().traces[0]?.context;
    assert.equal(context?.marks.length, 128);
    assert.deepEqual(context?.warnings, [
      { path: '', code: 'envelope_marks_truncated', message: '2 more envelope timestamps beyond 128 were not recorded' },
    ]);
  });

  it('gives each element of a JSON-RPC batch its own context', () => {
    const extraction = extractTraces([
      rpc({ kind: 'task', id: 'task-a', contextId: 'ctx-a', status: {}, metadata: { trace: TRACE } }),
      rpc({ kind: 'task', id: 'task-b', contextId: 'ctx-b', status: {}, metadata: { trace: OTHER_TRACE } }),
    ]);
    assert.deepEqual(
      extraction.traces.map((trace) => [trace.path, trace.context.taskId, trace.context.contextId]),
      [
        ['[0].result.metadata.trace', 'task-a', 'ctx-a'],
        ['[1].result.metadata.trace', 'task-b', 'ctx-b'],
      ],
    );
  });
});

describe('extractTracesFromEventStream', () => {
  it('reads every event of a stream as one envelope and names bad events by index and line', () => {
    const stream = [
      ': ping',
      `data: ${JSON.stringify(rpc({ kind: 'status-update', taskId: 't', contextId: 'c', status: { state: 'working' } }))}`,
      '',
      'data: {"jsonrpc": "2.0", "result": ',
      '',
      'data: {"unrelated": true}',
      '',
      'event: error',
      'data: upstream closed',
      '',
      `data: ${JSON.stringify(rpc({ kind: 'status-update', taskId: 't', status: { state: 'completed' }, metadata: { trace: TRACE } }))}`,
      '',
      '',
    ].join('\r\n');
    const extraction = extractTracesFromEventStream(parseEventStream(stream));
    assert.deepEqual(extraction.traces.map((trace) => [trace.path, trace.context.contextId]), [['events[4].result.metadata.trace', 'c']]);
    assert.equal(extraction.invalidEvents.length, 1);
    assert.equal(extraction.invalidEvents[0]?.path, 'events[1]');
    assert.match(extraction.invalidEvents[0]?.reason ?? '', /^line 4: the event's data is not JSON/);
    assert.deepEqual(extraction.rpcErrors, [{ path: 'events[3]', code: undefined, message: 'upstream closed' }]);
    assert.deepEqual(
      extraction.searched.filter((place) => place.path === 'events[2]'),
      [{ path: 'events[2]', placement: '"message" event', outcome: 'not a JSON-RPC response or A2A stream event' }],
    );
  });

  it('is an envelope even with no event', () => {
    const extraction = extractTracesFromEventStream(parseEventStream(': ping\n\n'));
    assert.equal(extraction.isEnvelope, true);
    assert.deepEqual(extraction.traces, []);
  });
});

describe('merging copies of one trace', () => {
  const ended = { step_id: 's1', call_type: 'TOOL', name: 'lookup', start_time: '2026-03-10T21:23:14Z', end_time: '2026-03-10T21:23:15Z' };
  const inFlight = { step_id: 's1', call_type: 'TOOL', name: 'lookup', start_time: '2026-03-10T21:23:14Z', end_time: null };

  it('keeps the ended version of a step over an in-flight copy found later (a Task history is walked last)', () => {
    const body = rpc(
      task('0.3', {
        status: { state: 'completed', message: message('0.3', { trace: { trace_id: 'h', steps: [ended] } }) },
        history: [message('0.3', { trace: { trace_id: 'h', steps: [inFlight] } })],
      }),
    );
    const traces = found(body);
    assert.equal(traces.length, 1);
    assert.deepEqual((traces[0]?.value as { steps: unknown[] }).steps, [ended]);
  });

  it('keeps repeated step ids of one copy when the trace appears twice', () => {
    const trace = { trace_id: 'd', steps: [{ step_id: 's1', name: 'first' }, { step_id: 's1', name: 'second' }, { step_id: 's2' }] };
    const traces = found(rpc(task('0.3', { metadata: { trace }, status: { state: 'completed', message: message('0.3', { trace }) } })));
    assert.equal(traces.length, 1);
    assert.deepEqual((traces[0]?.value as { steps: unknown[] }).steps, trace.steps);
  });
});

describe('JSON-RPC errors per envelope', () => {
  it('keeps at most MAX_RPC_ERRORS_KEPT of them', () => {
    const extractor = new EnvelopeExtractor();
    for (let i = 0; i < 1000; i++) extractor.addError(`events[${i}]`, 'boom');
    assert.equal(extractor.finish().rpcErrors.length, MAX_RPC_ERRORS_KEPT);
  });
});
