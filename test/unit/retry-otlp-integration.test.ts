/**
 * One retry layer, end to end in process: the real `otlp` and `zipkin` exporters as their factories
 * build them, behind the real RetryingExporter, against a real local node:http server. Requests are
 * counted where they arrive; waits are read from an injected clock, so nothing waits on the wall.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { otlpExporterFactory } from '../../exporters/otlp/otlp-exporter-factory.js';
import { zipkinExporterFactory } from '../../exporters/zipkin/zipkin-exporter-factory.js';
import { RetryingExporter, isPermanent } from '../../src/fan-out/retrying-exporter.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { closeServer, listen } from '../../src/http/http-listener.js';
import { createTestCollector, nestedFixtureSpans, postJson, readFixture } from '../helpers/collector-harness.js';
import { DEFAULT_RETRY } from '../helpers/component-defaults.js';
import { RecordingClock } from '../helpers/recording-clock.js';

/** How the backend answers its n-th request (1-based). */
type Answer = (request: number, response: ServerResponse) => void;

describe('one retry layer against a real backend', () => {
  let answer: Answer = (_n, response) => response.writeHead(200).end();
  let requests = 0;
  const server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => answer(++requests, response));
  });
  let base = '';
  let spans: ReadableSpan[] = [];

  before(async () => {
    base = (await listen(server, 0, '127.0.0.1')).url;
    spans = await nestedFixtureSpans();
  });
  after(() => closeServer(server, 1_000));

  const builders: Record<string, () => SpanExporter> = {
    otlp: () => otlpExporterFactory.create(otlpExporterFactory.configSchema.parse({ endpoint: base }), { id: 'otlp', logger: silentLogger }),
    'otlp (http/json)': () =>
      otlpExporterFactory.create(otlpExporterFactory.configSchema.parse({ endpoint: base, protocol: 'http/json' }), { id: 'otlp', logger: silentLogger }),
    zipkin: () =>
      zipkinExporterFactory.create(zipkinExporterFactory.configSchema.parse({ endpoint: `${base}/api/v2/spans` }), { id: 'zipkin', logger: silentLogger }),
  };

  /** Exports `spans` once through the exporter behind a RetryingExporter with the default `retry_on_failure`, but `overrides`. */
  async function exportThrough(type: string, overrides: { initialIntervalMillis?: number; maxElapsedTimeMillis?: number } = {}) {
    requests = 0;
    const clock = new RecordingClock();
    let failures = 0;
    const retrying = new RetryingExporter(builders[type]!(), {
      ...DEFAULT_RETRY,
      initialIntervalMillis: overrides.initialIntervalMillis ?? 500,
      maxIntervalMillis: 5_000,
      maxElapsedTimeMillis: overrides.maxElapsedTimeMillis ?? 60_000,
      clock,
      random: () => 0.5,
      onFailure: () => failures++,
    });
    const result = await new Promise<ExportResult>((resolve) => retrying.export(spans, resolve));
    await retrying.shutdown();
    return { result, requests, sleeps: clock.sleeps, failures };
  }

  for (const type of Object.keys(builders)) {
    it(`${type}: 503 with Retry-After: 1, then 200: exactly 2 requests, one wait of 1,000 ms`, async () => {
      answer = (n, response) => (n === 1 ? response.writeHead(503, { 'retry-after': '1' }).end() : response.writeHead(200).end());
      const outcome = await exportThrough(type);
      assert.equal(outcome.result.code, ExportResultCode.SUCCESS, String(outcome.result.error));
      assert.equal(outcome.requests, 2);
      assert.equal(outcome.failures, 1, 'the pipeline saw the 503: no retry inside the exporter');
      assert.deepEqual(outcome.sleeps, [1_000]);
    });

    it(`${type}: 500 is permanent: exactly 1 request`, async () => {
      answer = (_n, response) => response.writeHead(500).end('storage failed');
      const outcome = await exportThrough(type);
      assert.equal(outcome.result.code, ExportResultCode.FAILED);
      assert.equal(isPermanent(outcome.result), true);
      assert.equal(outcome.requests, 1);
      assert.deepEqual(outcome.sleeps, []);
    });
  }

  it('otlp: 503 with Retry-After: 1 forever, max_elapsed_time 3,500 ms: exactly 4 requests', async () => {
    answer = (_n, response) => response.writeHead(503, { 'retry-after': '1' }).end();
    const outcome = await exportThrough('otlp', { initialIntervalMillis: 100, maxElapsedTimeMillis: 3_500 });
    assert.equal(outcome.result.code, ExportResultCode.FAILED);
    assert.equal(isPermanent(outcome.result), false);
    // Attempts at 0, 1,000, 2,000 and 3,000 ms; one more wait would end at 4,000.
    assert.equal(outcome.requests, 4);
    assert.deepEqual(outcome.sleeps, [1_000, 1_000, 1_000]);
  });
});

describe('otlp exports in flight', () => {
  it('sends as many requests at once as sending_queue.num_consumers allows, past the OTel JS default of 30', async () => {
    const held: ServerResponse[] = [];
    let arrived = 0;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        arrived++;
        held.push(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { collector, sink } = createTestCollector();
    assert.equal((await postJson(collector, '/v1/a2a/traces', readFixture('nested-multi-agent.json'))).status, 202);
    await collector.shutdown();
    const exporter = otlpExporterFactory.create(otlpExporterFactory.configSchema.parse({ endpoint, sending_queue: { num_consumers: 40 } }), {
      id: 'otlp',
      logger: silentLogger,
    });
    const results = Array.from({ length: 40 }, () => new Promise<ExportResult>((resolve) => exporter.export(sink.spans.slice(0, 1), resolve)));
    while (arrived < 40) {
      const early = await Promise.race([results[39], new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20))]);
      if (early !== undefined) break;
    }
    assert.equal(arrived, 40);
    for (const response of held) response.writeHead(200).end();
    assert.deepEqual(new Set((await Promise.all(results)).map((result) => result.code)), new Set([ExportResultCode.SUCCESS]));
    await exporter.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
