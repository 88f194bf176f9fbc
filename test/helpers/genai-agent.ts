/**
 * @module An agent instrumented with the real OpenTelemetry JS SDK (`NodeTracerProvider`,
 * `BatchSpanProcessor`, an OTLP exporter) that emits one GenAI trace, the same one as
 * test/fixtures/python/genai_agent.py: `invoke_agent travel_planner` reporting the sum of its
 * children's tokens, a `chat` on gpt-4o-mini with tokens and no cost, an `execute_tool`, and a failed
 * `chat` on gpt-4o that reports its cost.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The ids of the trace an agent emitted. */
export interface EmittedTrace {
  readonly traceId: string;
  readonly spanIds: { readonly root: string; readonly chatMini: string; readonly tool: string; readonly chat4o: string };
}

/**
 * What the trace must add up to, by hand from the shipped price table (gpt-4o-mini: 0.15 USD per
 * million input tokens, 0.60 per million output): the mini chat costs 1000 × 0.15e-6 + 200 × 0.60e-6
 * = 0.00027, the gpt-4o chat reports 0.25, the root reports only its children's tokens.
 */
export const GENAI_TRACE_EXPECTED = {
  chatMiniCost: 0.00027,
  chat4oCost: 0.25,
  totalCost: 0.25027,
  /** 1200 + 600 exclusive; the root's 1800 are its children's. */
  totalTokens: 1800,
  spans: 4,
} as const;

/** Emits the trace as `service` through `exporter`, flushes and shuts the provider down. */
export async function emitGenAiTrace(exporter: SpanExporter, service: string): Promise<EmittedTrace> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.0.0' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 100 })],
  });
  const tracer = provider.getTracer('travel-agent-instrumentation', '0.3.0');
  const root = tracer.startSpan('invoke_agent travel_planner', {
    kind: SpanKind.INTERNAL,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'travel_planner', 'gen_ai.usage.input_tokens': 1500, 'gen_ai.usage.output_tokens': 300 },
  });
  const parent = trace.setSpan(context.active(), root);
  const chatMini = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 200,
      },
    },
    parent,
  );
  chatMini.end();
  const tool = tracer.startSpan('execute_tool get_weather', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' } }, parent);
  tool.end();
  const chat4o = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 500,
        'gen_ai.usage.output_tokens': 100,
        'gen_ai.usage.cost': 0.25,
      },
    },
    parent,
  );
  chat4o.recordException(new Error('rate limited'));
  chat4o.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  chat4o.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return {
    traceId: root.spanContext().traceId,
    spanIds: { root: root.spanContext().spanId, chatMini: chatMini.spanContext().spanId, tool: tool.spanContext().spanId, chat4o: chat4o.spanContext().spanId },
  };
}
