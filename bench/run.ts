/**
 * `npm run bench`: throughput and memory figures, measured side by side in one run on this machine.
 * Prints figures and ratios; asserts nothing (DESIGN §9: speed lives here, never in tests).
 *
 * 1. In process: JSON.parse + read + resolve + map + OTLP protobuf encode, steps/s.
 * 2. Over HTTP, against the real CLI in its own process (embedded default plus an OTLP exporter to
 *    a local sink, so its durable spool is on): 1 and 100 steps per request, with a bare node:http
 *    server as the baseline, and again with the spool off.
 * 3. Peak RSS of the collector process.
 * 4. The OpenTelemetry Collector built from otelcol-builder.yaml, fed the same spans as OTLP/JSON
 *    and exporting OTLP protobuf to the same sink (DESIGN §9 baseline).
 * 4b. OTLP/HTTP protobuf ingest (`POST /v1/traces`, the OTLP receiver) of the collector next to the
 *    Collector's, on the same spans encoded once by the OTel JS serializer.
 * 5. Heap per span of the counted-once ledger, measured against its byte estimate
 *    (bench/ledger-heap-probe.ts, in a process of its own with --expose-gc).
 * 6. Heap per queued span, per span shape, measured against the queue's byte estimate
 *    (bench/queue-heap-probe.ts, in a process of its own).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { toOtelTraceId } from '../src/mapping/ids.js';
import { SpanMapper } from '../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../src/model/step-tree.js';
import type { ReadWarning } from '../src/model/types.js';
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

function inProcess(): { stepsPerSecond: number; bytesPerStep: number; otlpBytesPerStep: number } {
  const body = JSON.stringify(trace(100, 1));
  const mapper = new SpanMapper(DEFAULT_MAPPING);
  const receivedAt = { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false };
  let steps = 0;
  let encoded = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(SECONDS * 1e9);
  while (process.hrtime.bigint() < until) {
    const { trace: read } = readWithDefaultLimits(JSON.parse(body));
    const warnings: ReadWarning[] = [];
    const tree = buildStepTree(read, 'bench-agent', 'auto', warnings);
    const spans = mapper.toReadableSpans({ tree, otelTraceId: toOtelTraceId(read.traceId), receivedAt });
    encoded += ProtobufTraceSerializer.serializeRequest(spans)?.length ?? 0;
    steps += spans.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { stepsPerSecond: steps / seconds, bytesPerStep: body.length / 100, otlpBytesPerStep: encoded / steps };
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

/**
 * Closed-loop load: CONCURRENCY clients, keep-alive, for SECONDS. Bodies rotate, and each round
 * through them gets ids of its own, so no request repeats a trace (the collector counts and exports
 * a repeated trace once: repeats would be work not done).
 */
async function load(
  url: string,
  bodies: string[],
  path = '/v1/a2a/traces',
  contentType = 'application/json',
  perRound: (body: string, round: number) => string | Buffer = (body, round) => (round === 0 ? body : body.replaceAll(ID_SUFFIX, `-${round.toString(16).padStart(12, '0')}`)),
): Promise<{ requestsPerSecond: number; failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const target = new URL(path, url);
  let done = 0;
  let succeeded = 0;
  let next = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const one = (body: string | Buffer): Promise<void> =>
    new Promise((resolve) => {
      const req = request(target, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
        if (res.statusCode !== undefined && res.statusCode < 300) succeeded++;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const index = next++;
        const round = Math.floor(index / bodies.length);
        const body = bodies[index % bodies.length] as string;
        await one(perRound(body, round));
        done++;
      }
    }),
  );
  agent.destroy();
  // Only answered-with-success requests count: a 503 (back-pressure) is work refused, not done.
  return { requestsPerSecond: succeeded / ((Date.now() - started) / 1000), failures: done - succeeded };
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

async function main(): Promise<void> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  console.log(`a2a-trace-collector bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}, ${SECONDS}s per figure, ${CONCURRENCY} concurrent clients\n`);

  const local = inProcess();
  console.log(`in process  parse+map+OTLP protobuf encode: ${Math.round(local.stepsPerSecond).toLocaleString('en')} steps/s (${Math.round(local.bytesPerStep)} B JSON in, ${Math.round(local.otlpBytesPerStep)} B OTLP out per step)`);

  for (const spansPerTrace of [1, 10, 100]) {
    const probe = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/ledger-heap-probe.ts', String(spansPerTrace)], { cwd: ROOT, encoding: 'utf8' });
    console.log(`ledger     ${probe.trim()}`);
  }
  const queueProbe = execFileSync(process.execPath, ['--import', 'tsx', 'bench/queue-heap-probe.ts'], { cwd: ROOT, encoding: 'utf8' });
  for (const line of queueProbe.trim().split('\n')) console.log(`queue      ${line}`);

  const cli = existsSync(`${ROOT}/dist/src/cli.js`) ? ['dist/src/cli.js'] : ['--import', 'tsx', 'src/cli.ts'];
  const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts']);
  const collector = await startProcess([...cli, 'serve', '--port', '0'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
    OTEL_TRACES_EXPORTER: 'otlp',
  });
  try {
    const single = Array.from({ length: 1000 }, (_, i) => JSON.stringify(trace(1, i)));
    const hundred = Array.from({ length: 50 }, (_, i) => JSON.stringify(trace(100, i)));
    const bare1 = await load(bare.url, single);
    const coll1 = await load(collector.url, single);
    const bare100 = await load(bare.url, hundred);
    const coll100 = await load(collector.url, hundred);
    // The same collector with its durable spool off, for the cost of the write-ahead log.
    const noSpoolConfig = join(mkdtempSync(join(os.tmpdir(), 'a2a-bench-')), 'collector.yaml');
    writeFileSync(noSpoolConfig, 'spool:\n  enabled: false\n');
    const noSpool = await startProcess([...cli, 'serve', '--port', '0', '--config', noSpoolConfig], {
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_TRACES_EXPORTER: 'otlp',
    });
    let noSpool1: { requestsPerSecond: number; failures: number };
    let noSpool100: { requestsPerSecond: number; failures: number };
    try {
      noSpool1 = await load(noSpool.url, single);
      noSpool100 = await load(noSpool.url, hundred);
    } finally {
      await stopProcess(noSpool.child);
    }
    const row = (label: string, steps: number, c: { requestsPerSecond: number; failures: number }, b: { requestsPerSecond: number }): string =>
      `${label}: collector ${Math.round(c.requestsPerSecond * steps).toLocaleString('en')} steps/s (${Math.round(c.requestsPerSecond).toLocaleString('en')} req/s accepted, ${c.failures} refused with 503 back-pressure or errors)` +
      ` | bare node:http ${Math.round(b.requestsPerSecond * steps).toLocaleString('en')} steps/s | ratio ${(c.requestsPerSecond / b.requestsPerSecond).toFixed(2)}x`;
    console.log(row('HTTP   1 step/request ', 1, coll1, bare1));
    console.log(row('HTTP 100 steps/request', 100, coll100, bare100));
    const spoolRow = (label: string, steps: number, on: { requestsPerSecond: number }, off: { requestsPerSecond: number; failures: number }): string =>
      `${label}: spool off ${Math.round(off.requestsPerSecond * steps).toLocaleString('en')} steps/s (${off.failures} refused) | spool on/off ${(on.requestsPerSecond / off.requestsPerSecond).toFixed(2)}x`;
    console.log(spoolRow('HTTP   1 step/request ', 1, coll1, noSpool1));
    console.log(spoolRow('HTTP 100 steps/request', 100, coll100, noSpool100));
    const collectorRss = peakRssMiB(collector.child.pid);
    console.log(`peak RSS: collector ${collectorRss.toFixed(0)} MiB, bare node:http ${peakRssMiB(bare.child.pid).toFixed(0)} MiB`);

    const otelcol = await startOtelCollector(sinkUrl);
    if (otelcol === undefined) {
      console.log('OpenTelemetry Collector baseline: skipped (scripts/backends/otelcol.sh could not provide the binary)');
    } else {
      try {
        const otlp1 = await load(otelcol.url, otlpJsonBodies(Array.from({ length: 1000 }, (_, i) => trace(1, i))), '/v1/traces');
        const otlp100 = await load(otelcol.url, otlpJsonBodies(Array.from({ length: 50 }, (_, i) => trace(100, i))), '/v1/traces');
        const vs = (label: string, steps: number, c: { requestsPerSecond: number }, o: { requestsPerSecond: number; failures: number }): string =>
          `${label}: OpenTelemetry Collector (OTLP/JSON in, protobuf out) ${Math.round(o.requestsPerSecond * steps).toLocaleString('en')} spans/s (${o.failures} errors) | collector/Collector ${(c.requestsPerSecond / o.requestsPerSecond).toFixed(2)}x`;
        console.log(vs('HTTP   1 span/request ', 1, coll1, otlp1));
        console.log(vs('HTTP 100 spans/request', 100, coll100, otlp100));
        // OTLP/HTTP protobuf in on both sides: the collector's OTLP receiver against the Collector's.
        for (const [label, steps, count] of [['OTLP/HTTP protobuf   1 span/request ', 1, 1000], ['OTLP/HTTP protobuf 100 spans/request', 100, 50]] as const) {
          const { bodies, perRound } = otlpProtobufBodies(Array.from({ length: count }, (_, i) => trace(steps, i)));
          const ours = await load(collector.url, bodies, '/v1/traces', 'application/x-protobuf', perRound);
          const theirs = await load(otelcol.url, bodies, '/v1/traces', 'application/x-protobuf', perRound);
          console.log(
            `${label}: collector ${Math.round(ours.requestsPerSecond * steps).toLocaleString('en')} spans/s (${ours.failures} refused)` +
              ` | OpenTelemetry Collector ${Math.round(theirs.requestsPerSecond * steps).toLocaleString('en')} spans/s (${theirs.failures} errors) | collector/Collector ${(ours.requestsPerSecond / theirs.requestsPerSecond).toFixed(2)}x`,
          );
        }
        const otelRss = peakRssMiB(otelcol.child.pid);
        console.log(`peak RSS: OpenTelemetry Collector ${otelRss.toFixed(0)} MiB | collector/Collector ${(collectorRss / otelRss).toFixed(2)}x`);
      } finally {
        await stopProcess(otelcol.child);
      }
    }
  } finally {
    await stopProcess(collector.child);
    await stopProcess(bare.child);
    sink.close();
  }
}

await main();
