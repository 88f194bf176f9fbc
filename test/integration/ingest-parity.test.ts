/**
 * The ingest endpoint has two adapters: the hono route (app.request, in process) and the node:http
 * fast path of a listening collector. Both must answer every request the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ListenAddress } from '../../src/collector.js';
import { createTestCollector, readFixture } from '../helpers/collector-harness.js';

interface Case {
  readonly label: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const good = JSON.stringify({ trace_id: 'parity', steps: [{ step_id: 's', call_type: 'TOOL', name: 'x', cost: 1 }] });
const cases: Case[] = [
  { label: 'accepted trace', path: '/v1/a2a/traces?service=parity-agent', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: good },
  { label: 'nested fixture', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(readFixture('nested-multi-agent.json')) },
  { label: 'bad JSON', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"trace_id":' },
  { label: 'invalid field', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"trace_id":"t","steps":[{"cost":{}}]}' },
  { label: 'missing token', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json' }, body: good },
  { label: 'wrong media type', path: '/v1/a2a/traces', headers: { 'content-type': 'application/xml', authorization: 'Bearer t' }, body: '<x/>' },
  { label: 'too large', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify({ trace_id: 't', steps: [], pad: 'x'.repeat(5000) }) },
  { label: 'envelope without trace', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(readFixture('a2a/v03-task-without-trace.json')) },
  { label: 'agent name header', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t', 'x-a2a-agent-name': 'from-header' }, body: good },
];

describe('ingest over a socket answers as in process', () => {
  const config = { server: { port: 0, auth_token: 't', max_body_bytes: 4096 } };
  const inProcess = createTestCollector(config);
  const listening = createTestCollector(config);
  let address: ListenAddress;

  before(async () => {
    address = await listening.collector.start();
  });
  after(async () => {
    await Promise.all([inProcess.collector.shutdown(), listening.collector.shutdown()]);
  });

  for (const testCase of cases) {
    it(testCase.label, async () => {
      const request = { method: 'POST', headers: testCase.headers, body: testCase.body };
      const [a, b] = await Promise.all([inProcess.collector.app.request(testCase.path, request), fetch(`${address.url}${testCase.path}`, request)]);
      assert.equal(b.status, a.status);
      assert.equal(b.headers.get('content-type')?.split(';')[0], 'application/json');
      assert.deepEqual(await b.json(), await a.json());
    });
  }

  it('both counted the same refusals and took the same spans', async () => {
    const series = async (text: Promise<string>) => (await text).split('\n').filter((line) => line.startsWith('a2a_collector_rejected') || line.startsWith('a2a_collector_received'));
    assert.deepEqual(await series((await listening.collector.app.request('/metrics')).text()), await series((await inProcess.collector.app.request('/metrics')).text()));
    assert.deepEqual(
      listening.sink.spans.map((span) => [span.name, span.resource.attributes['service.name']]),
      inProcess.sink.spans.map((span) => [span.name, span.resource.attributes['service.name']]),
    );
    assert.equal(listening.sink.spans.length, 1 + 6 + 1);
  });
});
