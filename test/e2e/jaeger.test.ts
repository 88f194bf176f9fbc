/**
 * End to end with a real Jaeger v2 (built and started by scripts/backends/jaeger.sh): the collector
 * listens on a real socket, the OTLP exporter is configured the way users do it (the OTEL_* env
 * variables), and the trace is read back from Jaeger's own query API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postNestedFixture, startLiveCollector } from '../helpers/live-collector.js';
import { startBackend, type RunningBackend } from '../helpers/backends.js';
import { jaegerTag, readJaegerTrace, type JaegerSpan } from '../helpers/jaeger-api.js';

const tag = jaegerTag;
const events = (span: JaegerSpan): string[] =>
  span.logs.map((log) => String(log.fields.find((field) => field.key === 'event')?.value)).sort();

describe('real Jaeger v2', { timeout: 25 * 60_000 }, () => {
  let jaeger: RunningBackend;
  let queryUrl: string;
  let otlpUrl: string;

  before(async () => {
    jaeger = await startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']);
    queryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    otlpUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`;
  });
  after(async () => {
    await jaeger?.stop();
  });

  it('receives a nested multi-agent trace over OTLP/protobuf with the tree, services, cost, events and errors intact', async () => {
    const { collector, address } = await startLiveCollector({ OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl });
    try {
      const traceId = await postNestedFixture(address);
      const trace = await readJaegerTrace(queryUrl, traceId, 6);
      assert.equal(trace.traceID, traceId);
      assert.equal(trace.spans.length, 6);
      const byStep = new Map(trace.spans.map((span) => [String(tag(span, 'a2a.step.id')), span]));
      const bySpanId = new Map(trace.spans.map((span) => [span.spanID, span]));
      const parentStep = (stepId: string): string | null => {
        const reference = byStep.get(stepId)?.references.find((r) => r.refType === 'CHILD_OF');
        return reference === undefined ? null : String(tag(bySpanId.get(reference.spanID) as JaegerSpan, 'a2a.step.id'));
      };
      const service = (stepId: string): string => trace.processes[byStep.get(stepId)?.processID ?? '']?.serviceName ?? '';
      assert.deepEqual(
        ['step-host', 'step-lookup', 'step-call-weather', 'step-0', 'step-1', 'step-2'].map((id) => [id, parentStep(id), service(id), byStep.get(id)?.operationName]),
        [
          ['step-host', null, 'trip-planner', 'host trip-planner.handle'],
          ['step-lookup', 'step-host', 'trip-planner', 'execute_tool lookup_city'],
          ['step-call-weather', 'step-host', 'trip-planner', 'invoke_agent weather-agent'],
          ['step-0', 'step-call-weather', 'weather-agent', 'host weather-agent.handle'],
          ['step-1', 'step-0', 'weather-agent', 'execute_tool forecast_api'],
          ['step-2', 'step-0', 'weather-agent', 'execute_tool llm_summarize'],
        ],
      );

      const call = byStep.get('step-call-weather') as JaegerSpan;
      assert.equal(tag(call, 'span.kind'), 'client');
      assert.equal(tag(call, 'a2a.step.cost'), 3.5);
      assert.equal(tag(call, 'gen_ai.usage.cost'), 3.5);
      assert.equal(tag(call, 'a2a.step.cost.exclusive'), 0.5);
      assert.equal(tag(call, 'a2a.agent.url'), 'http://127.0.0.1:9999/');
      const summarize = byStep.get('step-2') as JaegerSpan;
      assert.equal(tag(summarize, 'gen_ai.usage.total_tokens'), 1500);
      assert.equal(tag(summarize, 'gen_ai.usage.input_tokens'), 1200);
      assert.equal(tag(summarize, 'gen_ai.usage.output_tokens'), 300);
      assert.equal(tag(summarize, 'a2a.trace.id'), 'trace-weather-001');
      assert.deepEqual(events(summarize), ['a2a.step.end', 'a2a.step.start']);

      const failed = byStep.get('step-1') as JaegerSpan;
      assert.equal(tag(failed, 'otel.status_code'), 'ERROR');
      assert.equal(tag(failed, 'error'), true);
      assert.equal(tag(failed, 'otel.status_description'), 'TimeoutError: forecast API did not answer');
      assert.deepEqual(events(failed), ['a2a.step.end', 'a2a.step.start', 'exception']);
      const exception = failed.logs.find((log) => log.fields.some((f) => f.key === 'event' && f.value === 'exception'));
      assert.equal(exception?.fields.find((f) => f.key === 'exception.type')?.value, 'TimeoutError');
      assert.match(String(exception?.fields.find((f) => f.key === 'exception.stacktrace')?.value), /at fetchForecast/);
    } finally {
      await collector.shutdown();
    }
  });

  it('also exports OTLP/JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json', async () => {
    const { collector, address } = await startLiveCollector({ OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'json-agent' });
    try {
      const response = await fetch(`${address.url}/v1/a2a/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          trace_id: 'json-trace-1',
          steps: [
            { step_id: 'b', parent_step_id: 'a', call_type: 'TOOL', name: 'grep', cost: 0.25, start_time: '2026-03-10T21:23:14.1Z', end_time: '2026-03-10T21:23:14.2Z' },
            { step_id: 'a', parent_step_id: null, call_type: 'HOST', name: 'main', start_time: '2026-03-10T21:23:14Z', end_time: '2026-03-10T21:23:14.3Z' },
          ],
        }),
      });
      const { accepted } = (await response.json()) as { accepted: Array<{ traceId: string }> };
      const trace = await readJaegerTrace(queryUrl, accepted[0]?.traceId ?? '', 2);
      const grep = trace.spans.find((span) => span.operationName === 'execute_tool grep') as JaegerSpan;
      const main = trace.spans.find((span) => span.operationName === 'host main') as JaegerSpan;
      assert.equal(grep.references[0]?.spanID, main.spanID);
      assert.equal(tag(grep, 'a2a.step.cost'), 0.25);
      assert.equal(trace.processes[grep.processID]?.serviceName, 'json-agent');
    } finally {
      await collector.shutdown();
    }
  });
});
