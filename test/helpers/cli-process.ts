/**
 * @module End-to-end helpers for crash and fault tests: the real `serve` command as a child process
 * (started, `kill -9`ed, stopped with a signal), its `/metrics` read as numbers, and ingest requests
 * on connections of their own, so that a request cut by a dead process fails alone and a restarted
 * process is not handed a dead keep-alive socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { metricSamples } from './metrics-text.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The test runner's environment without OTEL_* variables, so that only the config file configures exporters. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

/** Ports handed out by {@link reserveRestartablePort} in this process. */
const reservedPorts = new Set<number>();

/**
 * A free 127.0.0.1 port for a server that is stopped and started again on it (a collector killed
 * and restarted, a backend that goes down and comes back). It is taken below Linux's ephemeral
 * range (32768-60999), where the kernel picks the local ports of outgoing connections, so that no
 * connection can take it while its server is down; and never twice in this process.
 */
export async function reserveRestartablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (reservedPorts.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) continue;
    reservedPorts.add(port);
    return port;
  }
}

/** How a child process ended: its exit code (null when a signal ended it) and that signal. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A `serve` command running as a child process. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** Base URL it listens on, as its `collector listening` log line says. */
  readonly url: string;
  /** Everything it wrote to stderr so far (JSON log lines). */
  readonly stderr: () => string;
  /** Resolves once the process has exited (and been reaped). */
  readonly exited: Promise<ProcessExit>;
}

/** One JSON log line of the collector (`time`, `level`, `msg` and the line's own fields). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly level: string; readonly msg: string };

/**
 * Starts `node --import tsx src/cli.ts serve --config <configFile>` (the source as it is, no build
 * needed); resolves once it logs `collector listening`, rejects if it exits or stays silent for
 * `timeoutMillis` (default 30,000) before that.
 */
export function startServe(configFile: string, timeoutMillis = 30_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let listening = false;
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not listen within ${timeoutMillis} ms: ${stderr}`));
    }, timeoutMillis);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (listening) return;
      const line = logLines(stderr).find((candidate) => candidate.msg === 'collector listening');
      if (line !== undefined && typeof line['url'] === 'string') {
        listening = true;
        clearTimeout(timer);
        resolve({ child, url: line['url'], stderr: () => stderr, exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code ?? signal} before listening: ${stderr}`));
    });
  });
}

/** The complete JSON lines of a collector's stderr; other lines (a Node warning) are left out. */
export function logLines(stderr: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of stderr.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const line = JSON.parse(text) as LogLine;
      if (typeof line.level === 'string' && typeof line.msg === 'string') lines.push(line);
    } catch {
      // A line still being written (the process was killed mid-line): not a log line.
    }
  }
  return lines;
}

/** `kill -9`: resolves once the process is gone and reaped, so its pid no longer holds the spool lock. */
export async function killHard(running: ServeProcess): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  await running.exited;
}

/** Sends `signal` (default SIGTERM) and resolves with how the process ended and how long that took, in milliseconds. */
export async function stopWithSignal(running: ServeProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit & { readonly elapsedMillis: number }> {
  const signalledAt = performance.now();
  running.child.kill(signal);
  const exit = await running.exited;
  return { ...exit, elapsedMillis: performance.now() - signalledAt };
}

/** The samples of metric `name` on `<baseUrl>/metrics`, keyed by label set (`{exporter="otlp"}`, `''` without labels). */
export async function scrapeMetric(baseUrl: string, name: string): Promise<Record<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return metricSamples(await response.text(), name);
}

/** What became of one ingest request: its status, or `died` when the connection failed before an answer. */
export type PostOutcome = number | 'died';

/** POSTs `body` as JSON to `url` on a connection of its own. */
export function postOnOwnConnection(url: string, body: string): Promise<PostOutcome> {
  return new Promise((resolve) => {
    const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', () => resolve('died'));
    });
    outgoing.once('error', () => resolve('died'));
    outgoing.end(body);
  });
}

/**
 * Starts a POST that sends its headers and half of `body`, then waits: it is in flight until the
 * server goes away. `sent` resolves once the half is written; `outcome` with what became of it.
 */
export function postHalfBody(url: string, body: string): { readonly outcome: Promise<PostOutcome>; readonly sent: Promise<void> } {
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const outcome = new Promise<PostOutcome>((resolve) => {
    const outgoing = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.once('error', () => resolve('died'));
    outgoing.flushHeaders();
    outgoing.write(body.slice(0, Math.floor(body.length / 2)), () => markSent());
  });
  return { outcome, sent };
}
