import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectorError } from '../../src/errors.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import type { ReadWarning } from '../../src/model/types.js';
import { readWithDefaultLimits } from '../helpers/component-defaults.js';

function issuesOf(fn: () => unknown): Array<{ path: string; reason: string }> {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CollectorError, `expected CollectorError, got ${String(error)}`);
    return [...error.issues];
  }
  assert.fail('expected the trace to be refused');
}

describe('readResponseTrace', () => {
  it('reads Python snake_case and ProtoJSON camelCase alike', () => {
    const snake = readWithDefaultLimits({
      trace_id: 't',
      steps: [{ step_id: 's', parent_step_id: null, call_type: 'TOOL', name: 'x', cost: 1.5, total_tokens: 10, latency: 5, start_time: '2026-03-10T21:23:14+00:00', end_time: null, error: '' }],
    });
    const camel = readWithDefaultLimits({
      traceId: 't',
      steps: [{ stepId: 's', parentStepId: '', callType: 'TOOL', name: 'x', cost: '1.5', totalTokens: '10', latency: '5', startTime: '2026-03-10T21:23:14Z' }],
    });
    const strip = (step: (typeof snake.trace.steps)[number]) => ({ ...step, start: { ...step.start, raw: '' } });
    assert.deepEqual(snake.trace.steps.map(strip), camel.trace.steps.map(strip));
    const step = snake.trace.steps[0];
    assert.equal(step?.cost, 1.5);
    assert.equal(step?.totalTokens, 10);
    assert.equal(step?.parentStepId, undefined);
    assert.equal(step?.end, undefined);
    assert.equal(step?.error, undefined);
    assert.deepEqual(snake.warnings, []);
  });

  it('accepts 8697.0, int64 strings and nulls, and flags integers past 2^53', () => {
    const { trace, warnings } = readWithDefaultLimits({
      trace_id: 't',
      steps: [
        { step_id: 'a', call_type: 'AGENT', cost: 8697.0, total_tokens: '9007199254740993' },
        { step_id: 'b', call_type: 'TOOL', cost: null, total_tokens: null },
      ],
    });
    assert.equal(trace.steps[0]?.cost, 8697);
    assert.equal(trace.steps[0]?.totalTokens, 9007199254740992);
    assert.equal(trace.steps[1]?.cost, undefined);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code]),
      [['steps[0].total_tokens', 'precision_lost']],
    );
  });

  it('maps call types of any spelling and keeps the raw value', () => {
    const { trace, warnings } = readWithDefaultLimits({
      trace_id: 't',
      steps: [
        { step_id: '1', call_type: 'agent' },
        { step_id: '2', call_type: 2 },
        { step_id: '3', call_type: 'CALL_TYPE_TOOL' },
        { step_id: '4', call_type: 'Host' },
        { step_id: '5', call_type: 'LLM' },
        { step_id: '6', call_type: 7 },
        { step_id: '7', step_action: { tool_invocation: { tool_name: 'grep' } } },
      ],
    });
    assert.deepEqual(
      trace.steps.map((s) => [s.callType, s.kind, s.name]),
      [
        ['agent', 'agent', 'agent'],
        [2, 'tool', '2'],
        ['CALL_TYPE_TOOL', 'tool', 'call_type_tool'],
        ['Host', 'host', 'host'],
        ['LLM', 'other', 'llm'],
        [7, 'other', '7'],
        [undefined, 'tool', 'grep'],
      ],
    );
    assert.deepEqual(
      warnings.map((w) => [w.path, w.code]),
      [
        ['steps[4].call_type', 'call_type_unknown'],
        ['steps[5].call_type', 'call_type_unknown'],
      ],
    );
  });

  it('renames duplicate step ids and names missing ones, with warnings', () => {
    const { trace, warnings } = readWithDefaultLimits({ trace_id: 't', steps: [{ step_id: 'x' }, { step_id: 'x' }, {}] });
    assert.deepEqual(trace.steps.map((s) => s.stepId), ['x', 'x#2', '#2']);
    assert.deepEqual(
      warnings.filter((w) => w.code !== 'call_type_missing').map((w) => [w.path, w.code]),
      [
        ['steps[1].step_id', 'duplicate_step_id'],
        ['steps[2].step_id', 'step_id_missing'],
      ],
    );
  });

  it('takes the trace id from the steps when the trace has none', () => {
    const { trace, warnings } = readWithDefaultLimits({ steps: [{ step_id: 'a', trace_id: 'from-step', call_type: 'HOST' }] });
    assert.equal(trace.traceId, 'from-step');
    assert.deepEqual(warnings.map((w) => w.code), ['trace_id_from_steps']);
  });

  it('splits input/output tokens out of additional_attributes, old names too', () => {
    const { trace } = readWithDefaultLimits({
      trace_id: 't',
      steps: [
        { step_id: 'a', call_type: 'TOOL', additional_attributes: { input_tokens: 7, output_tokens: '3', model: 'm' } },
        { step_id: 'b', call_type: 'TOOL', additional_attributes: { prompt_tokens: 5, completion_tokens: 1 } },
      ],
    });
    assert.deepEqual(
      trace.steps.map((s) => [s.inputTokens, s.outputTokens, s.additionalAttributes]),
      [
        [7, 3, { model: 'm' }],
        [5, 1, {}],
      ],
    );
  });

  it('reads nested traces to any depth and refuses past the limit with 400', () => {
    const nest = (depth: number): unknown => ({
      trace_id: `t${depth}`,
      steps: [
        depth === 0
          ? { step_id: 'leaf', call_type: 'TOOL' }
          : { step_id: `a${depth}`, call_type: 'AGENT', step_action: { agent_invocation: { agent_name: `agent${depth}`, response_trace: nest(depth - 1) } } },
      ],
    });
    let level = readWithDefaultLimits(nest(5)).trace;
    for (let depth = 5; depth > 0; depth--) {
      assert.equal(level.traceId, `t${depth}`);
      assert.equal(level.steps[0]?.agentName, `agent${depth}`);
      const nested = level.steps[0]?.nested;
      assert.ok(nested !== undefined);
      level = nested;
    }
    assert.equal(level.steps[0]?.stepId, 'leaf');

    // 5,000 levels: refused with a clear path, no stack overflow.
    try {
      readWithDefaultLimits(nest(5000), '', { maxNestingDepth: 32 });
      assert.fail('expected refusal');
    } catch (error) {
      assert.ok(error instanceof CollectorError);
      assert.equal(error.code, 'A2A_ERR_NESTING_TOO_DEEP');
      assert.equal(error.httpStatus, 400);
      assert.match(error.issues[0]?.path ?? '', /^steps\[0\]\.step_action\.agent_invocation\.response_trace\./);
      assert.equal((error.issues[0]?.path.match(/response_trace/g) ?? []).length, 33);
    }
  });

  it('reports every refused field with its path, at every level', () => {
    const issues = issuesOf(() =>
      readWithDefaultLimits(
        {
          trace_id: 't',
          steps: [
            { step_id: 'a', cost: { amount: 1 }, start_time: 'yesterday' },
            'not a step',
            {
              step_id: 'c',
              call_type: 'AGENT',
              step_action: { agent_invocation: { response_trace: { trace_id: 'n', steps: [{ step_id: 'n1', total_tokens: 'many', end_time: 12 }] } } },
            },
          ],
        },
        'traces[1]',
      ),
    );
    // Steps are checked one by one, so a refused step does not hide the steps after it.
    assert.deepEqual(issues, [
      { path: 'traces[1].steps[0].cost', reason: 'expected a number or a numeric string' },
      { path: 'traces[1].steps[1]', reason: 'expected a step object' },
      { path: 'traces[1].steps[2].step_action.agent_invocation.response_trace.steps[0].total_tokens', reason: 'expected a number or a numeric string' },
      { path: 'traces[1].steps[2].step_action.agent_invocation.response_trace.steps[0].end_time', reason: 'expected an RFC 3339 timestamp string' },
    ]);
    const later = issuesOf(() =>
      readWithDefaultLimits({
        trace_id: 't',
        steps: [
          { step_id: 'a', start_time: 'yesterday' },
          {
            step_id: 'c',
            call_type: 'AGENT',
            step_action: { agent_invocation: { response_trace: { trace_id: 'n', steps: [{ step_id: 'n1', total_tokens: 'many' }] } } },
          },
        ],
      }),
    );
    assert.deepEqual(later, [
      { path: 'steps[0].start_time', reason: 'not an RFC 3339 timestamp: "yesterday"' },
      { path: 'steps[1].step_action.agent_invocation.response_trace.steps[0].total_tokens', reason: 'expected a number or a numeric string' },
    ]);
  });

  it('writes keys that are not identifiers as JSON strings in brackets', () => {
    const issues = issuesOf(() =>
      readWithDefaultLimits({ trace_id: 't', steps: [{ step_id: 'a', additional_attributes: { 'gen_ai.usage.input_tokens': '9'.repeat(400) } }] }),
    );
    assert.deepEqual(issues, [
      { path: 'steps[0].additional_attributes["gen_ai.usage.input_tokens"]', reason: 'expected a finite number (a double holds at most about 1.8e308)' },
    ]);
  });

  it('refuses a trace with no id anywhere, and a body without steps', () => {
    assert.deepEqual(issuesOf(() => readWithDefaultLimits({ steps: [{ step_id: 'a' }] })), [{ path: 'trace_id', reason: 'required (on the trace or on its steps)' }]);
    assert.deepEqual(issuesOf(() => readWithDefaultLimits({ trace_id: 't' })), [{ path: 'steps', reason: 'expected an array of steps' }]);
  });

  it('flags a zone-less timestamp and an end before the start', () => {
    const { trace, warnings } = readWithDefaultLimits({
      trace_id: 't',
      steps: [{ step_id: 'a', call_type: 'HOST', start_time: '2026-03-10T21:23:14.5', end_time: '2026-03-10T21:23:14Z' }],
    });
    assert.deepEqual(warnings.map((w) => [w.path, w.code]), [
      ['steps[0].start_time', 'zone_assumed'],
      ['steps[0].end_time', 'end_before_start'],
    ]);
    assert.deepEqual([trace.steps[0]?.end?.epochSeconds, trace.steps[0]?.end?.nanos], [1773177794, 500_000_000]);
  });
});

describe('latency bounds', () => {
  it('refuses a latency past 100 years with its path', () => {
    assert.deepEqual(
      issuesOf(() => readWithDefaultLimits({ trace_id: 't', steps: [{ step_id: 's', call_type: 'TOOL', start_time: '2026-03-10T21:23:14Z', latency: 1e17 }] })),
      [{ path: 'steps[0].latency', reason: 'latency of 100000000000000000 ms is out of range (at most 100 years)' }],
    );
  });
});

describe('root steps', () => {
  it('reads a null, an empty and an absent parent as a root, without a warning', () => {
    const { trace, warnings } = readWithDefaultLimits({
      trace_id: 't',
      steps: [
        { step_id: 'python-root', parent_step_id: null, call_type: 'AGENT' },
        { step_id: 'spec-root', parent_step_id: '', call_type: 'AGENT' },
        { stepId: 'proto-root', parentStepId: '', callType: 'AGENT' },
        { step_id: 'bare-root', call_type: 'AGENT' },
      ],
    });
    const treeWarnings: ReadWarning[] = [];
    const tree = buildStepTree(trace, 'host-agent', 'auto', treeWarnings);
    assert.deepEqual(trace.steps.map((step) => [step.stepId, step.parentStepId]), [
      ['python-root', undefined],
      ['spec-root', undefined],
      ['proto-root', undefined],
      ['bare-root', undefined],
    ]);
    assert.deepEqual(tree.roots.map((node) => [node.step.stepId, node.orphan]), [
      ['python-root', false],
      ['spec-root', false],
      ['proto-root', false],
      ['bare-root', false],
    ]);
    assert.deepEqual([...warnings, ...treeWarnings], []);
  });
});

describe('keys named like Object members', () => {
  it('keeps additional attributes named __proto__ and constructor as plain keys', () => {
    const { trace } = readWithDefaultLimits(JSON.parse('{"trace_id":"t","steps":[{"step_id":"s","additional_attributes":{"__proto__":{"a":1},"constructor":"c","service.name":"x"}}]}'));
    const attributes = trace.steps[0]?.additionalAttributes ?? {};
    assert.deepEqual(Object.entries(attributes), [
      ['__proto__', { a: 1 }],
      ['constructor', 'c'],
      ['service.name', 'x'],
    ]);
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  });
});
