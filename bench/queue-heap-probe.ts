/**
 * Measures the heap that spans waiting in an exporter's queue retain, per span shape, next to the
 * queue's own estimate (`estimateSpansBytes`, what `sending_queue.queue_size_bytes` bounds). The
 * spans are made by the real intake from JSON text, as a request brings them, and held by a real
 * QueuedExporter whose backend is never called, with no store: the queue alone retains them, and
 * their shared Resource is not theirs. Exposes gc itself (no flag needed). Run by bench/run.ts,
 * which prints the ratio per shape, and by test/integration/queue-memory.test.ts, which holds it
 * to 0.95–1.5×.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import type { IntakeConsumer } from '../src/accounting/counted-once-ledger.js';
import { TraceIntake } from '../src/accounting/trace-intake.js';
import { SpanMapper } from '../src/mapping/to-readable-spans.js';
import { QueuedExporter } from '../src/fan-out/queued-exporter.js';
import { estimateSpansBytes } from '../src/fan-out/span-size.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { SelfMetrics } from '../src/telemetry/self-metrics.js';
import { PLAIN_TRACEBACK, TWO_FAILING_TASKS } from '../test/fixtures/python-tracebacks.js';
import { DEFAULT_MAPPING, DEFAULT_READ_LIMITS } from '../test/helpers/component-defaults.js';

/** A kind of span, as the traces of one request bring it. */
export interface SpanShape {
  readonly name: string;
  /** Whether the callees run sidecars of their own (`accounting.sidecar_agents: ['*']`): nested steps become links. */
  readonly calleesHaveSidecars?: boolean;
  /** The body of one request; `seed` makes its ids its own. */
  body(seed: number): unknown;
}

const hex = (seed: number, width: number): string => seed.toString(16).padStart(width, '0');
const traceIdOf = (seed: number): string => `trace-${hex(seed, 8)}-1b2d-4c5e-8f90-a1b2c3d4e5f6`;
const stepIdOf = (seed: number, index: number): string => `step-${hex(index, 4)}-${hex(seed, 8)}-4c5e-8f90`;
const TEN_STEPS = Array.from({ length: 10 }, (_, index) => index);

/** Text of `length` characters cut from `pattern` repeated, varied by `seed` so that no two requests share it. */
function text(pattern: string, length: number, seed: number): string {
  return `${seed} ${pattern.repeat(Math.ceil(length / pattern.length))}`.slice(0, length);
}

/** A step as the Python traceability extension writes it (~500 bytes of JSON). */
function step(seed: number, index: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    step_id: stepIdOf(seed, index),
    trace_id: traceIdOf(seed),
    parent_step_id: index === 0 ? null : stepIdOf(seed, 0),
    call_type: index === 0 ? 'AGENT' : 'TOOL',
    name: index === 0 ? 'weather-agent' : 'search_documents',
    parameters: { query: `quarterly revenue by region ${seed}`, top_k: 5 },
    requests: null,
    step_type: index === 0 ? 'agent' : 'tool',
    cost: 0.00042,
    total_tokens: 1234,
    additional_attributes: { input_tokens: 1000, output_tokens: 234, model: 'gpt-4o-mini' },
    latency: 184,
    start_time: `2026-03-10T21:23:${String(index % 60).padStart(2, '0')}.158500+00:00`,
    end_time: `2026-03-10T21:23:${String(index % 60).padStart(2, '0')}.974500+00:00`,
    error: '',
    ...fields,
  };
}

const trace = (seed: number, steps: Array<Record<string, unknown>>): Record<string, unknown> => ({ trace_id: traceIdOf(seed), steps });

/** An agent's trace whose AGENT step called an agent that called an agent, three levels deep. */
function nestedTraces(seed: number): Record<string, unknown> {
  const nested = (level: number): Record<string, unknown> => ({
    traceId: `${traceIdOf(seed)}-${level}`,
    steps: [
      { stepId: 'step-1', parentStepId: 'step-0', callType: 'TOOL', name: 'forecast', cost: 1, startTime: '2026-03-10T21:23:14.200Z', endTime: '2026-03-10T21:23:14.700Z' },
      {
        stepId: 'step-2',
        parentStepId: 'step-0',
        callType: 'AGENT',
        name: `agent-${level + 1}`,
        cost: 2,
        startTime: '2026-03-10T21:23:14.700Z',
        endTime: '2026-03-10T21:23:14.950Z',
        ...(level < 3 ? { step_action: { agent_invocation: { agent_url: `http://agent-${level + 1}.internal/`, agent_name: `agent-${level + 1}`, response_trace: nested(level + 1) } } } : {}),
      },
      { stepId: 'step-0', parentStepId: '', callType: 'HOST', name: `agent-${level}.handle`, cost: 3, startTime: '2026-03-10T21:23:14.150Z', endTime: '2026-03-10T21:23:14.980Z' },
    ],
  });
  return trace(seed, [
    step(seed, 1, { call_type: 'AGENT', name: 'agent-1', step_action: { agent_invocation: { agent_url: 'http://agent-1.internal/', agent_name: 'agent-1', response_trace: nested(1) } } }),
    step(seed, 0),
  ]);
}

/** The shapes measured: from the smallest span the mapping makes to the largest attributes it keeps. */
export const SPAN_SHAPES: readonly SpanShape[] = [
  {
    name: 'bare steps (id, name, end time)',
    body: (seed) => trace(seed, TEN_STEPS.map((index) => ({ step_id: stepIdOf(seed, index), call_type: 'TOOL', name: 'search', end_time: '2026-03-10T21:23:14Z' }))),
  },
  { name: 'typical steps, 10 a request', body: (seed) => trace(seed, TEN_STEPS.map((index) => step(seed, index))) },
  { name: 'typical step, 1 a request', body: (seed) => trace(seed, [step(seed, 0)]) },
  {
    name: 'large parameters and requests (3.5 KiB each)',
    body: (seed) =>
      trace(
        seed,
        TEN_STEPS.map((index) => step(seed, index, { parameters: { document: text('lorem ipsum dolor sit amet ', 3500, seed) }, requests: text('What is the revenue? ', 3500, seed) })),
      ),
  },
  {
    name: 'non-Latin-1 text (two-byte strings)',
    body: (seed) =>
      trace(
        seed,
        TEN_STEPS.map((index) =>
          step(seed, index, { name: `検索ツール-${index}`, parameters: { query: text('四半期の地域別売上高 ', 300, seed) }, requests: text('売上はいくらですか? ', 300, seed) }),
        ),
      ),
  },
  {
    name: 'errors: a traceback, one exception event',
    body: (seed) => trace(seed, TEN_STEPS.map((index) => step(seed, index, { error: PLAIN_TRACEBACK }))),
  },
  {
    name: 'errors: an exception group, three exception events',
    body: (seed) => trace(seed, TEN_STEPS.map((index) => step(seed, index, { error: TWO_FAILING_TASKS }))),
  },
  {
    name: 'forty pass-through attributes',
    body: (seed) =>
      trace(
        seed,
        TEN_STEPS.map((index) => {
          const additional: Record<string, unknown> = {};
          for (let i = 0; i < 40; i++) additional[`custom.attribute_${i}`] = i % 2 === 0 ? i * 1.5 : `value ${i} of ${seed}`;
          return step(seed, index, { additional_attributes: additional });
        }),
      ),
  },
  { name: 'nested traces (an agent calling an agent)', body: nestedTraces },
  { name: 'nested traces linked to callee sidecars', calleesHaveSidecars: true, body: nestedTraces },
  {
    name: 'parameters and requests cut at max_attribute_length',
    body: (seed) =>
      trace(
        seed,
        TEN_STEPS.map((index) => step(seed, index, { parameters: { document: text('lorem ipsum dolor sit amet ', 6000, seed) }, requests: text('What is the revenue? ', 6000, seed) })),
      ),
  },
];

/** What one measurement found, in bytes per span. */
export interface QueueHeapMeasurement {
  readonly spans: number;
  /** Heap retained by the queued spans (and the queue's lists of them), after full collections. */
  readonly measuredBytesPerSpan: number;
  /** The queue's estimate of the same spans. */
  readonly estimatedBytesPerSpan: number;
}

/** Makes `gc()` available without a command-line flag. */
export function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = exposeGc();

function heapAfterCollecting(): number {
  // Several passes: finalizers and weak references release more on the next one.
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** A backend that is never called: the queue's batch size and delay are never reached. */
class UnreachedExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.FAILED, error: new Error('not reached') });
  }
  async shutdown(): Promise<void> {}
}

/** The pipeline's part for one queue and no store: estimate, then enqueue (src/fan-out/pipeline.ts). */
class IntoQueue implements IntakeConsumer {
  spans = 0;
  estimatedBytes = 0;
  constructor(private readonly queue: QueuedExporter) {}
  consume(spans: ReadableSpan[]): void {
    const bytes = estimateSpansBytes(spans);
    this.queue.enqueue(spans, bytes);
    this.spans += spans.length;
    this.estimatedBytes += bytes;
  }
  durable(): Promise<void> {
    return Promise.resolve();
  }
}

function newQueue(metrics: SelfMetrics): QueuedExporter {
  return new QueuedExporter(
    new UnreachedExporter(),
    { name: 'probe', queueSizeBytes: Number.MAX_SAFE_INTEGER, maxExportBatchSize: Number.MAX_SAFE_INTEGER, scheduledDelayMillis: 2_000_000_000, numConsumers: 1 },
    metrics,
    silentLogger,
  );
}

/** Seeds of the warm-up requests, apart from the measured ones so that no ids repeat. */
const WARM_UP_SEEDS = 1_000_000;

/**
 * Queues requests of `shape` until at least `spans` spans wait, and measures the heap they retain.
 * A warm-up first (its spans dropped) makes the mapper's shared Resources and V8's hidden classes,
 * which later spans share and which are not theirs.
 */
export async function measureQueueHeap(shape: SpanShape, spans: number): Promise<QueueHeapMeasurement> {
  const metrics = new SelfMetrics(new Registry());
  const mapper = new SpanMapper(DEFAULT_MAPPING);
  const options = { ...DEFAULT_READ_LIMITS, defaultService: 'probe-agent', costMode: 'auto' as const, calleeHasSidecar: shape.calleesHaveSidecars === true ? () => true : undefined };
  const warmUpQueue = newQueue(metrics);
  const warmUp = new TraceIntake(mapper, new IntoQueue(warmUpQueue), options, metrics);
  for (let seed = WARM_UP_SEEDS; seed < WARM_UP_SEEDS + 100; seed++) warmUp.ingestText(JSON.stringify(shape.body(seed)), 'application/json');
  await warmUpQueue.shutdown(0);

  const queue = newQueue(metrics);
  const consumer = new IntoQueue(queue);
  const intake = new TraceIntake(mapper, consumer, options, metrics);
  const before = heapAfterCollecting();
  for (let seed = 0; consumer.spans < spans; seed++) intake.ingestText(JSON.stringify(shape.body(seed)), 'application/json');
  const after = heapAfterCollecting();
  // Shut down after the measurement: the queue, and so its spans, stay reachable until then.
  await queue.shutdown(0);
  return { spans: consumer.spans, measuredBytesPerSpan: (after - before) / consumer.spans, estimatedBytesPerSpan: consumer.estimatedBytes / consumer.spans };
}

/** The run with the median measured heap of `runs` runs of {@link measureQueueHeap}. */
export async function medianQueueHeap(shape: SpanShape, spans: number, runs: number): Promise<QueueHeapMeasurement> {
  const results: QueueHeapMeasurement[] = [];
  for (let run = 0; run < runs; run++) results.push(await measureQueueHeap(shape, spans));
  results.sort((a, b) => a.measuredBytesPerSpan - b.measuredBytesPerSpan);
  return results[Math.floor(runs / 2)] as QueueHeapMeasurement;
}

// Run as a script (argv[2]: spans per run, default 50,000): one line per shape.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const spans = Number(process.argv[2] ?? 50_000);
  for (const shape of SPAN_SHAPES) {
    const { measuredBytesPerSpan: measured, estimatedBytesPerSpan: estimated } = await medianQueueHeap(shape, spans, 3);
    console.log(`${shape.name}: ${measured.toFixed(0)} heap bytes per span measured, ${estimated.toFixed(0)} estimated (${(estimated / measured).toFixed(2)}x)`);
  }
}
