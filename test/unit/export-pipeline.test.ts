import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { QueuedExporter } from '../../src/fan-out/queued-exporter.js';
import { RetryingExporter } from '../../src/fan-out/retrying-exporter.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { SelfMetrics } from '../../src/telemetry/self-metrics.js';
import { DEFAULT_QUEUE, DEFAULT_RETRY } from '../helpers/component-defaults.js';

/** An exporter whose results are scripted per call (a unit-test double of our own seam). */
class ScriptedExporter implements SpanExporter {
  readonly calls: number[] = [];
  shutdownCalls = 0;
  constructor(private readonly script: (call: number) => ExportResult) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls.push(spans.length);
    const result = this.script(this.calls.length);
    setImmediate(() => done(result));
  }
  shutdown(): Promise<void> {
    this.shutdownCalls++;
    return Promise.resolve();
  }
}

const ok: ExportResult = { code: ExportResultCode.SUCCESS };
const failed = (message: string): ExportResult => ({ code: ExportResultCode.FAILED, error: new Error(message) });
/** A 400 as OTel JS's OTLP exporter reports it: the status in `code`. */
const badRequest: ExportResult = { code: ExportResultCode.FAILED, error: new OTLPExporterError('Bad Request', 400) };
const fakeSpans = (n: number) => Array.from({ length: n }, () => ({}) as ReadableSpan);

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const entry = (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([key, value]) => v.labels[key] === value),
  );
  return entry?.value ?? 0;
}

describe('QueuedExporter', () => {
  it('bounds the queue in bytes and batches up to max_export_batch_size', async () => {
    const registry = new Registry();
    const metrics = new SelfMetrics(registry);
    const inner = new ScriptedExporter(() => ok);
    const queue = new QueuedExporter(inner, { ...DEFAULT_QUEUE, name: 'q', queueSizeBytes: 1000, maxExportBatchSize: 4, scheduledDelayMillis: 10 }, metrics, silentLogger);
    assert.equal(queue.hasRoomFor(1000), true);
    assert.equal(queue.hasRoomFor(1001), false);
    queue.enqueue(fakeSpans(3), 600);
    assert.equal(queue.hasRoomFor(401), false);
    assert.equal(await metricValue(registry, 'a2a_collector_queue_bytes', { exporter: 'q' }), 600);
    queue.enqueue(fakeSpans(7), 300);
    await queue.forceFlush(5_000);
    assert.deepEqual(inner.calls, [4, 4, 2]);
    assert.equal(await metricValue(registry, 'a2a_collector_exported_spans_total', { exporter: 'q' }), 10);
    assert.equal(await metricValue(registry, 'a2a_collector_queue_bytes', { exporter: 'q' }), 0);
    assert.equal(queue.hasRoomFor(1000), true);
    await queue.shutdown();
    await queue.shutdown();
    assert.equal(inner.shutdownCalls, 1);
    assert.equal(queue.hasRoomFor(1), false, 'a closed queue takes nothing');
  });

  it('counts spans it had to give up on, by reason', async () => {
    const registry = new Registry();
    const metrics = new SelfMetrics(registry);
    const inner = new ScriptedExporter((call) => (call === 1 ? failed('HTTP 503') : badRequest));
    const queue = new QueuedExporter(inner, { ...DEFAULT_QUEUE, name: 'q', maxExportBatchSize: 2, scheduledDelayMillis: 0 }, metrics, silentLogger);
    queue.enqueue(fakeSpans(2), 10);
    await queue.forceFlush(5_000);
    queue.enqueue(fakeSpans(1), 10);
    await queue.forceFlush(5_000);
    assert.equal(await metricValue(registry, 'a2a_collector_dropped_spans_total', { exporter: 'q', reason: 'retries_exhausted' }), 2);
    assert.equal(await metricValue(registry, 'a2a_collector_dropped_spans_total', { exporter: 'q', reason: 'permanent_error' }), 1);
  });
});

describe('exportOnce timeout', () => {
  it('fails an attempt that never answers, and a retry can then succeed', async () => {
    let calls = 0;
    const sometimesSilent: SpanExporter = {
      export(_spans, done) {
        calls++;
        if (calls > 1) done(ok);
      },
      shutdown: () => Promise.resolve(),
    };
    const retrying = new RetryingExporter(sometimesSilent, { ...DEFAULT_RETRY, attemptTimeoutMillis: 20, initialIntervalMillis: 1 });
    const result = await new Promise<ExportResult>((resolve) => retrying.export(fakeSpans(1), resolve));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(calls, 2);
  });
});

describe('QueuedExporter sharing', () => {
  it('never changes the span list it was given, so queues fed the same list each export all of it', async () => {
    const metrics = new SelfMetrics(new Registry());
    const first = new ScriptedExporter(() => ok);
    const second = new ScriptedExporter(() => ok);
    const a = new QueuedExporter(first, { ...DEFAULT_QUEUE, name: 'a', maxExportBatchSize: 2, scheduledDelayMillis: 0 }, metrics, silentLogger);
    const b = new QueuedExporter(second, { ...DEFAULT_QUEUE, name: 'b', maxExportBatchSize: 3, scheduledDelayMillis: 0 }, metrics, silentLogger);
    const shared = fakeSpans(5);
    a.enqueue(shared, 50);
    b.enqueue(shared, 50);
    await Promise.all([a.forceFlush(5_000), b.forceFlush(5_000)]);
    assert.deepEqual(first.calls, [2, 2, 1]);
    assert.deepEqual(second.calls, [3, 2]);
    assert.equal(shared.length, 5);
  });
});

describe('QueuedExporter shutdown accounting', () => {
  it('counts each span it gives up on once, and exports nothing after shutdown', async () => {
    const registry = new Registry();
    const metrics = new SelfMetrics(registry);
    const inner = new ScriptedExporter(() => failed('503 Service Unavailable'));
    const retrying = new RetryingExporter(inner, { ...DEFAULT_RETRY, initialIntervalMillis: 60_000, maxIntervalMillis: 60_000, maxElapsedTimeMillis: 600_000 });
    const queue = new QueuedExporter(retrying, { ...DEFAULT_QUEUE, name: 'q', maxExportBatchSize: 10, scheduledDelayMillis: 0, numConsumers: 1 }, metrics, silentLogger);
    queue.enqueue(fakeSpans(100), 1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.shutdown(50);
    const callsAtShutdown = inner.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const dropped =
      (await metricValue(registry, 'a2a_collector_dropped_spans_total', { exporter: 'q', reason: 'shutdown' })) +
      (await metricValue(registry, 'a2a_collector_dropped_spans_total', { exporter: 'q', reason: 'retries_exhausted' }));
    assert.equal(dropped, 100);
    assert.equal(await metricValue(registry, 'a2a_collector_dropped_spans_total', { exporter: 'q', reason: 'retries_exhausted' }), 10, 'the batch in flight');
    assert.equal(await metricValue(registry, 'a2a_collector_queue_bytes', { exporter: 'q' }), 0);
    assert.equal(inner.calls.length, callsAtShutdown, 'no export after shutdown');
  });
});

/** An exporter whose calls finish only when the test says so, so that completions can come in any order. */
class GatedExporter implements SpanExporter {
  readonly pending: Array<{ spans: number; finish: () => void }> = [];
  inFlight = 0;
  mostInFlight = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    this.pending.push({
      spans: spans.length,
      finish: () => {
        this.inFlight--;
        done(ok);
      },
    });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const turns = (n: number) => new Promise<void>((resolve) => setTimeout(resolve, n));

describe('QueuedExporter with several exports in flight', () => {
  it('keeps at most num_consumers exports in flight', async () => {
    const inner = new GatedExporter();
    const queue = new QueuedExporter(inner, { ...DEFAULT_QUEUE, name: 'q', maxExportBatchSize: 2, scheduledDelayMillis: 1, numConsumers: 3 }, new SelfMetrics(new Registry()), silentLogger);
    queue.enqueue(fakeSpans(10), 100);
    await turns(20);
    assert.deepEqual(
      inner.pending.map((call) => call.spans),
      [2, 2, 2],
    );
    assert.equal(inner.inFlight, 3);
    for (let done = 0; done < 5; done++) {
      inner.pending[done]?.finish();
      await turns(20);
    }
    assert.deepEqual(
      inner.pending.map((call) => call.spans),
      [2, 2, 2, 2, 2],
    );
    assert.equal(inner.mostInFlight, 3);
    await queue.shutdown(1_000);
  });

  it('moves the spool cursor past a record only once every batch before it finished, whatever order they finish in', async () => {
    const inner = new GatedExporter();
    const delivered: number[] = [];
    const queue = new QueuedExporter(
      inner,
      { ...DEFAULT_QUEUE, name: 'q', maxExportBatchSize: 2, scheduledDelayMillis: 1, numConsumers: 4, onDelivered: (sequence) => delivered.push(sequence) },
      new SelfMetrics(new Registry()),
      silentLogger,
    );
    // Record 1 is split over batches 0 and 1; records 2 and 3 are one batch each.
    queue.enqueue(fakeSpans(4), 40, 1);
    queue.enqueue(fakeSpans(2), 20, 2);
    queue.enqueue(fakeSpans(2), 20, 3);
    await turns(20);
    assert.equal(inner.pending.length, 4);
    const finish = async (call: number) => {
      inner.pending[call]?.finish();
      await turns(5);
    };
    await finish(3);
    await finish(1);
    assert.deepEqual(delivered, [], 'batch 0, which holds half of record 1, is still in flight');
    await finish(0);
    assert.deepEqual(delivered, [1], 'records 1 done; record 2 (batch 2) still in flight, so record 3 waits');
    await finish(2);
    assert.deepEqual(delivered, [1, 3]);
    await queue.shutdown(1_000);
  });
});
