/**
 * What a request's answer means when something in this process fails on it. Everything that may
 * refuse a request (reading, admission: queue, spool) runs before anything changes, so a refusal
 * changes nothing (test/integration/spool.test.ts, counted-once.test.ts). Once the spans are past
 * admission, the request is accepted: spooled and fed to the exporters. Here each in-process
 * consumer throws in turn after that point; the answer must stay 202, every other consumer and the
 * exporter must have the spans once, the failure must be counted, and a copy sent again must not
 * be exported or counted again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';
import { startOtlpJsonSink } from '../helpers/otlp-json-sink.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** An in-process consumer that fails on every call. */
class ThrowingConsumer implements SpanExporter {
  calls = 0;
  export(_spans: ReadableSpan[], _done: (result: ExportResult) => void): void {
    this.calls++;
    throw new Error('consumer bug');
  }
  async shutdown(): Promise<void> {}
}

const TRACE = {
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  steps: [
    { step_id: '00f067aa0ba90301', parent_step_id: null, call_type: 'HOST', name: 'host', cost: 0.25, end_time: '2026-03-10T21:23:15Z' },
    { step_id: '00f067aa0ba90302', parent_step_id: '00f067aa0ba90301', call_type: 'TOOL', name: 'search', cost: 0.5, end_time: '2026-03-10T21:23:14Z' },
  ],
};
const EXPORTED = ['4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba90301 host host', '4bf92f3577b34da6a3ce929d0e0e4736/00f067aa0ba90302 execute_tool search'];

type Failing = 'store' | 'extra/1' | 'ledger';

async function postWith(failing: Failing) {
  const directory = mkdtempSync(join(tmpdir(), 'consumer-failures-'));
  directories.push(directory);
  const backend = await startOtlpJsonSink();
  const throwing = new ThrowingConsumer();
  const { collector, sink } = createTestCollector(
    { spool: { directory }, exporters: { otlp: { endpoint: backend.url, protocol: 'http/json', batch: { scheduled_delay_millis: 10 } } } },
    failing === 'extra/1' ? { extraConsumers: [throwing] } : {},
  );
  if (failing === 'store') {
    (collector.store as unknown as { export: SpanExporter['export'] }).export = throwing.export.bind(throwing);
  } else if (failing === 'ledger') {
    const ledger = (collector as unknown as { ledger: { commit: () => void } }).ledger;
    ledger.commit = () => throwing.export([], () => {});
  }
  const first = await postJson(collector, '/v1/a2a/traces', TRACE);
  const again = await postJson(collector, '/v1/a2a/traces', TRACE);
  await collector.forceFlush(5_000);
  const metrics = await scrape(collector.app);
  const stored = (await collector.app.request(`/api/traces/${TRACE.trace_id}`)).status;
  await collector.shutdown();
  await backend.close();
  return { first: first.status, again: again.status, throwing, sink, backend, metrics, stored };
}

describe('an in-process consumer that throws on an accepted request', () => {
  for (const failing of ['store', 'extra/1'] as const) {
    it(`${failing}: the answer stays 202, the exporter and the other consumers have the spans once, the failure is counted`, async () => {
      const run = await postWith(failing);
      assert.equal(run.first, 202);
      assert.equal(run.again, 202);
      assert.equal(run.throwing.calls, 1, 'the copy sent again is not handed out again');
      assert.deepEqual([...run.backend.spans].sort(), EXPORTED);
      assert.equal(run.sink.spans.length, 2, 'the harness sink (extra/0) still got them');
      assert.equal(run.stored, failing === 'store' ? 404 : 200);
      assert.deepEqual(metricSamples(run.metrics, 'a2a_collector_consumer_errors_total'), { [`{consumer="${failing}"}`]: 1 });
      assert.deepEqual(metricSamples(run.metrics, 'a2a_cost_total'), {
        '{agent="a2a-agent",call_type="host",target="",currency="USD"}': 0.25,
        '{agent="a2a-agent",call_type="tool",target="search",currency="USD"}': 0.5,
      });
    });
  }

  it('ledger: the answer stays 202 and the spans are exported and stored, with the failure counted instead of the cost', async () => {
    const run = await postWith('ledger');
    assert.equal(run.first, 202);
    assert.equal(run.throwing.calls, 2, 'the ledger never remembered the first copy, so it was tried again');
    assert.deepEqual([...run.backend.spans].sort(), [...EXPORTED, ...EXPORTED].sort(), 'at least once: a ledger that remembers nothing lets the copy through');
    assert.equal(run.stored, 200);
    assert.deepEqual(metricSamples(run.metrics, 'a2a_collector_consumer_errors_total'), { '{consumer="ledger"}': 2 });
    assert.deepEqual(metricSamples(run.metrics, 'a2a_cost_total'), {});
  });
});
