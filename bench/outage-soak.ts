/**
 * `npm run bench:outage`: the collector's memory while its backend is down, at a steady load.
 *
 * The real CLI runs in its own process with an OTLP exporter to a port where nothing listens yet,
 * retrying until shutdown (`max_elapsed_time_millis: 0`), and its durable spool on. Traces of 100
 * steps are posted at a steady rate (open loop) for `--minutes`; every 5 s the collector's RSS, its
 * queue and spool gauges are sampled. Then the backend comes up (a node:http OTLP/JSON sink on that
 * port) and the backlog drains: every accepted span must arrive. Prints figures, asserts nothing.
 *
 *   npm run bench:outage -- [--minutes 10] [--rate 2000] [--json]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '2000' }, json: { type: 'boolean', default: false } } });
const MINUTES = Number(values.minutes);
const STEPS_PER_SECOND = Number(values.rate);
const STEPS_PER_REQUEST = 100;

function body(seed: number): string {
  const traceId = `outage-${seed.toString(16).padStart(10, '0')}`;
  const steps = [];
  for (let i = 0; i < STEPS_PER_REQUEST; i++) {
    steps.push({
      step_id: `s-${i}`,
      parent_step_id: i === 0 ? null : 's-0',
      call_type: i === 0 ? 'HOST' : i % 3 === 0 ? 'AGENT' : 'TOOL',
      name: i % 3 === 0 ? 'weather-agent' : 'search_documents',
      parameters: { query: 'quarterly revenue by region', top_k: 5 },
      cost: 0.00042,
      total_tokens: 1234,
      additional_attributes: { input_tokens: 1000, output_tokens: 234, model: 'gpt-4o-mini' },
      start_time: '2026-03-10T21:23:14.974500+00:00',
      end_time: '2026-03-10T21:23:15.158500+00:00',
    });
  }
  return JSON.stringify({ trace_id: traceId, steps });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Builds dist/ from the sources first, so that the process measured is the one users run, not a stale build or tsx. */
function startCollector(config: string): Promise<{ child: ChildProcess; url: string }> {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const cli = ['dist/src/cli.js'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cli, 'serve', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve({ child, url: match[1] });
      if (output.length > 100_000) output = output.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${output.slice(-2000)}`)));
  });
}

function rssMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function post(url: string, payload: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/a2a/traces`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}

interface Gauges {
  readonly queueBytes: number;
  readonly spoolBytes: number;
  readonly backlogSpans: number;
  readonly exportedSpans: number;
}

async function gauges(url: string): Promise<Gauges> {
  const text = await new Promise<string>((resolve) => {
    request(`${url}/metrics`, { agent }, (response) => {
      let data = '';
      response.on('data', (chunk: Buffer) => (data += chunk.toString()));
      response.on('end', () => resolve(data));
    })
      .on('error', () => resolve(''))
      .end();
  });
  const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    queueBytes: value('a2a_collector_queue_bytes'),
    spoolBytes: value('a2a_collector_spool_bytes'),
    backlogSpans: value('a2a_collector_spool_backlog_spans'),
    exportedSpans: value('a2a_collector_exported_spans_total'),
  };
}

/** The backend coming back: an OTLP/JSON endpoint that counts spans. */
async function startSink(port: number): Promise<{ server: Server; spans: () => number }> {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> };
      for (const resource of parsed.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, spans: () => spans };
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(os.tmpdir(), 'a2a-outage-'));
  const backendPort = await freePort();
  const config = join(directory, 'collector.yaml');
  writeFileSync(
    config,
    [
      'server:\n  port: 0',
      `spool:\n  directory: ${JSON.stringify(join(directory, 'spool'))}\n  max_bytes: ${8 * 1024 ** 3}`,
      'exporters:',
      '  otlp:',
      `    endpoint: http://127.0.0.1:${backendPort}`,
      '    protocol: http/json',
      '    retry_on_failure:\n      max_elapsed_time_millis: 0',
      'log_level: info',
      '',
    ].join('\n'),
  );
  const { child, url } = await startCollector(config);
  const idleRss = rssMiB(child.pid, 'VmRSS');
  const log = (line: string): void => {
    if (!values.json) console.log(line);
  };
  log(`outage soak: ${MINUTES} min at ${STEPS_PER_SECOND} steps/s (${STEPS_PER_REQUEST} per request), backend down; idle RSS ${idleRss.toFixed(0)} MiB`);

  const intervalMillis = (1000 * STEPS_PER_REQUEST) / STEPS_PER_SECOND;
  const statuses = new Map<number, number>();
  const inFlight = new Set<Promise<void>>();
  let seed = 0;
  let maxRss = idleRss;
  const started = Date.now();
  const endAt = started + MINUTES * 60_000;
  let nextSample = started + 5_000;
  let nextLine = started + 60_000;
  for (let next = started; next < endAt; next += intervalMillis) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = post(url, body(seed++)).then((status) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    if (Date.now() >= nextSample) {
      nextSample += 5_000;
      maxRss = Math.max(maxRss, rssMiB(child.pid, 'VmRSS'));
      if (Date.now() >= nextLine) {
        nextLine += 60_000;
        const g = await gauges(url);
        log(
          `  ${((Date.now() - started) / 60_000).toFixed(0)} min: RSS ${rssMiB(child.pid, 'VmRSS').toFixed(0)} MiB, queue ${(g.queueBytes / 2 ** 20).toFixed(1)} MiB, spool ${(g.spoolBytes / 2 ** 20).toFixed(0)} MiB, ${g.backlogSpans} spans on disk only`,
        );
      }
    }
  }
  await Promise.all(inFlight);
  const accepted = (statuses.get(202) ?? 0) * STEPS_PER_REQUEST;
  const atEnd = await gauges(url);
  const outageRss = rssMiB(child.pid, 'VmRSS');
  maxRss = Math.max(maxRss, outageRss);

  const sink = await startSink(backendPort);
  const drainStarted = Date.now();
  while (sink.spans() < accepted && Date.now() - drainStarted < 30 * 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    maxRss = Math.max(maxRss, rssMiB(child.pid, 'VmRSS'));
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const peakRss = rssMiB(child.pid, 'VmHWM');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  agent.destroy();
  rmSync(directory, { recursive: true, force: true });

  const result = {
    minutes: MINUTES,
    stepsPerSecond: STEPS_PER_SECOND,
    requests: Object.fromEntries([...statuses].map(([status, count]) => [String(status), count])),
    acceptedSpans: accepted,
    deliveredSpans: sink.spans(),
    idleRssMiB: Math.round(idleRss),
    rssAtEndOfOutageMiB: Math.round(outageRss),
    peakRssMiB: Math.round(peakRss),
    sampledMaxRssMiB: Math.round(maxRss),
    spoolBytesAtEndOfOutage: atEnd.spoolBytes,
    queueBytesAtEndOfOutage: atEnd.queueBytes,
    backlogSpansAtEndOfOutage: atEnd.backlogSpans,
    drainSeconds: Math.round(drainSeconds),
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`requests by status: ${JSON.stringify(result.requests)}`);
  console.log(`end of outage: RSS ${result.rssAtEndOfOutageMiB} MiB, spool ${(atEnd.spoolBytes / 2 ** 20).toFixed(0)} MiB, queue ${(atEnd.queueBytes / 2 ** 20).toFixed(1)} MiB, ${atEnd.backlogSpans} spans on disk only`);
  console.log(`peak RSS ${result.peakRssMiB} MiB (idle ${result.idleRssMiB} MiB)`);
  console.log(`backend back: ${result.deliveredSpans} of ${result.acceptedSpans} accepted spans delivered in ${result.drainSeconds} s`);
}

await main();
