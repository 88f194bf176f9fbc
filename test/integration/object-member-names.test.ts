import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';

interface StoredTrace {
  a2aTraceIds: string[];
  summary: { totalCost: number; stepCount: number; costByAgent: Record<string, number> };
  steps: Array<{ stepId: string; parentStepId: string | null; service: string; costExclusive: number | null }>;
}

for (const name of ['constructor', '__proto__']) {
  describe(`an ingest naming everything ${name}`, () => {
    const { collector, sink } = createTestCollector();
    after(() => collector.shutdown());

    it('keeps it as a plain name: service, step ids, trace id and attribute keys', async () => {
      const body = `{"trace_id":${JSON.stringify(name)},"steps":[{"step_id":${JSON.stringify(name)},"call_type":"TOOL","name":"x","cost":2,"additional_attributes":{${JSON.stringify(name)}:"kept"}},{"step_id":"child","parent_step_id":${JSON.stringify(name)},"call_type":"TOOL","name":"y","cost":3}]}`;
      const response = await postJson(collector, `/v1/a2a/traces?service=${encodeURIComponent(name)}`, body);
      assert.equal(response.status, 202);
      assert.deepEqual(sink.spans.map((span) => span.attributes['a2a.step.id']), [name, 'child']);
      const stored = (await (await collector.app.request(`/api/traces/${encodeURIComponent(name)}`)).json()) as StoredTrace;
      assert.deepEqual(stored.a2aTraceIds, [name]);
      assert.deepEqual(stored.summary.costByAgent, { [name]: 5 });
      assert.equal(Object.hasOwn(stored.summary.costByAgent, name), true);
      assert.deepEqual([stored.summary.totalCost, stored.summary.stepCount], [5, 2]);
      assert.deepEqual(
        stored.steps.map((step) => [step.stepId, step.parentStepId, step.service, step.costExclusive]),
        [
          [name, null, name, 2],
          ['child', name, name, 3],
        ],
      );
      const list = (await (await collector.app.request('/api/traces')).json()) as { traces: Array<{ a2aTraceIds: string[]; rootService: string }> };
      assert.deepEqual(list.traces.map((trace) => [trace.a2aTraceIds, trace.rootService]), [[[name], name]]);
    });

    // The reader keeps the key (test/unit/read-trace.test.ts); the mapping's pass-through assigns
    // into a plain object, where `__proto__` is the prototype setter (src/mapping/to-readable-spans.ts).
    it('passes it through as an attribute key of the span', () => {
      const ownAttribute = (attributes: object): unknown => Object.getOwnPropertyDescriptor(attributes, name)?.value;
      assert.deepEqual(sink.spans.map((span) => [span.attributes['a2a.step.id'], ownAttribute(span.attributes)]), [
        [name, 'kept'],
        ['child', undefined],
      ]);
    });
  });
}
