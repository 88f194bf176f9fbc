/**
 * A request is wholly accepted (202) or changes nothing. Each consumer in this process throws in
 * turn: the store while staging, the span metrics while the ledger commits (the ledger must take
 * its change back), and an exporter-only consumer after acceptance. A refused request must leave no
 * record in the spool, no span at the exporter or in the store, and no metric but the rejection
 * counter, so that its retry is taken and counted once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Collector } from '../../src/collector.js';
import { createTestCollector, postJson, type SinkExporter } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';
import { startOtlpJsonSink, type OtlpJsonSink } from '../helpers/otlp-json-sink.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** An exporter-only in-process consumer that fails on every call. */
class ThrowingConsumer implements SpanExporter {
  calls = 0;
  export(_spans: ReadableSpan[], _done: (result: ExportResult) => void): void {
    this.calls++;
    throw new Error('consumer bug');
  }
  async shutdown(): Promise<void> {}
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
function trace(toolCost: number) {
  return {
    trace_id: TRACE_ID,
    steps: [
      { step_id: '00f067aa0ba90301', parent_step_id: null, call_type: 'HOST', name: 'host', cost: 0.25, end_time: '2026-03-10T21:23:15Z' },
      { step_id: '00f067aa0ba90302', parent_step_id: '00f067aa0ba90301', call_type: 'TOOL', name: 'search', cost: toolCost, end_time: '2026-03-10T21:23:14Z' },
    ],
  };
}
const HOST = `${TRACE_ID}/00f067aa0ba90301 host host`;
const TOOL = `${TRACE_ID}/00f067aa0ba90302 execute_tool search`;
const costOf = (tool: number) => ({
  '{agent="a2a-agent",call_type="host",target="",currency="USD"}': 0.25,
  '{agent="a2a-agent",call_type="tool",target="search",currency="USD"}': tool,
});

interface Setup {
  readonly collector: Collector;
  readonly sink: SinkExporter;
  readonly backend: OtlpJsonSink;
  readonly throwing: ThrowingConsumer;
}

async function setUp(withThrowingConsumer = false): Promise<Setup> {
  const directory = mkdtempSync(join(tmpdir(), 'consumer-failures-'));
  directories.push(directory);
  const backend = await startOtlpJsonSink();
  const throwing = new ThrowingConsumer();
  const { collector, sink } = createTestCollector(
    { spool: { directory }, exporters: { otlp: { endpoint: backend.url, protocol: 'http/json', batch: { scheduled_delay_millis: 10 } } } },
    withThrowingConsumer ? { extraConsumers: [throwing] } : {},
  );
  return { collector, sink, backend, throwing };
}

async function tearDown({ collector, backend }: Setup): Promise<void> {
  await collector.shutdown();
  await backend.close();
}

/** Posts, flushes, and returns the status, the error code and what every consumer holds. */
async function post({ collector, sink, backend }: Setup, body: unknown) {
  const response = await postJson(collector, '/v1/a2a/traces', body);
  const code = response.status === 202 ? undefined : ((await response.json()) as { error: { code: string } }).error.code;
  await collector.forceFlush(5_000);
  const metrics = await scrape(collector.app);
  return {
    status: response.status,
    code,
    exported: [...backend.spans].sort(),
    sunk: sink.spans.length,
    stored: (await collector.app.request(`/api/traces/${TRACE_ID}`)).status,
    cost: metricSamples(metrics, 'a2a_cost_total'),
    steps: metricSamples(metrics, 'a2a_steps_total'),
    versions: metricSamples(metrics, 'a2a_collector_span_versions_total'),
    ledgerBytes: metricSamples(metrics, 'a2a_collector_ledger_bytes'),
    spoolBytes: metricSamples(metrics, 'a2a_collector_spool_bytes'),
    rejected: metricSamples(metrics, 'a2a_collector_rejected_requests_total'),
    consumerErrors: metricSamples(metrics, 'a2a_collector_consumer_errors_total'),
  };
}

/** Makes `object[method]` throw until the returned function puts it back. */
function breakMethod(object: object, method: string): () => void {
  const target = object as Record<string, unknown>;
  const original = target[method];
  target[method] = () => {
    throw new Error(`${method} bug`);
  };
  return () => {
    target[method] = original;
  };
}

describe('a consumer that throws on a request', () => {
  it('the store, while staging: 500, and nothing moved; the retry is taken and counted once', async () => {
    const setup = await setUp();
    const repair = breakMethod(setup.collector.store as object, 'stage');
    const refused = await post(setup, trace(0.5));
    assert.deepEqual(
      { status: refused.status, code: refused.code, exported: refused.exported, sunk: refused.sunk, cost: refused.cost, steps: refused.steps, versions: refused.versions },
      { status: 500, code: 'A2A_ERR_INTERNAL', exported: [], sunk: 0, cost: {}, steps: {}, versions: {} },
    );
    assert.deepEqual(refused.ledgerBytes, { '': 0 });
    assert.deepEqual(refused.spoolBytes, { '': 0 });
    assert.equal(refused.rejected['{reason="internal"}'], 1);
    assert.equal(
      Object.values(refused.rejected).reduce((sum, count) => sum + count, 0),
      1,
    );
    repair();
    const retried = await post(setup, trace(0.5));
    assert.equal(retried.status, 202);
    assert.deepEqual(retried.exported, [HOST, TOOL].sort());
    assert.equal(retried.sunk, 2);
    assert.equal(retried.stored, 200);
    assert.deepEqual(retried.cost, costOf(0.5));
    assert.deepEqual(retried.versions, { '{outcome="new"}': 2 });
    await tearDown(setup);
  });

  it('the span metrics, while the ledger commits a change: 500, the ledger takes its change back, and the retry counts the change once', async () => {
    const setup = await setUp();
    const first = await post(setup, trace(0.5));
    assert.equal(first.status, 202);
    const ledgerBytes = first.ledgerBytes;
    const usage = (setup.collector as unknown as { ledger: { usage: object } }).ledger.usage;
    const repair = breakMethod(usage, 'record');
    // The tool step's cost changes: a new version of one span, and 0.25 more to count.
    const refused = await post(setup, trace(0.75));
    assert.equal(refused.status, 500);
    assert.deepEqual(refused.exported, [HOST, TOOL].sort(), 'the new version was not exported');
    assert.equal(refused.sunk, 2);
    assert.deepEqual(refused.cost, costOf(0.5));
    assert.deepEqual(refused.versions, { '{outcome="new"}': 2 });
    assert.deepEqual(refused.ledgerBytes, ledgerBytes);
    repair();
    const retried = await post(setup, trace(0.75));
    assert.equal(retried.status, 202);
    assert.deepEqual(retried.exported, [HOST, TOOL, TOOL].sort(), 'the changed tool span, exported once');
    assert.deepEqual(retried.cost, costOf(0.75));
    assert.deepEqual(retried.versions, { '{outcome="new"}': 2, '{outcome="changed"}': 1, '{outcome="unchanged"}': 1 });
    assert.deepEqual(retried.steps, { '{agent="a2a-agent",call_type="host",status="ok"}': 1, '{agent="a2a-agent",call_type="tool",status="ok"}': 1 });
    await tearDown(setup);
  });

  it('the span metrics on a new trace: the ledger forgets the trace it had started, so the retry is new', async () => {
    const setup = await setUp();
    const usage = (setup.collector as unknown as { ledger: { usage: object } }).ledger.usage;
    const repair = breakMethod(usage, 'record');
    const refused = await post(setup, trace(0.5));
    assert.deepEqual({ status: refused.status, exported: refused.exported, stored: refused.stored, cost: refused.cost }, { status: 500, exported: [], stored: 404, cost: {} });
    assert.deepEqual(refused.ledgerBytes, { '': 0 });
    repair();
    const retried = await post(setup, trace(0.5));
    assert.deepEqual({ status: retried.status, exported: retried.exported, cost: retried.cost }, { status: 202, exported: [HOST, TOOL].sort(), cost: costOf(0.5) });
    await tearDown(setup);
  });

  it('an exporter-only consumer, after acceptance: 202, everything else has the spans once, the failure is counted', async () => {
    const setup = await setUp(true);
    const accepted = await post(setup, trace(0.5));
    const again = await post(setup, trace(0.5));
    assert.equal(accepted.status, 202);
    assert.equal(again.status, 202);
    assert.equal(setup.throwing.calls, 1, 'the copy sent again is not handed out again');
    assert.deepEqual(again.exported, [HOST, TOOL].sort());
    assert.equal(again.sunk, 2);
    assert.equal(again.stored, 200);
    assert.deepEqual(again.cost, costOf(0.5));
    assert.deepEqual(again.consumerErrors, { '{consumer="extra/1"}': 1 });
    await tearDown(setup);
  });
});
