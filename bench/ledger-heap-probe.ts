/**
 * Measures the heap the counted-once ledger holds per remembered span, next to its own byte
 * estimate (`a2a_collector_ledger_bytes`), for traces of N spans (argv[2], default 10). Needs
 * `node --expose-gc`; run by bench/run.ts.
 */
import { Registry } from 'prom-client';
import { CountedOnceLedger, SPAN_RECORD_BYTES, TRACE_RECORD_BYTES } from '../src/accounting/counted-once-ledger.js';
import { toOtelTraceId } from '../src/mapping/ids.js';
import { SpanMapper } from '../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../src/model/step-tree.js';
import { SelfMetrics } from '../src/telemetry/self-metrics.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../test/helpers/component-defaults.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const spansPerTrace = Number(process.argv[2] ?? 10);
const totalSpans = 100_000;
const mapper = new SpanMapper(DEFAULT_MAPPING);
const ledger = new CountedOnceLedger({ maxBytes: Number.MAX_SAFE_INTEGER, settleMillis: 60_000 }, { record() {} }, new SelfMetrics(new Registry()));

function spansOf(seed: number) {
  const steps = Array.from({ length: spansPerTrace }, (_, i) => ({ step_id: `step-${i}`, parent_step_id: null, call_type: 'TOOL', name: 'search', cost: 0.1, end_time: '2026-03-10T21:23:14Z' }));
  const trace = readWithDefaultLimits({ trace_id: `trace-${seed}`, steps }).trace;
  const tree = buildStepTree(trace, 'agent', 'auto', []);
  return mapper.toReadableSpans({ tree, otelTraceId: toOtelTraceId(trace.traceId), receivedAt: { raw: '', epochSeconds: 0, nanos: 0, zoneAssumed: false } });
}

gc();
const before = process.memoryUsage().heapUsed;
const traces = totalSpans / spansPerTrace;
for (let seed = 0; seed < traces; seed++) ledger.commit(ledger.plan(spansOf(seed)));
gc();
const measured = (process.memoryUsage().heapUsed - before) / totalSpans;
const estimated = (traces * TRACE_RECORD_BYTES + totalSpans * SPAN_RECORD_BYTES) / totalSpans;
// Reading the ledger after the measurement keeps it reachable through it: V8 would collect it otherwise.
ledger.settleQuietTraces();
console.log(`${spansPerTrace} spans per trace: ${measured.toFixed(0)} heap bytes per span measured, ${estimated.toFixed(0)} estimated (${(estimated / measured).toFixed(2)}x)`);
