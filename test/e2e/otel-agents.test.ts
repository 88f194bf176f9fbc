/**
 * Agents that run OpenTelemetry, end to end and all real: agents instrumented with the OTel JS SDK
 * (OTLP over HTTP/protobuf, then over gRPC) and with the OTel Python SDK from PyPI
 * (scripts/python-otel.sh), and the OpenTelemetry Collector forwarding an agent's spans, all send
 * GenAI spans to the collector's OTLP receiver; each trace is read back from a real Jaeger, from
 * `/metrics` and from the query API, with the cost priced from the shipped table where none was
 * reported and counted once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Collector, ListenAddress } from '../../src/collector.js';
import { freePort, runScript, startBackend, type RunningBackend } from '../helpers/backends.js';
import { emitGenAiTrace, GENAI_TRACE_EXPECTED, type EmittedTrace } from '../helpers/genai-agent.js';
import { jaegerService, jaegerTag, readJaegerTrace, type JaegerSpan } from '../helpers/jaeger-api.js';
import { startLiveCollector } from '../helpers/live-collector.js';
import { metricSamples } from '../helpers/metrics-text.js';

const run = promisify(execFile);
const PYTHON_AGENT = fileURLToPath(new URL('../fixtures/python/genai_agent.py', import.meta.url));
const PYTHON_OTEL = fileURLToPath(new URL('../../scripts/python-otel.sh', import.meta.url));

/** Sum of a metric's samples whose labels hold every one of `labels` (`agent="x"`). */
function sumWhere(exposition: string, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [labelSet, value] of Object.entries(metricSamples(exposition, name))) if (labels.every((label) => labelSet.includes(label))) sum += value;
  return sum;
}

interface StoredStep {
  readonly spanId: string;
  readonly kind: string;
  readonly costExclusive: number | null;
  readonly costSource: string | null;
  readonly totalTokensExclusive: number | null;
}

describe('agents that run OpenTelemetry', { timeout: 25 * 60_000 }, () => {
  let jaeger: RunningBackend;
  let queryUrl = '';
  let collector: Collector;
  let address: ListenAddress;
  let grpcEndpoint = '';

  before(async () => {
    jaeger = await startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']);
    queryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    ({ collector, address } = await startLiveCollector(
      { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}` },
      { receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:0' } } } } },
    ));
    grpcEndpoint = collector.receiverAddresses[0] ?? '';
  });
  after(async () => {
    await collector?.shutdown();
    await jaeger?.stop();
  });

  /** Checks one agent's trace in Jaeger, in `/metrics` and in the query API. */
  async function assertTraceArrived(emitted: EmittedTrace, service: string): Promise<void> {
    const trace = await readJaegerTrace(queryUrl, emitted.traceId, GENAI_TRACE_EXPECTED.spans);
    const byId = new Map(trace.spans.map((span) => [span.spanID, span]));
    const span = (id: string): JaegerSpan => byId.get(id) as JaegerSpan;
    const { root, chatMini, tool, chat4o } = emitted.spanIds;
    // Passed through: names, the agent's own service and scope, the parent links, the error.
    assert.deepEqual(
      [root, chatMini, tool, chat4o].map((id) => [span(id).operationName, jaegerService(trace, span(id)), span(id).references[0]?.spanID ?? null]),
      [
        ['invoke_agent travel_planner', service, null],
        ['chat gpt-4o-mini', service, root],
        ['execute_tool get_weather', service, root],
        ['chat gpt-4o', service, root],
      ],
    );
    assert.equal(jaegerTag(span(chatMini), 'otel.scope.name'), 'travel-agent-instrumentation');
    assert.equal(jaegerTag(span(chat4o), 'otel.status_description'), 'rate limited');
    // Added: the cost, priced or reported, and the exclusive shares.
    assert.equal(jaegerTag(span(chatMini), 'a2a.step.cost'), GENAI_TRACE_EXPECTED.chatMiniCost);
    assert.equal(jaegerTag(span(chatMini), 'a2a.cost.source'), 'computed');
    assert.equal(jaegerTag(span(chatMini), 'a2a.cost.currency'), 'USD');
    assert.equal(jaegerTag(span(chat4o), 'a2a.step.cost'), GENAI_TRACE_EXPECTED.chat4oCost);
    assert.equal(jaegerTag(span(chat4o), 'a2a.cost.source'), 'reported');
    assert.equal(jaegerTag(span(root), 'a2a.step.total_tokens'), 1800);
    assert.equal(jaegerTag(span(root), 'a2a.step.total_tokens.exclusive'), 0);
    assert.equal(jaegerTag(span(root), 'a2a.step.kind'), 'agent');
    assert.equal(jaegerTag(span(tool), 'a2a.step.kind'), 'tool');

    const exposition = await (await fetch(`${address.url}/metrics`)).text();
    const agent = `agent="${service}"`;
    assert.equal(sumWhere(exposition, 'a2a_cost_total', agent), GENAI_TRACE_EXPECTED.totalCost);
    assert.equal(sumWhere(exposition, 'a2a_cost_total', agent, 'target="gpt-4o-mini-2024-07-18"'), GENAI_TRACE_EXPECTED.chatMiniCost);
    assert.equal(sumWhere(exposition, 'a2a_tokens_total', agent), GENAI_TRACE_EXPECTED.totalTokens);
    assert.equal(sumWhere(exposition, 'a2a_steps_total', agent, 'call_type="llm"', 'status="error"'), 1);
    assert.equal(sumWhere(exposition, 'a2a_steps_total', agent), 4);

    const stored = (await (await fetch(`${address.url}/api/traces/${emitted.traceId}`)).json()) as {
      summary: { totalCost: number; computedCost: number; totalTokens: number; errorCount: number };
      steps: StoredStep[];
    };
    assert.deepEqual(
      [stored.summary.totalCost, stored.summary.computedCost, stored.summary.totalTokens, stored.summary.errorCount],
      [GENAI_TRACE_EXPECTED.totalCost, GENAI_TRACE_EXPECTED.chatMiniCost, GENAI_TRACE_EXPECTED.totalTokens, 1],
    );
    assert.deepEqual(stored.steps.find((step) => step.spanId === chatMini)?.costSource, 'computed');
  }

  it('takes OTLP/HTTP protobuf from the OTel JS SDK on the collector port, prices the chat and counts each cost once', async () => {
    const emitted = await emitGenAiTrace(new OtlpProtoExporter({ url: `${address.url}/v1/traces` }), 'node-http-agent');
    await assertTraceArrived(emitted, 'node-http-agent');
  });

  it('takes OTLP/gRPC from the OTel JS SDK', async () => {
    assert.match(grpcEndpoint, /^127\.0\.0\.1:\d+$/);
    const emitted = await emitGenAiTrace(new OtlpGrpcExporter({ url: `http://${grpcEndpoint}` }), 'node-grpc-agent');
    await assertTraceArrived(emitted, 'node-grpc-agent');
  });

  it('takes OTLP/HTTP from an agent using the OpenTelemetry Python SDK from PyPI', async () => {
    // The venv is cached outside the clone (scripts/python-otel.sh); only its path is on stdout.
    const python = (await run('bash', [PYTHON_OTEL, 'python'], { timeout: 15 * 60_000 })).stdout.trim();
    const { stdout } = await run(python, [PYTHON_AGENT, '--protocol', 'http'], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${address.url}/v1/traces`, OTEL_SERVICE_NAME: 'py-travel-agent' },
    });
    const printed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { trace_id: string; span_ids: { root: string; chat_mini: string; tool: string; chat_4o: string } };
    await assertTraceArrived(
      { traceId: printed.trace_id, spanIds: { root: printed.span_ids.root, chatMini: printed.span_ids.chat_mini, tool: printed.span_ids.tool, chat4o: printed.span_ids.chat_4o } },
      'py-travel-agent',
    );
  });

  it('takes what the real OpenTelemetry Collector forwards (otlp_http exporter, gzip by default)', async () => {
    await runScript('otelcol.sh', ['install']);
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const directory = mkdtempSync(join(tmpdir(), 'otelcol-forward-'));
    const config = join(directory, 'forward.yaml');
    writeFileSync(
      config,
      [
        'receivers:',
        '  otlp:',
        '    protocols:',
        `      grpc: { endpoint: 127.0.0.1:${grpcPort} }`,
        `      http: { endpoint: 127.0.0.1:${httpPort} }`,
        'processors:',
        '  batch: { timeout: 200ms }',
        'exporters:',
        `  otlp_http: { endpoint: "${address.url}" }`,
        'service:',
        '  telemetry: { metrics: { level: none } }',
        '  pipelines:',
        '    traces: { receivers: [otlp], processors: [batch], exporters: [otlp_http] }',
        '',
      ].join('\n'),
    );
    const otelcol = await startBackend('otelcol.sh', [], { OTELCOL_CONFIG: config });
    try {
      const emitted = await emitGenAiTrace(new OtlpProtoExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }), 'via-otelcol-agent');
      await assertTraceArrived(emitted, 'via-otelcol-agent');
    } finally {
      await otelcol.stop();
    }
  });
});
