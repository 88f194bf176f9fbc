import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../helpers/backends.js';
import { createTestCollector, postJson } from '../helpers/collector-harness.js';
import { metricSamples, scrape } from '../helpers/metrics-text.js';
import { startOtlpJsonSink } from '../helpers/otlp-json-sink.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function spoolDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'spool-test-'));
  directories.push(directory);
  return directory;
}

/** A two-step trace whose ids are OTel ids already, so they reach the backend as written. */
function trace(n: number) {
  const traceId = `4bf92f3577b34da6a3ce929d0e0e47${String(n).padStart(2, '0')}`;
  return {
    trace_id: traceId,
    steps: [
      { step_id: `00f067aa0ba902${String(n).padStart(2, '0')}`, parent_step_id: `00f067aa0ba903${String(n).padStart(2, '0')}`, call_type: 'TOOL', name: `tool-${n}`, cost: 0.5, end_time: '2026-03-10T21:23:14Z' },
      { step_id: `00f067aa0ba903${String(n).padStart(2, '0')}`, parent_step_id: null, call_type: 'HOST', name: `host-${n}`, cost: 0.5, end_time: '2026-03-10T21:23:15Z' },
    ],
  };
}

const EXPECTED_SPANS = [
  '4bf92f3577b34da6a3ce929d0e0e4701/00f067aa0ba90301 host host-1',
  '4bf92f3577b34da6a3ce929d0e0e4701/00f067aa0ba90201 execute_tool tool-1',
  '4bf92f3577b34da6a3ce929d0e0e4702/00f067aa0ba90302 host host-2',
  '4bf92f3577b34da6a3ce929d0e0e4702/00f067aa0ba90202 execute_tool tool-2',
  '4bf92f3577b34da6a3ce929d0e0e4703/00f067aa0ba90303 host host-3',
  '4bf92f3577b34da6a3ce929d0e0e4703/00f067aa0ba90203 execute_tool tool-3',
];

function otlpExporter(endpoint: string) {
  return {
    endpoint,
    protocol: 'http/json',
    retry_on_failure: { initial_interval_millis: 50, max_interval_millis: 100, max_elapsed_time_millis: 600_000 },
    batch: { scheduled_delay_millis: 10 },
  };
}

describe('the durable spool', () => {
  it('keeps what a down backend did not get through a shutdown, and sends it once after the restart', async () => {
    const directory = spoolDirectory();
    const down = `http://127.0.0.1:${await freePort()}`;
    const first = createTestCollector({ spool: { directory }, exporters: { otlp: otlpExporter(down) } });
    for (const n of [1, 2, 3]) assert.equal((await postJson(first.collector, '/v1/a2a/traces', trace(n))).status, 202);
    await first.collector.shutdown(300);
    const firstMetrics = await scrape(first.collector.app);
    assert.deepEqual(metricSamples(firstMetrics, 'a2a_collector_dropped_spans_total'), {});
    assert.deepEqual(metricSamples(firstMetrics, 'a2a_collector_exported_spans_total'), {});

    const sink = await startOtlpJsonSink();
    const second = createTestCollector({ spool: { directory }, exporters: { otlp: otlpExporter(sink.url) } });
    await second.collector.forceFlush(5_000);
    assert.deepEqual(sink.spans, EXPECTED_SPANS);
    const metrics = await scrape(second.collector.app);
    assert.deepEqual(metricSamples(metrics, 'a2a_collector_spool_replayed_spans_total'), { '{exporter="otlp"}': 6 });
    // Counted before the restart: a replay is not spend again.
    assert.deepEqual(metricSamples(metrics, 'a2a_cost_total'), {});
    // The store and the counted-once ledger are rebuilt: the trace is there, and sending it again sends nothing.
    assert.equal((await second.collector.app.request('/api/traces/4bf92f3577b34da6a3ce929d0e0e4702')).status, 200);
    assert.equal((await postJson(second.collector, '/v1/a2a/traces', trace(2))).status, 202);
    await second.collector.forceFlush(5_000);
    assert.equal(sink.spans.length, 6);
    assert.deepEqual(metricSamples(await scrape(second.collector.app), 'a2a_cost_total'), {});
    await second.collector.shutdown();

    // Everything delivered: a third start sends nothing.
    const third = createTestCollector({ spool: { directory }, exporters: { otlp: otlpExporter(sink.url) } });
    await third.collector.forceFlush(5_000);
    assert.equal(sink.spans.length, 6);
    assert.deepEqual(metricSamples(await scrape(third.collector.app), 'a2a_collector_spool_replayed_spans_total'), {});
    await third.collector.shutdown();
    await sink.close();
  });

  it('sends what was accepted before a crash that came before any cursor save', async () => {
    const directory = spoolDirectory();
    const down = `http://127.0.0.1:${await freePort()}`;
    // Never shut down before the second start: as if killed (the lock of this same process is taken over).
    const crashed = createTestCollector({ spool: { directory }, exporters: { otlp: otlpExporter(down) } });
    for (const n of [1, 2, 3]) assert.equal((await postJson(crashed.collector, '/v1/a2a/traces', trace(n))).status, 202);
    const sink = await startOtlpJsonSink();
    const restarted = createTestCollector({ spool: { directory }, exporters: { otlp: otlpExporter(sink.url) } });
    await restarted.collector.forceFlush(5_000);
    assert.deepEqual(sink.spans, EXPECTED_SPANS);
    await restarted.collector.shutdown();
    await crashed.collector.shutdown(100);
    await sink.close();
  });

  it('keeps a cursor per exporter: only the one that missed the records gets them after a restart', async () => {
    const directory = spoolDirectory();
    const up = await startOtlpJsonSink();
    const down = `http://127.0.0.1:${await freePort()}`;
    const first = createTestCollector({ spool: { directory }, exporters: { 'otlp/up': otlpExporter(up.url), 'otlp/down': otlpExporter(down) } });
    for (const n of [1, 2, 3]) assert.equal((await postJson(first.collector, '/v1/a2a/traces', trace(n))).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(up.spans, EXPECTED_SPANS);
    await first.collector.shutdown(300);

    const later = await startOtlpJsonSink();
    const second = createTestCollector({ spool: { directory }, exporters: { 'otlp/up': otlpExporter(up.url), 'otlp/down': otlpExporter(later.url) } });
    await second.collector.forceFlush(5_000);
    assert.deepEqual(later.spans, EXPECTED_SPANS);
    assert.equal(up.spans.length, 6);
    assert.deepEqual(metricSamples(await scrape(second.collector.app), 'a2a_collector_spool_replayed_spans_total'), { '{exporter="otlp/down"}': 6 });
    await second.collector.shutdown();
    await Promise.all([up.close(), later.close()]);
  });

  it('takes a backlog larger than the in-memory queue onto disk, and sends all of it once the backend is back', async () => {
    const directory = spoolDirectory();
    const port = await freePort();
    const exporter = { ...otlpExporter(`http://127.0.0.1:${port}`), sending_queue: { queue_size_bytes: 4000 } };
    const { collector } = createTestCollector({ spool: { directory }, exporters: { otlp: exporter } });
    // Forty two-span traces: about ten times what the queue holds in memory, and every one is accepted.
    for (let n = 1; n <= 40; n++) assert.equal((await postJson(collector, '/v1/a2a/traces', trace(n))).status, 202, `trace ${n}`);
    const during = await scrape(collector.app);
    const inMemory = metricSamples(during, 'a2a_collector_queue_bytes')['{exporter="otlp"}'] ?? -1;
    assert.ok(inMemory > 0 && inMemory <= 4000, `${inMemory} bytes in memory`);
    const onDisk = metricSamples(during, 'a2a_collector_spool_backlog_spans')['{exporter="otlp"}'] ?? -1;
    assert.ok(onDisk >= 60 && onDisk < 80, `${onDisk} spans on disk only`);

    const sink = await startOtlpJsonSink({ port });
    await collector.forceFlush(20_000);
    const expected = Array.from({ length: 40 }, (_, i) => {
      const nn = String(i + 1).padStart(2, '0');
      return [`4bf92f3577b34da6a3ce929d0e0e47${nn}/00f067aa0ba903${nn} host host-${i + 1}`, `4bf92f3577b34da6a3ce929d0e0e47${nn}/00f067aa0ba902${nn} execute_tool tool-${i + 1}`];
    }).flat();
    assert.deepEqual([...sink.spans].sort(), expected.sort());
    const after = await scrape(collector.app);
    assert.deepEqual(metricSamples(after, 'a2a_collector_spool_backlog_spans'), { '{exporter="otlp"}': 0 });
    assert.deepEqual(metricSamples(after, 'a2a_collector_exported_spans_total'), { '{exporter="otlp"}': 80 });
    assert.deepEqual(metricSamples(after, 'a2a_collector_dropped_spans_total'), {});
    await collector.shutdown();
    await sink.close();
  });

  it('exports up to num_consumers batches at once, and its cursor still ends past every record', async () => {
    const directory = spoolDirectory();
    const sink = await startOtlpJsonSink({ answerDelayMillis: 200 });
    const exporter = { ...otlpExporter(sink.url), sending_queue: { num_consumers: 3 }, batch: { max_export_batch_size: 2, scheduled_delay_millis: 10 } };
    const first = createTestCollector({ spool: { directory }, exporters: { otlp: exporter } });
    assert.equal((await postJson(first.collector, '/v1/a2a/traces', [1, 2, 3, 4, 5, 6].map(trace))).status, 202);
    await first.collector.forceFlush(10_000);
    assert.equal(sink.mostConcurrent(), 3);
    assert.equal(sink.spans.length, 12);
    assert.equal(new Set(sink.spans).size, 12);
    await first.collector.shutdown();
    const second = createTestCollector({ spool: { directory }, exporters: { otlp: exporter } });
    await second.collector.forceFlush(5_000);
    assert.equal(sink.spans.length, 12, 'nothing is sent again after a restart');
    assert.deepEqual(metricSamples(await scrape(second.collector.app), 'a2a_collector_spool_replayed_spans_total'), {});
    await second.collector.shutdown();
    await sink.close();
  });

  it('answers 503 with Retry-After once the spool is full, and changes nothing', async () => {
    const directory = spoolDirectory();
    const down = `http://127.0.0.1:${await freePort()}`;
    const { collector } = createTestCollector({ spool: { directory, max_bytes: 1200 }, exporters: { otlp: otlpExporter(down) } });
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace(1))).status, 202);
    const before = await scrape(collector.app);
    // One record, written before the 202: the gauge is what the segment files hold on disk.
    const onDisk = readdirSync(directory)
      .filter((name) => name.endsWith('.log'))
      .reduce((total, name) => total + statSync(join(directory, name)).size, 0);
    assert.ok(onDisk > 20 && onDisk <= 1200, `${onDisk} bytes on disk`);
    assert.deepEqual(metricSamples(before, 'a2a_collector_spool_bytes'), { '': onDisk });
    const refused = await postJson(collector, '/v1/a2a/traces', trace(2));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'A2A_ERR_SPOOL_FULL');
    const afterwards = await scrape(collector.app);
    const rejected = metricSamples(afterwards, 'a2a_collector_rejected_requests_total');
    assert.equal(rejected['{reason="spool_full"}'], 1);
    assert.equal(
      Object.values(rejected).reduce((sum, count) => sum + count, 0),
      1,
      'every other reason stays at 0',
    );
    for (const name of ['a2a_cost_total', 'a2a_steps_total', 'a2a_collector_span_versions_total', 'a2a_collector_spool_bytes']) {
      assert.deepEqual(metricSamples(afterwards, name), metricSamples(before, name), name);
    }
    assert.equal((await collector.app.request('/api/traces/4bf92f3577b34da6a3ce929d0e0e4702')).status, 404);
    await collector.shutdown(300);
  });

  it('refuses a directory another running collector holds, and takes over one a dead process left', async () => {
    const held = spoolDirectory();
    writeFileSync(join(held, 'lock'), `${process.ppid}\n`);
    assert.throws(
      () => createTestCollector({ spool: { directory: held }, exporters: { otlp: otlpExporter('http://127.0.0.1:9') } }),
      (error: Error & { code?: string }) => error.code === 'CFG_ERR_SPOOL_LOCKED' && error.message.includes(`in use by process ${process.ppid}`),
    );
    const abandoned = spoolDirectory();
    // Beyond any pid Linux hands out (pid_max is at most 2^22).
    writeFileSync(join(abandoned, 'lock'), '4194305\n');
    const { collector } = createTestCollector({ spool: { directory: abandoned }, exporters: { otlp: otlpExporter('http://127.0.0.1:9') } });
    assert.equal((await postJson(collector, '/v1/a2a/traces', trace(1))).status, 202);
    await collector.shutdown(100);
  });
});
