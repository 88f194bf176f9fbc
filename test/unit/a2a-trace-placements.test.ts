/**
 * One table of trace placements, run through both extraction and `strip_trace`: each placement is
 * read exactly where it is, and removed exactly (everything else kept), so the two cannot drift.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACEABILITY_EXTENSION_URI as URI, TRACEABILITY_METADATA_KEY as KEY } from '../../src/a2a/extension-keys.js';
import { extractTraces } from '../../src/a2a/extract-traces.js';
import { stripTraces } from '../../receivers/a2a-proxy/strip-trace.js';

const TRACE = { trace_id: 'trace-p', steps: [{ step_id: 's1', call_type: 'TOOL', name: 'lookup' }] };
const TRACE_JSON = JSON.stringify(TRACE);
const SAMPLES_KEY = 'github.com/a2aproject/a2a-samples/samples/extensions/traceability/v1/traceability';
const Q = JSON.stringify(KEY);

const rpc = (result: unknown) => ({ jsonrpc: '2.0', id: 1, result });

interface Placement {
  readonly name: string;
  readonly body: unknown;
  /** Where extraction finds TRACE (or, with `refused`, the issue). */
  readonly path: string;
  /** The body without the placement. */
  readonly stripped: unknown;
  /** The value under a traceability key cannot be a trace: extraction reports it, strip removes it. */
  readonly refused?: string;
  readonly emptiedEvent?: boolean;
}

const PLACEMENTS: readonly Placement[] = [
  // Protocol 0.3 JSON-RPC, `kind` shapes.
  {
    name: '0.3 Task.metadata under the canonical key',
    body: rpc({ kind: 'task', id: 't', contextId: 'c', status: { state: 'completed' }, metadata: { [KEY]: TRACE, keep: 1 } }),
    path: `result.metadata[${Q}]`,
    stripped: rpc({ kind: 'task', id: 't', contextId: 'c', status: { state: 'completed' }, metadata: { keep: 1 } }),
  },
  {
    name: '0.3 Task.metadata under the bare extension URI, as a JSON string',
    body: rpc({ kind: 'task', id: 't', metadata: { [URI]: TRACE_JSON } }),
    path: `result.metadata[${JSON.stringify(URI)}]`,
    stripped: rpc({ kind: 'task', id: 't', metadata: {} }),
  },
  {
    name: '0.3 Task.metadata under the key with the extra samples/ segment',
    body: rpc({ kind: 'task', id: 't', metadata: { [SAMPLES_KEY]: TRACE } }),
    path: `result.metadata[${JSON.stringify(SAMPLES_KEY)}]`,
    stripped: rpc({ kind: 'task', id: 't', metadata: {} }),
  },
  {
    name: '0.3 Task.metadata under `trace` as an array (once read but not stripped)',
    body: rpc({ kind: 'task', id: 't', metadata: { trace: [TRACE], keep: 1 } }),
    path: 'result.metadata.trace[0]',
    stripped: rpc({ kind: 'task', id: 't', metadata: { keep: 1 } }),
  },
  {
    name: '0.3 Task.metadata under `trace` as an array that also holds a user value',
    body: rpc({ kind: 'task', id: 't', metadata: { trace: ['user note', TRACE] } }),
    path: 'result.metadata.trace[1]',
    stripped: rpc({ kind: 'task', id: 't', metadata: { trace: ['user note'] } }),
  },
  {
    name: '0.3 Task.metadata under the canonical key, a number: refused and removed',
    body: rpc({ kind: 'task', id: 't', metadata: { [KEY]: 7, keep: 1 } }),
    path: `result.metadata[${Q}]`,
    refused: 'expected a ResponseTrace object or a JSON string of one',
    stripped: rpc({ kind: 'task', id: 't', metadata: { keep: 1 } }),
  },
  {
    name: '0.3 Task.status.message.metadata',
    body: rpc({ kind: 'task', id: 't', status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [], metadata: { [KEY]: TRACE } } } }),
    path: `result.status.message.metadata[${Q}]`,
    stripped: rpc({ kind: 'task', id: 't', status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [], metadata: {} } } }),
  },
  {
    name: '0.3 Task.status.message data part',
    body: rpc({ kind: 'task', id: 't', status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'hi' }, { kind: 'data', data: TRACE }] } } }),
    path: 'result.status.message.parts[1].data',
    stripped: rpc({ kind: 'task', id: 't', status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'hi' }] } } }),
  },
  {
    name: '0.3 Task.artifacts[*].metadata',
    body: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'a', parts: [{ kind: 'text', text: 'x' }], metadata: { [KEY]: TRACE } }] }),
    path: `result.artifacts[0].metadata[${Q}]`,
    stripped: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'a', parts: [{ kind: 'text', text: 'x' }], metadata: {} }] }),
  },
  {
    name: '0.3 Task.artifacts[*] text part holding the trace as JSON, beside a part that stays',
    body: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'a', parts: [{ kind: 'text', text: TRACE_JSON }, { kind: 'text', text: 'answer' }] }] }),
    path: 'result.artifacts[0].parts[0].text',
    stripped: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'a', parts: [{ kind: 'text', text: 'answer' }] }] }),
  },
  {
    name: '0.3 Task.artifacts[*] whose only part is the trace: the artifact leaves the Task',
    body: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'answer', parts: [{ kind: 'text', text: 'x' }] }, { artifactId: 'trace', parts: [{ kind: 'data', data: TRACE }] }] }),
    path: 'result.artifacts[1].parts[0].data',
    stripped: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'answer', parts: [{ kind: 'text', text: 'x' }] }] }),
  },
  {
    name: '0.3 Task.history[*].metadata',
    body: rpc({ kind: 'task', id: 't', history: [{ kind: 'message', messageId: 'm', parts: [], metadata: { trace: TRACE, keep: 1 } }] }),
    path: 'result.history[0].metadata.trace',
    stripped: rpc({ kind: 'task', id: 't', history: [{ kind: 'message', messageId: 'm', parts: [], metadata: { keep: 1 } }] }),
  },
  {
    name: '0.3 Task.history[*] data part holding the trace as a JSON string',
    body: rpc({ kind: 'task', id: 't', history: [{ kind: 'message', messageId: 'm', parts: [{ kind: 'data', data: TRACE_JSON }, { kind: 'text', text: 'q' }] }] }),
    path: 'result.history[0].parts[0].data',
    stripped: rpc({ kind: 'task', id: 't', history: [{ kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'q' }] }] }),
  },
  {
    name: '0.3 Message.metadata',
    body: rpc({ kind: 'message', messageId: 'm', role: 'agent', parts: [{ kind: 'text', text: 'hi' }], metadata: { [KEY]: TRACE } }),
    path: `result.metadata[${Q}]`,
    stripped: rpc({ kind: 'message', messageId: 'm', role: 'agent', parts: [{ kind: 'text', text: 'hi' }], metadata: {} }),
  },
  {
    name: '0.3 Message text part (indented JSON)',
    body: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: `  ${JSON.stringify(TRACE, null, 2)}\n` }] }),
    path: 'result.parts[0].text',
    stripped: rpc({ kind: 'message', messageId: 'm', parts: [] }),
  },
  {
    name: 'a part\'s own metadata: the key goes, the part stays',
    body: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'hi', metadata: { [KEY]: TRACE, lang: 'en' } }] }),
    path: `result.parts[0].metadata[${Q}]`,
    stripped: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'hi', metadata: { lang: 'en' } }] }),
  },
  {
    name: '0.3 status-update metadata',
    body: rpc({ kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: { [KEY]: TRACE } }),
    path: `result.metadata[${Q}]`,
    stripped: rpc({ kind: 'status-update', taskId: 't', contextId: 'c', final: true, status: { state: 'completed' }, metadata: {} }),
  },
  {
    name: '0.3 status-update status.message.metadata',
    body: rpc({ kind: 'status-update', taskId: 't', status: { state: 'working', message: { kind: 'message', messageId: 'm', parts: [], metadata: { [KEY]: TRACE } } } }),
    path: `result.status.message.metadata[${Q}]`,
    stripped: rpc({ kind: 'status-update', taskId: 't', status: { state: 'working', message: { kind: 'message', messageId: 'm', parts: [], metadata: {} } } }),
  },
  {
    name: '0.3 artifact-update artifact.metadata',
    body: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'x' }], metadata: { [KEY]: TRACE } } }),
    path: `result.artifact.metadata[${Q}]`,
    stripped: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'x' }], metadata: {} } }),
  },
  {
    name: '0.3 artifact-update whose artifact is only the trace: the event is emptied',
    body: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [{ kind: 'data', data: TRACE }] } }),
    path: 'result.artifact.parts[0].data',
    stripped: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [] } }),
    emptiedEvent: true,
  },
  {
    name: '0.3 artifact-update with the trace beside another part: not emptied',
    body: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'x' }, { kind: 'data', data: TRACE }] } }),
    path: 'result.artifact.parts[1].data',
    stripped: rpc({ kind: 'artifact-update', taskId: 't', artifact: { artifactId: 'a', parts: [{ kind: 'text', text: 'x' }] } }),
  },
  // Protocol 1.0: oneof wrappers, parts without `kind`.
  {
    name: '1.0 {task} Task.metadata',
    body: rpc({ task: { id: 't', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' }, metadata: { [KEY]: TRACE } } }),
    path: `result.task.metadata[${Q}]`,
    stripped: rpc({ task: { id: 't', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' }, metadata: {} } }),
  },
  {
    name: '1.0 {message} data part with a media type',
    body: rpc({ message: { messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'hi' }, { data: TRACE, mediaType: 'application/json' }] } }),
    path: 'result.message.parts[1].data',
    stripped: rpc({ message: { messageId: 'm', role: 'ROLE_AGENT', parts: [{ text: 'hi' }] } }),
  },
  {
    name: '1.0 {statusUpdate} metadata',
    body: rpc({ statusUpdate: { taskId: 't', status: { state: 'TASK_STATE_WORKING' }, metadata: { [KEY]: TRACE } } }),
    path: `result.statusUpdate.metadata[${Q}]`,
    stripped: rpc({ statusUpdate: { taskId: 't', status: { state: 'TASK_STATE_WORKING' }, metadata: {} } }),
  },
  {
    name: '1.0 {status_update} (snake case) metadata',
    body: rpc({ status_update: { taskId: 't', status: {}, metadata: { trace: TRACE } } }),
    path: 'result.status_update.metadata.trace',
    stripped: rpc({ status_update: { taskId: 't', status: {}, metadata: {} } }),
  },
  {
    name: '1.0 {artifactUpdate} draft data part {data: {data}} beside a text part',
    body: rpc({ artifactUpdate: { taskId: 't', artifact: { artifactId: 'a', parts: [{ text: 'x' }, { data: { data: TRACE } }] } } }),
    path: 'result.artifactUpdate.artifact.parts[1].data.data',
    stripped: rpc({ artifactUpdate: { taskId: 't', artifact: { artifactId: 'a', parts: [{ text: 'x' }] } } }),
  },
  {
    name: '1.0 bare Task (GetTask)',
    body: rpc({ id: 't', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' }, metadata: { [KEY]: TRACE } }),
    path: `result.metadata[${Q}]`,
    stripped: rpc({ id: 't', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' }, metadata: {} }),
  },
  {
    name: '1.0 ListTasksResponse {tasks}',
    body: rpc({ tasks: [{ id: 't1', status: {} }, { id: 't2', status: {}, metadata: { [KEY]: TRACE } }], nextPageToken: '' }),
    path: `result.tasks[1].metadata[${Q}]`,
    stripped: rpc({ tasks: [{ id: 't1', status: {} }, { id: 't2', status: {}, metadata: {} }], nextPageToken: '' }),
  },
  // Protocol 0.3 proto-JSON (HTTP+JSON): `msg`, Message.content, TaskStatus.update.
  {
    name: '0.3 proto-JSON {msg} Message.content data part',
    body: { msg: { messageId: 'm', role: 'ROLE_AGENT', content: [{ text: 'hi' }, { data: { data: TRACE } }] } },
    path: 'msg.content[1].data.data',
    stripped: { msg: { messageId: 'm', role: 'ROLE_AGENT', content: [{ text: 'hi' }] } },
  },
  {
    name: '0.3 proto-JSON {task} status.update.metadata',
    body: { task: { id: 't', status: { state: 'TASK_STATE_COMPLETED', update: { messageId: 'm', content: [], metadata: { [KEY]: TRACE } } } } },
    path: `task.status.update.metadata[${Q}]`,
    stripped: { task: { id: 't', status: { state: 'TASK_STATE_COMPLETED', update: { messageId: 'm', content: [], metadata: {} } } } },
  },
  // Without JSON-RPC, and in a batch.
  {
    name: 'bare Artifact',
    body: { artifactId: 'a', parts: [{ text: 'x' }], metadata: { [KEY]: TRACE } },
    path: `metadata[${Q}]`,
    stripped: { artifactId: 'a', parts: [{ text: 'x' }], metadata: {} },
  },
  {
    name: 'bare status-update event',
    body: { taskId: 't', contextId: 'c', status: { state: 'TASK_STATE_FAILED' }, metadata: { [KEY]: TRACE } },
    path: `metadata[${Q}]`,
    stripped: { taskId: 't', contextId: 'c', status: { state: 'TASK_STATE_FAILED' }, metadata: {} },
  },
  {
    name: 'JSON-RPC batch element',
    body: [rpc({ kind: 'task', id: 't1', status: {} }), rpc({ kind: 'task', id: 't2', status: {}, metadata: { [KEY]: TRACE } })],
    path: `[1].result.metadata[${Q}]`,
    stripped: [rpc({ kind: 'task', id: 't1', status: {} }), rpc({ kind: 'task', id: 't2', status: {}, metadata: {} })],
  },
];

describe('every trace placement, through extraction and stripping alike', () => {
  for (const { name, body, path, stripped, refused, emptiedEvent } of PLACEMENTS) {
    it(name, () => {
      const before = JSON.stringify(body);
      const extraction = extractTraces(body);
      assert.equal(extraction.isEnvelope, true);
      if (refused === undefined) {
        assert.deepEqual(extraction.traces.map((trace) => ({ value: trace.value, path: trace.path })), [{ value: TRACE, path }]);
        assert.deepEqual(extraction.issues, []);
      } else {
        assert.deepEqual(extraction.traces, []);
        assert.deepEqual(extraction.issues, [{ path, reason: refused }]);
      }
      const result = stripTraces(body);
      assert.deepEqual(result.value, stripped);
      assert.equal(result.removed, 1);
      assert.equal(result.emptiedEvent, emptiedEvent ?? false);
      assert.equal(JSON.stringify(body), before, 'the input is not modified');
    });
  }
});

/** Values that hold no placement: neither extraction reads them nor stripping touches them. */
const NOT_PLACEMENTS: ReadonlyArray<{ readonly name: string; readonly body: unknown }> = [
  { name: '`trace` holding a user string', body: rpc({ kind: 'task', id: 't', metadata: { trace: 'a user field' } }) },
  { name: '`trace` holding an object without steps', body: rpc({ kind: 'task', id: 't', metadata: { trace: { trace_id: 'x' } } }) },
  { name: 'the canonical key holding null', body: rpc({ kind: 'task', id: 't', metadata: { [KEY]: null } }) },
  { name: 'the canonical key holding an empty array', body: rpc({ kind: 'task', id: 't', metadata: { [KEY]: [] } }) },
  { name: 'a data part that is not a trace', body: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'data', data: { answer: 42 } }] }) },
  { name: 'a text part of JSON that is not a trace', body: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: '{"not":"a trace"}' }] }) },
  { name: 'a file part', body: rpc({ kind: 'message', messageId: 'm', parts: [{ kind: 'file', file: { uri: 'https://example.com/a.pdf' } }] }) },
  { name: 'an Artifact with a `content` member (only a Message has content)', body: rpc({ kind: 'task', id: 't', artifacts: [{ artifactId: 'a', content: [{ data: TRACE }] }] }) },
  { name: 'a trace under a metadata that belongs to no A2A object', body: rpc({ kind: 'task', id: 't', status: { state: 'completed', details: { metadata: { [KEY]: TRACE } } } }) },
  { name: 'an object that is not an A2A envelope', body: { status: { message: { metadata: { [KEY]: TRACE } } } } },
];

describe('what is not a trace placement, for extraction and stripping alike', () => {
  for (const { name, body } of NOT_PLACEMENTS) {
    it(name, () => {
      const extraction = extractTraces(body);
      assert.deepEqual(extraction.traces, []);
      assert.deepEqual(extraction.issues, []);
      const result = stripTraces(body);
      assert.equal(result.value, body, 'the same object comes back');
      assert.equal(result.removed, 0);
    });
  }
});

describe('stripping several placements at once', () => {
  it('removes every trace of a Task and counts each placement once', () => {
    const body = rpc({
      kind: 'task',
      id: 't',
      metadata: { [KEY]: TRACE, [URI]: TRACE_JSON, keep: 1 },
      status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [{ kind: 'data', data: TRACE }, { kind: 'text', text: 'done' }] } },
      artifacts: [{ artifactId: 'trace', parts: [{ kind: 'data', data: TRACE }, { kind: 'text', text: TRACE_JSON }], metadata: { trace: [TRACE, TRACE] } }],
    });
    const result = stripTraces(body);
    assert.deepEqual(result.value, rpc({
      kind: 'task',
      id: 't',
      metadata: { keep: 1 },
      status: { state: 'completed', message: { kind: 'message', messageId: 'm', parts: [{ kind: 'text', text: 'done' }] } },
      artifacts: [],
    }));
    assert.equal(result.removed, 7);
    assert.equal(result.emptiedEvent, false);
  });
});
