import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPath, indexPath, propertyPath } from '../../src/model/field-path.js';

const TRACEABILITY_URI = 'github.com/a2aproject/a2a-samples/extensions/traceability/v1/traceability';

describe('fieldPath', () => {
  const cases: ReadonlyArray<{ name: string; base: string; segments: readonly PropertyKey[]; expected: string }> = [
    { name: 'identifier keys and an index', base: '', segments: ['steps', 2, 'cost'], expected: 'steps[2].cost' },
    { name: 'under a base', base: 'traces[1]', segments: ['steps', 0, 'start_time'], expected: 'traces[1].steps[0].start_time' },
    { name: 'an exporter id with a slash', base: '', segments: ['exporters', 'otlp/jaeger', 'endpoint'], expected: 'exporters["otlp/jaeger"].endpoint' },
    { name: 'an exporter id with a space, first', base: '', segments: ['Bad Id'], expected: '["Bad Id"]' },
    {
      name: 'a URI key',
      base: 'result',
      segments: ['metadata', TRACEABILITY_URI, 'steps', 0, 'cost'],
      expected: `result.metadata["${TRACEABILITY_URI}"].steps[0].cost`,
    },
    { name: 'a dotted attribute key', base: 'steps[0].additional_attributes', segments: ['service.name'], expected: 'steps[0].additional_attributes["service.name"]' },
    { name: 'a key with a quote', base: 'a', segments: ['say "hi"'], expected: 'a["say \\"hi\\""]' },
    { name: 'a numeric string key, a member not an index', base: 'headers', segments: ['0'], expected: 'headers["0"]' },
    { name: 'indexes in a row', base: '', segments: [0, 1, 'x'], expected: '[0][1].x' },
    { name: 'an array item of a list in the config', base: '', segments: ['accounting', 'sidecar_agents', 1], expected: 'accounting.sidecar_agents[1]' },
    { name: 'no segments', base: 'server.port', segments: [], expected: 'server.port' },
    { name: 'nothing at all: the whole body', base: '', segments: [], expected: '' },
  ];
  for (const { name, base, segments, expected } of cases) {
    it(name, () => assert.equal(fieldPath(base, segments), expected));
  }
});

describe('propertyPath and indexPath', () => {
  it('write one member or one item after the base', () => {
    assert.deepEqual(
      [propertyPath('', 'result'), propertyPath('result', 'status'), propertyPath('', 'otlp/jaeger'), indexPath('', 3), indexPath('artifacts', 0)],
      ['result', 'result.status', '["otlp/jaeger"]', '[3]', 'artifacts[0]'],
    );
  });
});
