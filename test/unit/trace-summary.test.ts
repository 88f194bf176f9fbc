import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toOtelTraceId } from '../../src/mapping/ids.js';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import { toStepView } from '../../src/store/step-view.js';
import { toTraceSummary } from '../../src/store/trace-summary.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';

function summarize(value: unknown, service = 'planner') {
  const trace = readWithDefaultLimits(value).trace;
  const spans = new SpanMapper(DEFAULT_MAPPING).toReadableSpans({
    tree: buildStepTree(trace, service, 'auto', []),
    otelTraceId: toOtelTraceId(trace.traceId),
    receivedAt: { raw: '', epochSeconds: 0, nanos: 0, zoneAssumed: false },
  });
  return toTraceSummary(spans, spans.map(toStepView));
}

describe('toTraceSummary', () => {
  it('gives durations exact to the nanosecond, not through epoch milliseconds', () => {
    const summary = summarize({
      trace_id: 't',
      steps: [
        { step_id: 'a', name: 'a', call_type: 'TOOL', start_time: '2026-03-10T21:23:14.974500+00:00', end_time: '2026-03-10T21:23:20.000000+00:00' },
        { step_id: 'b', name: 'b', call_type: 'TOOL', start_time: '2026-03-10T21:23:20.000000+00:00', end_time: '2026-03-10T21:23:32.504285+00:00' },
      ],
    });
    assert.equal(summary.durationMs, 17529.785);
    assert.deepEqual(summary.bottleneck, { stepId: 'b', name: 'b', selfTimeMs: 12504.285 });
  });

  it('sums costs without binary noise', () => {
    const summary = summarize({
      trace_id: 't',
      steps: [0.1, 0.2, 0.3].map((cost, i) => ({ step_id: `s${i}`, call_type: 'TOOL', cost })),
    });
    assert.deepEqual([summary.totalCost, { ...summary.costByCallType }, { ...summary.costByAgent }], [0.6, { tool: 0.6 }, { planner: 0.6 }]);
  });

  for (const service of ['constructor', '__proto__', 'toString']) {
    it(`keeps the cost of an agent named ${service}`, () => {
      const summary = summarize({ trace_id: 't', steps: [{ step_id: 'a', call_type: 'TOOL', cost: 1 }] }, service);
      assert.equal(summary.costByAgent[service], 1);
      assert.deepEqual(Object.keys(summary.costByAgent), [service]);
    });
  }
});
