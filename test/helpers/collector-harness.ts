/**
 * @module Test helpers: a collector built in process from a config object, with a sink that keeps
 * every span the pipeline hands out (a unit-test seam of our own code, never a stand-in backend).
 */
import { readFileSync } from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Collector, type CollectorDependencies } from '../../src/collector.js';
import { validateConfig } from '../../src/config/load-config.js';
import { builtInExporterFactories } from '../../exporters/index.js';

/** Collects spans in memory. */
export class SinkExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

/**
 * A collector for in-process tests (no listener until `start()`). Its spool is off unless the config
 * turns it on: in-process collectors share a port number, and so would share a spool directory.
 */
export function createTestCollector(config: Record<string, unknown> = {}, dependencies: CollectorDependencies = {}): { collector: Collector; sink: SinkExporter } {
  const sink = new SinkExporter();
  const collector = new Collector(validateConfig({ spool: { enabled: false }, ...config }, builtInExporterFactories), {
    processMetrics: false,
    ...dependencies,
    extraConsumers: [sink, ...(dependencies.extraConsumers ?? [])],
  });
  return { collector, sink };
}

/** Reads a JSON fixture from test/fixtures. */
export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

/** POSTs JSON to the collector's app in process. */
export function postJson(collector: Collector, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(
    collector.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** The spans the collector makes of the nested multi-agent fixture, taken from a collector of its own. */
export async function nestedFixtureSpans(): Promise<ReadableSpan[]> {
  const { collector, sink } = createTestCollector();
  const response = await postJson(collector, '/v1/a2a/traces', readFixture('nested-multi-agent.json'));
  if (response.status !== 202) throw new Error(`the nested fixture was answered ${response.status}`);
  await collector.shutdown();
  return sink.spans;
}
