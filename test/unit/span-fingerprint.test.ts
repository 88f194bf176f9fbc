import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { spanFingerprint } from '../../src/accounting/counted-once-ledger.js';
import type { EnvelopeContext } from '../../src/model/envelope-context.js';
import { toOtelTraceId } from '../../src/mapping/ids.js';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import type { TraceTimestamp } from '../../src/model/types.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';

const mapper = new SpanMapper(DEFAULT_MAPPING);
const at = (epochSeconds: number): TraceTimestamp => ({ raw: '', epochSeconds, nanos: 0, zoneAssumed: false });

function spanOf(step: Record<string, unknown>, receivedAt = at(1_773_177_794), envelope?: EnvelopeContext): ReadableSpan {
  const trace = readWithDefaultLimits({ trace_id: 'trace-v', steps: [step] }).trace;
  const tree = buildStepTree(trace, 'agent', 'auto', []);
  const [span] = mapper.toReadableSpans({ tree, otelTraceId: toOtelTraceId('trace-v'), receivedAt, envelope });
  assert.ok(span);
  return span;
}

const base = { step_id: 's', call_type: 'TOOL', name: 'search', cost: 0.5, total_tokens: 10, start_time: '2026-03-10T21:23:14Z', end_time: '2026-03-10T21:23:15Z', parameters: { q: 'a' } };

describe('spanFingerprint', () => {
  const changes: Array<[string, Record<string, unknown>]> = [
    ['an end time', { ...base, end_time: '2026-03-10T21:23:16Z' }],
    ['a cost', { ...base, cost: 0.6 }],
    ['tokens', { ...base, total_tokens: 11 }],
    ['output tokens', { ...base, additional_attributes: { output_tokens: 4 } }],
    ['an error', { ...base, error: 'ValueError: bad' }],
    ['a name', { ...base, name: 'lookup' }],
    ['a parent (an orphan now)', { ...base, parent_step_id: 'gone' }],
    ['a latency', { ...base, latency: 7 }],
  ];
  for (const [what, changed] of changes) {
    it(`changes with ${what}`, () => {
      assert.notEqual(spanFingerprint(spanOf(changed)), spanFingerprint(spanOf(base)));
    });
  }

  it('ignores parameters and the arrival time of a step without times', () => {
    assert.equal(spanFingerprint(spanOf({ ...base, parameters: { q: 'b' } })), spanFingerprint(spanOf(base)));
    const timeless = { step_id: 's', call_type: 'TOOL', name: 'search', cost: 0.5 };
    assert.equal(spanFingerprint(spanOf(timeless, at(1_773_177_794))), spanFingerprint(spanOf(timeless, at(1_773_177_999))));
  });

  it('ignores envelope events but not the envelope task id', () => {
    const stamp = (state: string, seconds: number) => ({ source: 'task_status' as const, time: at(seconds), path: 'result.status.timestamp', state });
    const sendAnswer: EnvelopeContext = { contextId: 'ctx', taskId: 'task-1', marks: [stamp('completed', 1_773_177_795)], warnings: [], traceparent: undefined };
    const getAnswer: EnvelopeContext = { ...sendAnswer, marks: [stamp('submitted', 1_773_177_790), stamp('completed', 1_773_177_795)] };
    assert.equal(spanFingerprint(spanOf(base, undefined, getAnswer)), spanFingerprint(spanOf(base, undefined, sendAnswer)));
    assert.notEqual(spanFingerprint(spanOf(base, undefined, sendAnswer)), spanFingerprint(spanOf(base)));
  });
});
