import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { EnvelopeContext } from '../../src/model/envelope-context.js';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import { parseTimestamp } from '../../src/model/timestamp.js';
import type { TraceTimestamp } from '../../src/model/types.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';

const RECEIVED: TraceTimestamp = { raw: '', epochSeconds: 1800000000, nanos: 0, zoneAssumed: false };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function at(raw: string): TraceTimestamp {
  const time = parseTimestamp(raw);
  assert.ok(time !== undefined, raw);
  return time;
}

const TRACE = {
  trace_id: TRACE_ID,
  steps: [
    { step_id: '1111111111111111', parent_step_id: '00f067aa0ba902b7', call_type: 'TOOL', name: 'lookup', start_time: '2026-03-10T21:23:14.100Z', end_time: '2026-03-10T21:23:14.200Z' },
    {
      step_id: '00f067aa0ba902b7',
      parent_step_id: null,
      call_type: 'AGENT',
      name: 'helper',
      start_time: '2026-03-10T21:23:14Z',
      end_time: '2026-03-10T21:23:15Z',
      step_action: {
        agent_invocation: {
          agent_name: 'helper-agent',
          response_trace: { trace_id: 'inner', steps: [{ step_id: '2222222222222222', call_type: 'TOOL', name: 'deep', start_time: '2026-03-10T21:23:14.300Z', latency: 10 }] },
        },
      },
    },
  ],
};

const ENVELOPE: EnvelopeContext = {
  contextId: 'ctx-58c1',
  taskId: 'task-1b7e',
  traceparent: undefined,
  warnings: [],
  // In document order, as the extraction lists them; the events come out in time order.
  marks: [
    { source: 'task_status', time: at('2026-03-10T21:23:15.402Z'), path: 'result.status.timestamp', taskId: 'task-1b7e', state: 'completed', messageId: 'm-2', role: 'agent' },
    { source: 'message', time: at('2026-03-10T21:23:15.401873+00:00'), path: 'p', messageId: 'm-2', role: 'agent', taskId: 'task-1b7e' },
    { source: 'artifact', time: at('2026-03-10T21:23:15.398002123Z'), path: 'p', artifactId: 'art-1', artifactName: 'conversion_result', taskId: 'task-1b7e' },
    { source: 'message', time: at('2026-03-10T21:23:13.950011+00:00'), path: 'p', messageId: 'm-1', role: 'user' },
    { source: 'task', time: at('2026-03-10T21:23:13.9Z'), path: 'p', taskId: 'task-1b7e' },
  ],
};

function mapWith(envelope: EnvelopeContext | undefined): ReadableSpan[] {
  const read = readWithDefaultLimits(TRACE);
  const tree = buildStepTree(read.trace, 'currency-agent', 'auto', [...read.warnings]);
  return new SpanMapper(DEFAULT_MAPPING).toReadableSpans({ tree, otelTraceId: TRACE_ID, receivedAt: RECEIVED, envelope });
}

describe('SpanMapper with an A2A envelope', () => {
  it('puts conversation and task ids on the outer trace spans and the envelope moments on the root, in time order', () => {
    const spans = mapWith(ENVELOPE);
    assert.deepEqual(
      spans.map((span) => [span.name, span.attributes['gen_ai.conversation.id'], span.attributes['a2a.task.id']]),
      [
        ['invoke_agent helper', 'ctx-58c1', 'task-1b7e'],
        ['execute_tool lookup', 'ctx-58c1', 'task-1b7e'],
        // The nested trace is the helper agent's own task: it does not carry the caller's ids.
        ['execute_tool deep', undefined, undefined],
      ],
    );
    assert.deepEqual(spans[0]?.events, [
      { name: 'a2a.step.start', time: [1773177794, 0], attributes: { 'a2a.timestamp': '2026-03-10T21:23:14Z' } },
      { name: 'a2a.step.end', time: [1773177795, 0], attributes: { 'a2a.timestamp': '2026-03-10T21:23:15Z' } },
      { name: 'a2a.task.timestamp', time: [1773177793, 900_000_000], attributes: { 'a2a.timestamp': '2026-03-10T21:23:13.9Z', 'a2a.task.id': 'task-1b7e' } },
      {
        name: 'a2a.message.timestamp',
        time: [1773177793, 950_011_000],
        attributes: { 'a2a.timestamp': '2026-03-10T21:23:13.950011+00:00', 'a2a.message.id': 'm-1', 'a2a.message.role': 'user' },
      },
      {
        name: 'a2a.artifact.timestamp',
        time: [1773177795, 398_002_123],
        attributes: {
          'a2a.timestamp': '2026-03-10T21:23:15.398002123Z',
          'a2a.task.id': 'task-1b7e',
          'a2a.artifact.id': 'art-1',
          'a2a.artifact.name': 'conversion_result',
        },
      },
      {
        name: 'a2a.message.timestamp',
        time: [1773177795, 401_873_000],
        attributes: { 'a2a.timestamp': '2026-03-10T21:23:15.401873+00:00', 'a2a.task.id': 'task-1b7e', 'a2a.message.id': 'm-2', 'a2a.message.role': 'agent' },
      },
      {
        name: 'a2a.task.status',
        time: [1773177795, 402_000_000],
        attributes: {
          'a2a.timestamp': '2026-03-10T21:23:15.402Z',
          'a2a.task.state': 'completed',
          'a2a.task.id': 'task-1b7e',
          'a2a.message.id': 'm-2',
          'a2a.message.role': 'agent',
        },
      },
    ]);
    assert.deepEqual(spans.slice(1).map((span) => span.events.map((event) => event.name)), [
      ['a2a.step.start', 'a2a.step.end'],
      ['a2a.step.start'],
    ]);
  });

  it('maps exactly as before without an envelope', () => {
    const spans = mapWith(undefined);
    assert.equal(spans[0]?.attributes['gen_ai.conversation.id'], undefined);
    assert.equal(spans[0]?.events.length, 2);
    assert.deepEqual(mapWith({ contextId: undefined, taskId: undefined, traceparent: undefined, marks: [], warnings: [] }).map((span) => span.attributes), spans.map((span) => span.attributes));
  });
});
