/**
 * `npm run bench`: throughput and memory figures, measured side by side in one run on this machine.
 * Prints figures and ratios; asserts nothing (DESIGN §9: speed lives here, never in tests).
 *
 * The collector is built first (`tsc -p tsconfig.build.json`) and measured as `npm start` runs it.
 *
 * 1. In process (bench/in-process.ts): JSON.parse + read + resolve + map + OTLP protobuf encode,
 *    steps/s and µs per step of each stage; the OTLP encoder alone next to otlp-transformer's.
 *    `--profile` adds a CPU profile of that path: the functions that take most of it, per step.
 * 2. Over HTTP, against the real CLI in its own process (embedded default plus an OTLP exporter to
 *    a local sink, so its durable spool is on): 1 and 100 steps per request, closed loop, with a bare
 *    node:http server as the baseline, and again with the spool off; then the highest open-loop rate
 *    of 100-step requests at which none is refused.
 * 3. RSS idle and at a steady 10,000 steps/s, and the event-loop delay p99 at half the peak with
 *    `/metrics` scraped every second, each on a fresh process.
 * 4. The OpenTelemetry Collector built from otelcol-builder.yaml, fed the same spans as OTLP/JSON
 *    and exporting OTLP protobuf to the same sink (DESIGN §9 baseline), for the same figures; and
 *    OTLP/HTTP protobuf ingest (`POST /v1/traces`) of both, on the same spans.
 * 5. Heap per span of the counted-once ledger, measured against its byte estimate
 *    (bench/ledger-heap-probe.ts, in a process of its own with --expose-gc).
 * 6. Heap per queued span, per span shape, measured against the queue's byte estimate
 *    (bench/queue-heap-probe.ts, in a process of its own).
 *
 * `--json`: the text goes to stderr, and stdout gets one JSON object of the figures under stable
 * names (README "Performance").
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { HotPath } from './in-process.js';
import { closedLoop, openLoop, type LoadResult, type LoadTarget } from './load.js';
import { toOtelTraceId } from '../src/mapping/ids.js';
import { SpanMapper } from '../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../src/model/step-tree.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../test/helpers/component-defaults.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
/** The id suffix every generated trace and step id ends with; {@link load} rewrites it per round. */
const ID_SUFFIX = '-a1b2c3d4e5f6';

/** A realistic step (~500 bytes of JSON), as the Python traceability extension writes it. */
function step(traceId: string, index: number, parent: string | null): Record<string, unknown> {
  return {
    step_id: `step-${index.toString(16).padStart(8, '0')}-4c5e-8f90${ID_SUFFIX}`,
    trace_id: traceId,
    parent_step_id: parent,
    call_type: index % 3 === 0 ? 'AGENT' : 'TOOL',
    name: index % 3 === 0 ? 'weather-agent' : 'search_documents',
    parameters: { query: 'quarterly revenue by region', top_k: 5 },
    requests: null,
    step_type: 'tool',
    cost: 0.00042,
    total_tokens: 1234,
    additional_attributes: { input_tokens: 1000, output_tokens: 234, model: 'gpt-4o-mini' },
    latency: 184,
    start_time: '2026-03-10T21:23:14.974500+00:00',
    end_time: '2026-03-10T21:23:15.158500+00:00',
    error: '',
  };
}

function trace(steps: number, seed: number): Record<string, unknown> {
  const traceId = `trace-${seed.toString(16).padStart(8, '0')}-1b2d-4c5e-8f90${ID_SUFFIX}`;
  const list = [];
  for (let i = 1; i < steps; i++) list.push(step(traceId, i, 'step-root'));
  list.push({ ...step(traceId, 0, null), step_id: 'step-root' });
  return { trace_id: traceId, steps: list };
}

function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve({ child, url: match[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** The same spans as OTLP/JSON, for feeding the OpenTelemetry Collector baseline. */
function otlpJsonBodies(traces: Array<Record<string, unknown>>): string[] {
  const mapper = new SpanMapper(DEFAULT_MAPPING);
  const receivedAt = { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false };
  return traces.map((value) => {
    const { trace: read } = readWithDefaultLimits(value);
    const tree = buildStepTree(read, 'bench-agent', 'auto', []);
    const spans = mapper.toReadableSpans({ tree, otelTraceId: toOtelTraceId(read.traceId), receivedAt });
    return Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array()).toString('utf8');
  });
}

/**
 * The same spans as OTLP protobuf, each body with the trace ids it holds, so that a round through the
 * bodies can give every trace new ids (as base64, since {@link load} rotates strings).
 */
function otlpProtobufBodies(traces: Array<Record<string, unknown>>): { bodies: string[]; perRound: (body: string, round: number) => Buffer } {
  const mapper = new SpanMapper(DEFAULT_MAPPING);
  const receivedAt = { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false };
  const traceIds = new Map<string, Buffer>();
  const bodies = traces.map((value) => {
    const { trace: read } = readWithDefaultLimits(value);
    const tree = buildStepTree(read, 'bench-agent', 'auto', []);
    const otelTraceId = toOtelTraceId(read.traceId);
    const spans = mapper.toReadableSpans({ tree, otelTraceId, receivedAt });
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array()).toString('base64');
    traceIds.set(body, Buffer.from(otelTraceId, 'hex'));
    return body;
  });
  const perRound = (body: string, round: number): Buffer => {
    const bytes = Buffer.from(body, 'base64');
    const id = traceIds.get(body) as Buffer;
    // Every span of the body carries the trace id: give each copy the round in its last 4 bytes.
    for (let at = bytes.indexOf(id); at >= 0; at = bytes.indexOf(id, at + id.length)) bytes.writeUInt32BE(round >>> 0, at + 12);
    return bytes;
  };
  return { bodies, perRound };
}

/** Starts the Collector built from otelcol-builder.yaml with a receiver -> batch -> otlp_http sink pipeline. */
async function startOtelCollector(sinkUrl: string): Promise<{ child: ChildProcess; url: string } | undefined> {
  let binary: string;
  try {
    binary = execFileSync('bash', ['scripts/backends/otelcol.sh', 'path'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop() ?? '';
  } catch {
    return undefined;
  }
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const chosen = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(chosen));
    });
  });
  const dir = mkdtempSync(join(os.tmpdir(), 'a2a-bench-otelcol-'));
  const config = join(dir, 'bench.yaml');
  writeFileSync(
    config,
    [
      'receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:' + port + '"}}}}',
      'processors: {batch: {}}',
      'exporters: {otlp_http/sink: {endpoint: "' + sinkUrl + '", encoding: proto, retry_on_failure: {enabled: false}}}',
      'service:',
      '  telemetry: {metrics: {level: none}, logs: {level: warn}}',
      '  pipelines: {traces: {receivers: [otlp], processors: [batch], exporters: [otlp_http/sink]}}',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { child, url };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  return undefined;
}

/** Figures under the stable names of `--json` (issue targets in README "Performance"). */
interface BenchFigures {
  inProcessStepsPerSecond: number;
  http1RatioToNodeHttp: number;
  http100RatioToCollector: number | null;
  http100SustainedStepsPerSecond: number;
  rssRatioToCollectorAt10k: number | null;
  rssRatioToCollectorIdle: number | null;
  eventLoopP99Millis: number;
  encoderSpansPerSecond: number;
  [name: string]: number | null | Record<string, number>;
}

const JSON_OUTPUT = process.argv.includes('--json');
const PROFILE = process.argv.includes('--profile');
/** With `--json`, the figures alone go to stdout and the text to stderr. */
const say = (line: string): void => {
  (JSON_OUTPUT ? process.stderr : process.stdout).write(`${line}\n`);
};
const round = (value: number, digits = 0): number => Number(value.toFixed(digits));
const thousands = (value: number): string => Math.round(value).toLocaleString('en');

function currentRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The highest RSS of `pid` while `work` runs, sampled every 200 ms. */
async function rssDuring(pid: number | undefined, work: () => Promise<unknown>): Promise<number> {
  let highest = currentRssMiB(pid);
  const sampler = setInterval(() => {
    highest = Math.max(highest, currentRssMiB(pid));
  }, 200);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(highest, currentRssMiB(pid));
}

/**
 * The highest rate of 100-step requests, from `from` down by a fifth at a time, that an open loop
 * sends for SECONDS with not one refused, late or failed.
 */
async function sustainedRate(target: LoadTarget, from: number): Promise<{ requestsPerSecond: number; tries: string[] }> {
  const tries: string[] = [];
  let rate = from;
  for (let attempt = 0; attempt < 6; attempt++) {
    const result = await openLoop(target, SECONDS, rate);
    tries.push(`${thousands(rate)} req/s: ${result.failures} refused, ${result.late ?? 0} late`);
    if (result.failures === 0 && (result.late ?? 0) === 0) return { requestsPerSecond: rate, tries };
    rate *= 0.8;
  }
  return { requestsPerSecond: 0, tries };
}

/**
 * prom-client samples the event loop every 10 ms (`eventLoopMonitoringPrecision`, its default) and
 * its histogram holds the time between samples, so an idle loop reads 10 ms: the delay is past that.
 */
const EVENT_LOOP_SAMPLING_MILLIS = 10;

/**
 * `/metrics` every second while `work` runs: the event-loop delay p99 of each scrape (prom-client
 * resets its histogram per scrape), in ms past the sampling interval.
 */
async function eventLoopDuring(url: string, work: () => Promise<unknown>): Promise<number[]> {
  const p99s: number[] = [];
  const scrape = async (): Promise<void> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = /^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1];
    if (value !== undefined) p99s.push(Math.max(0, Number(value) * 1000 - EVENT_LOOP_SAMPLING_MILLIS));
  };
  await scrape();
  p99s.length = 0;
  const scraper = setInterval(() => void scrape().catch(() => undefined), 1000);
  try {
    await work();
  } finally {
    clearInterval(scraper);
  }
  return p99s;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  // What `npm start` runs, built from the sources as they are now (a stale dist/ would measure old code).
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const figures: Partial<BenchFigures> = {};

  say(`a2a-trace-collector bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${SECONDS}s per figure, ${CONCURRENCY} concurrent clients\n`);

  const hotPath = await HotPath.load(ROOT, JSON.stringify(trace(100, 1)), 100);
  const local = hotPath.measure(SECONDS);
  const stages = local.microsPerStep;
  say(`in process  parse+read+map+OTLP protobuf encode: ${thousands(local.stepsPerSecond)} steps/s (${Math.round(local.jsonBytesPerStep)} B JSON in, ${Math.round(local.otlpBytesPerStep)} B OTLP out per step)`);
  say(`            µs per step: JSON.parse ${stages.parse.toFixed(2)}, read ${stages.read.toFixed(2)}, step tree ${stages.tree.toFixed(2)}, map ${stages.map.toFixed(2)}, encode ${stages.encode.toFixed(2)}`);
  say(`encoder     OTLP protobuf alone: ${thousands(local.encoderSpansPerSecond)} spans/s | otlp-transformer ProtobufTraceSerializer ${thousands(local.libraryEncoderSpansPerSecond)} spans/s | ratio ${(local.encoderSpansPerSecond / local.libraryEncoderSpansPerSecond).toFixed(2)}x`);
  figures.inProcessStepsPerSecond = round(local.stepsPerSecond);
  figures.encoderSpansPerSecond = round(local.encoderSpansPerSecond);
  figures['libraryEncoderSpansPerSecond'] = round(local.libraryEncoderSpansPerSecond);
  figures['inProcessMicrosPerStep'] = Object.fromEntries(Object.entries(stages).map(([stage, micros]) => [stage, round(micros, 2)]));
  if (PROFILE) {
    say('\nCPU profile of the in-process path (self time, µs per step):');
    for (const row of await hotPath.profile(SECONDS, 20)) say(`  ${row.microsPerStep.toFixed(3).padStart(7)} µs ${(row.share * 100).toFixed(1).padStart(5)}%  ${row.function}`);
    say('');
  }

  for (const spansPerTrace of [1, 10, 100]) {
    const probe = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/ledger-heap-probe.ts', String(spansPerTrace)], { cwd: ROOT, encoding: 'utf8' });
    say(`ledger     ${probe.trim()}`);
  }
  const queueProbe = execFileSync(process.execPath, ['--import', 'tsx', 'bench/queue-heap-probe.ts'], { cwd: ROOT, encoding: 'utf8' });
  for (const line of queueProbe.trim().split('\n')) say(`queue      ${line}`);

  const cli = ['dist/src/cli.js', 'serve', '--port', '0'];
  const exportToSink = { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_EXPORTER: 'otlp' };
  const rotate = (body: string, round: number): string => (round === 0 ? body : body.replaceAll(ID_SUFFIX, `-${round.toString(16).padStart(12, '0')}`));
  const single: LoadTarget = { url: '', bodies: Array.from({ length: 1000 }, (_, i) => JSON.stringify(trace(1, i))), perRound: rotate };
  const hundred: LoadTarget = { url: '', bodies: Array.from({ length: 50 }, (_, i) => JSON.stringify(trace(100, i))), perRound: rotate };
  const at = (target: LoadTarget, url: string): LoadTarget => ({ ...target, url });
  const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts']);
  const collector = await startProcess(cli, exportToSink);
  let coll1: LoadResult;
  let coll100: LoadResult;
  let collectorRss: number;
  try {
    const bare1 = await closedLoop(at(single, bare.url), SECONDS, CONCURRENCY);
    coll1 = await closedLoop(at(single, collector.url), SECONDS, CONCURRENCY);
    const bare100 = await closedLoop(at(hundred, bare.url), SECONDS, CONCURRENCY);
    coll100 = await closedLoop(at(hundred, collector.url), SECONDS, CONCURRENCY);
    // The same collector with its durable spool off, for the cost of the write-ahead log.
    const noSpoolConfig = join(mkdtempSync(join(os.tmpdir(), 'a2a-bench-')), 'collector.yaml');
    writeFileSync(noSpoolConfig, 'spool:\n  enabled: false\n');
    const noSpool = await startProcess([...cli, '--config', noSpoolConfig], exportToSink);
    let noSpool1: LoadResult;
    let noSpool100: LoadResult;
    try {
      noSpool1 = await closedLoop(at(single, noSpool.url), SECONDS, CONCURRENCY);
      noSpool100 = await closedLoop(at(hundred, noSpool.url), SECONDS, CONCURRENCY);
    } finally {
      await stopProcess(noSpool.child);
    }
    const row = (label: string, steps: number, c: LoadResult, b: LoadResult): string =>
      `${label}: collector ${thousands(c.requestsPerSecond * steps)} steps/s (${thousands(c.requestsPerSecond)} req/s accepted, ${c.failures} refused with 503 back-pressure or errors)` +
      ` | bare node:http ${thousands(b.requestsPerSecond * steps)} steps/s | ratio ${(c.requestsPerSecond / b.requestsPerSecond).toFixed(2)}x`;
    say(row('HTTP   1 step/request ', 1, coll1, bare1));
    say(row('HTTP 100 steps/request', 100, coll100, bare100));
    figures.http1RatioToNodeHttp = round(coll1.requestsPerSecond / bare1.requestsPerSecond, 3);
    const spoolRow = (label: string, steps: number, on: LoadResult, off: LoadResult): string =>
      `${label}: spool off ${thousands(off.requestsPerSecond * steps)} steps/s (${off.failures} refused) | spool on/off ${(on.requestsPerSecond / off.requestsPerSecond).toFixed(2)}x`;
    say(spoolRow('HTTP   1 step/request ', 1, coll1, noSpool1));
    say(spoolRow('HTTP 100 steps/request', 100, coll100, noSpool100));
    figures['http1StepsPerSecondSpoolOff'] = round(noSpool1.requestsPerSecond);
    figures['http100StepsPerSecondSpoolOff'] = round(noSpool100.requestsPerSecond * 100);
    figures['http100StepsPerSecond'] = round(coll100.requestsPerSecond * 100);
    const sustained = await sustainedRate(at(hundred, collector.url), coll100.requestsPerSecond);
    say(`HTTP 100 steps/request, open loop: ${thousands(sustained.requestsPerSecond * 100)} steps/s sustained with none refused (tried ${sustained.tries.join('; ')})`);
    figures.http100SustainedStepsPerSecond = round(sustained.requestsPerSecond * 100);
    collectorRss = peakRssMiB(collector.child.pid);
    say(`peak RSS: collector ${collectorRss.toFixed(0)} MiB, bare node:http ${peakRssMiB(bare.child.pid).toFixed(0)} MiB`);
  } finally {
    await stopProcess(collector.child);
    await stopProcess(bare.child);
  }

  // Fresh processes for memory at a set load, and the event loop at half the peak.
  const fresh = await startProcess(cli, exportToSink);
  let rss: { idle: number; at10k: number; noStore?: number };
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = currentRssMiB(fresh.child.pid);
    const at10k = await rssDuring(fresh.child.pid, () => openLoop(at(hundred, fresh.url), SECONDS, 100));
    rss = { idle, at10k };
    const half = coll100.requestsPerSecond / 2;
    const p99s = await eventLoopDuring(fresh.url, () => openLoop(at(hundred, fresh.url), SECONDS, half));
    say(`RSS: collector idle ${idle.toFixed(0)} MiB, at 10,000 steps/s ${at10k.toFixed(0)} MiB`);
    say(`event loop at half of peak (${thousands(half * 100)} steps/s, /metrics scraped every second): delay p99 per scrape (past the 10 ms sampling), worst ${Math.max(...p99s).toFixed(1)} ms, median ${median(p99s).toFixed(1)} ms`);
    figures.eventLoopP99Millis = round(Math.max(...p99s), 1);
    figures['eventLoopP99MedianMillis'] = round(median(p99s), 1);
    figures['rssIdleMiB'] = round(idle);
    figures['rssAt10kMiB'] = round(at10k);
  } finally {
    await stopProcess(fresh.child);
  }
  // What the embedded store (kept for the query API and the page) adds to that.
  const noStoreConfig = join(mkdtempSync(join(os.tmpdir(), 'a2a-bench-')), 'collector.yaml');
  writeFileSync(noStoreConfig, 'store:\n  enabled: false\n');
  const noStore = await startProcess([...cli, '--config', noStoreConfig], exportToSink);
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const at10k = await rssDuring(noStore.child.pid, () => openLoop(at(hundred, noStore.url), SECONDS, 100));
    say(`RSS: collector with store.enabled false, at 10,000 steps/s ${at10k.toFixed(0)} MiB`);
    figures['rssAt10kNoStoreMiB'] = round(at10k);
    rss = { ...rss, noStore: at10k };
  } finally {
    await stopProcess(noStore.child);
  }

  const otelcol = await startOtelCollector(sinkUrl);
  if (otelcol === undefined) {
    say('OpenTelemetry Collector baseline: skipped (scripts/backends/otelcol.sh could not provide the binary)');
    figures.http100RatioToCollector = null;
    figures.rssRatioToCollectorAt10k = null;
    figures.rssRatioToCollectorIdle = null;
  } else {
    try {
      const json1: LoadTarget = { url: otelcol.url, path: '/v1/traces', bodies: otlpJsonBodies(Array.from({ length: 1000 }, (_, i) => trace(1, i))) };
      const json100: LoadTarget = { url: otelcol.url, path: '/v1/traces', bodies: otlpJsonBodies(Array.from({ length: 50 }, (_, i) => trace(100, i))) };
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const idle = currentRssMiB(otelcol.child.pid);
      const at10k = await rssDuring(otelcol.child.pid, () => openLoop(json100, SECONDS, 100));
      say(`RSS: OpenTelemetry Collector idle ${idle.toFixed(0)} MiB, at 10,000 spans/s ${at10k.toFixed(0)} MiB | collector/Collector idle ${(rss.idle / idle).toFixed(2)}x, at 10k ${(rss.at10k / at10k).toFixed(2)}x`);
      figures.rssRatioToCollectorAt10k = round(rss.at10k / at10k, 2);
      figures.rssRatioToCollectorIdle = round(rss.idle / idle, 2);
      if (rss.noStore !== undefined) figures['rssRatioToCollectorAt10kNoStore'] = round(rss.noStore / at10k, 2);
      const otlp1 = await closedLoop(json1, SECONDS, CONCURRENCY);
      const otlp100 = await closedLoop(json100, SECONDS, CONCURRENCY);
      const vs = (label: string, steps: number, c: LoadResult, o: LoadResult): string =>
        `${label}: OpenTelemetry Collector (OTLP/JSON in, protobuf out) ${thousands(o.requestsPerSecond * steps)} spans/s (${o.failures} errors) | collector/Collector ${(c.requestsPerSecond / o.requestsPerSecond).toFixed(2)}x`;
      say(vs('HTTP   1 span/request ', 1, coll1, otlp1));
      say(vs('HTTP 100 spans/request', 100, coll100, otlp100));
      figures.http100RatioToCollector = round(coll100.requestsPerSecond / otlp100.requestsPerSecond, 3);
      figures['http1RatioToCollector'] = round(coll1.requestsPerSecond / otlp1.requestsPerSecond, 3);
      // OTLP/HTTP protobuf in on both sides: the collector's OTLP receiver against the Collector's.
      const ours = await startProcess(cli, exportToSink);
      try {
        for (const [label, steps, count, name] of [
          ['OTLP/HTTP protobuf   1 span/request ', 1, 1000, 'otlp1RatioToCollector'],
          ['OTLP/HTTP protobuf 100 spans/request', 100, 50, 'otlp100RatioToCollector'],
        ] as const) {
          const { bodies, perRound } = otlpProtobufBodies(Array.from({ length: count }, (_, i) => trace(steps, i)));
          const protobuf = { path: '/v1/traces', contentType: 'application/x-protobuf', bodies, perRound };
          const mine = await closedLoop({ ...protobuf, url: ours.url }, SECONDS, CONCURRENCY);
          const theirs = await closedLoop({ ...protobuf, url: otelcol.url }, SECONDS, CONCURRENCY);
          say(
            `${label}: collector ${thousands(mine.requestsPerSecond * steps)} spans/s (${mine.failures} refused)` +
              ` | OpenTelemetry Collector ${thousands(theirs.requestsPerSecond * steps)} spans/s (${theirs.failures} errors) | collector/Collector ${(mine.requestsPerSecond / theirs.requestsPerSecond).toFixed(2)}x`,
          );
          figures[name] = round(mine.requestsPerSecond / theirs.requestsPerSecond, 3);
        }
      } finally {
        await stopProcess(ours.child);
      }
      const otelRss = peakRssMiB(otelcol.child.pid);
      say(`peak RSS: OpenTelemetry Collector ${otelRss.toFixed(0)} MiB | collector/Collector ${(collectorRss / otelRss).toFixed(2)}x`);
    } finally {
      await stopProcess(otelcol.child);
    }
  }
  sink.close();
  if (JSON_OUTPUT) process.stdout.write(`${JSON.stringify(figures)}\n`);
}

await main();
