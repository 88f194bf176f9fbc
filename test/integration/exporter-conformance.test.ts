/**
 * One lifecycle, every registered exporter: create from its schema's defaults, export a mapped
 * trace, flush, shut down twice, and still answer a call after shutdown.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { builtInExporterFactories } from '../../exporters/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { createTestCollector, postJson, readFixture } from '../helpers/collector-harness.js';

describe('exporter conformance', () => {
  const received: Array<{ url: string; contentType: string; bytes: number }> = [];
  const server = createServer((request: IncomingMessage, response) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      received.push({ url: request.url ?? '', contentType: request.headers['content-type'] ?? '', bytes });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let base = '';
  let spans: ReadableSpan[] = [];

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { collector, sink } = createTestCollector();
    assert.equal((await postJson(collector, '/v1/a2a/traces', readFixture('nested-multi-agent.json'))).status, 202);
    spans = sink.spans;
    await collector.shutdown();
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const settingsFor: Record<string, () => unknown> = {
    otlp: () => ({ endpoint: base }),
    zipkin: () => ({ endpoint: `${base}/api/v2/spans` }),
    debug: () => ({}),
  };

  it('covers every registered exporter type', () => {
    assert.deepEqual([...builtInExporterFactories.keys()].sort(), Object.keys(settingsFor).sort());
  });

  for (const [type, factory] of builtInExporterFactories) {
    it(`${type}: exports, flushes, shuts down twice, still answers after shutdown`, async (t) => {
      const stdoutWrite = t.mock.method(process.stdout, 'write');
      const lines: string[] = [];
      const config = factory.configSchema.parse(settingsFor[type]?.());
      const exporter = factory.create(config, { id: type, logger: silentLogger, writeLine: (line) => lines.push(line) });
      const before = received.length;
      const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      await exporter.forceFlush?.();
      if (type === 'debug') {
        assert.deepEqual(
          lines.map((line) => {
            const { traceId, spanId, name } = JSON.parse(line) as { traceId: string; spanId: string; name: string };
            return [traceId, spanId, name];
          }),
          spans.map((span) => [span.spanContext().traceId, span.spanContext().spanId, span.name]),
          'one line per span, in order',
        );
        assert.deepEqual(JSON.parse(lines[0] ?? 'null'), {
          traceId: '33950340ce51d0d74bed3a291d3fc984',
          spanId: '5a8625729a628f10',
          name: 'host trip-planner.handle',
          service: 'a2a-agent',
          start: '2026-03-10T21:23:14.000000000Z',
          durationMs: 1100,
          status: 0,
        });
      } else {
        assert.equal(received.length, before + 1, 'one request per export call');
        assert.ok((received[before]?.bytes ?? 0) > 500, 'the request carried the spans');
        assert.deepEqual(lines, [], 'a network exporter prints nothing');
      }
      await exporter.shutdown();
      await exporter.shutdown();
      // After shutdown the pipeline sends nothing more (its queue is closed); a stray call must still
      // be answered rather than hang or throw (the test times out otherwise).
      await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      // Matched by content: the test runner itself may write to stdout meanwhile.
      const spanLines = spans.map((span) => `"spanId":"${span.spanContext().spanId}"`);
      const printed = stdoutWrite.mock.calls.filter((call) => spanLines.some((text) => String(call.arguments[0]).includes(text)));
      assert.equal(printed.length, 0, 'no span line reached process.stdout');
    });
  }
});
