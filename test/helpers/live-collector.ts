/**
 * @module End-to-end helpers: a collector on a real loopback socket, configured the way users do
 * (OTEL_* environment, config overrides), and posting the nested multi-agent fixture to it.
 */
import assert from 'node:assert/strict';
import { builtInExporterFactories } from '../../exporters/index.js';
import { Collector, type ListenAddress } from '../../src/collector.js';
import { loadConfig } from '../../src/config/load-config.js';
import { readFixture } from './collector-harness.js';

/** Starts a collector on a free port from `env` (OTEL_* variables) and config `overrides`. */
export async function startLiveCollector(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): Promise<{ collector: Collector; address: ListenAddress }> {
  const config = await loadConfig({ env, overrides: { server: { port: 0 }, ...overrides } }, builtInExporterFactories);
  const collector = new Collector(config, { processMetrics: false });
  return { collector, address: await collector.start() };
}

/** Posts test/fixtures/nested-multi-agent.json as service `trip-planner`; resolves with its OTel trace id. */
export async function postNestedFixture(address: ListenAddress): Promise<string> {
  const response = await fetch(`${address.url}/v1/a2a/traces?service=trip-planner`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(readFixture('nested-multi-agent.json')),
  });
  assert.equal(response.status, 202);
  const { accepted } = (await response.json()) as { accepted: Array<{ traceId: string }> };
  const traceId = accepted[0]?.traceId;
  assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
  return traceId as string;
}
