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
  /** What both must answer: the status, and the error code of a refusal. */
  readonly status: number;
  readonly code?: string;
}

const good = JSON.stringify({ trace_id: 'parity', steps: [{ step_id: 's', call_type: 'TOOL', name: 'x', cost: 1 }] });
const cases: Case[] = [
  { label: 'accepted trace', path: '/v1/a2a/traces?service=parity-agent', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: good, status: 202 },
  { label: 'nested fixture', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(readFixture('nested-multi-agent.json')), status: 202 },
  { label: 'bad JSON', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"trace_id":', status: 400, code: 'A2A_ERR_INVALID_JSON' },
  { label: 'invalid field', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"trace_id":"t","steps":[{"cost":{}}]}', status: 400, code: 'A2A_ERR_INVALID_TRACE' },
  { label: 'missing token', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json' }, body: good, status: 401, code: 'A2A_ERR_UNAUTHORIZED' },
  { label: 'wrong media type', path: '/v1/a2a/traces', headers: { 'content-type': 'application/xml', authorization: 'Bearer t' }, body: '<x/>', status: 415, code: 'A2A_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { label: 'too large', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify({ trace_id: 't', steps: [], pad: 'x'.repeat(5000) }), status: 413, code: 'A2A_ERR_BODY_TOO_LARGE' },
  { label: 'envelope without trace', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify(readFixture('a2a/v03-task-without-trace.json')), status: 422, code: 'A2A_ERR_NO_TRACE_IN_ENVELOPE' },
  { label: 'agent name header', path: '/v1/a2a/traces', headers: { 'content-type': 'application/json', authorization: 'Bearer t', 'x-a2a-agent-name': 'from-header' }, body: good, status: 202 },
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
      assert.deepEqual([a.status, b.status], [testCase.status, testCase.status]);
      assert.equal(b.headers.get('content-type')?.split(';')[0], 'application/json');
      const [inProcessBody, socketBody] = (await Promise.all([a.json(), b.json()])) as Array<{ error?: { code: string } }>;
      assert.equal(inProcessBody?.error?.code, testCase.code);
      assert.deepEqual(socketBody, inProcessBody);
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
