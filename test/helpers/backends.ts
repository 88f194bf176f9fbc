/**
 * @module Starts and stops the real backends (Jaeger, Zipkin, Prometheus, ...) through the
 * project's own scripts in scripts/backends, on free loopback ports.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPTS = fileURLToPath(new URL('../../scripts/backends/', import.meta.url));

/** A free TCP port on 127.0.0.1 (free when asked; the backend binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `scripts/backends/<script> <args>`; rejects with its output when it fails. */
export function runScript(script: string, args: readonly string[], env: Record<string, string> = {}, timeoutMillis = 20 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(SCRIPTS, script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env['A2A_E2E_VERBOSE'] === '1') process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${script} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}

/** A backend started by its script; `stop()` is safe to call more than once. */
export interface RunningBackend {
  readonly runDir: string;
  readonly ports: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Starts a backend with `<script> start <run-dir>`, each named port variable set to a free port.
 * Extra environment goes to the script as is.
 */
export async function startBackend(script: string, portVariables: readonly string[], extraEnv: Record<string, string> = {}): Promise<RunningBackend> {
  const runDir = mkdtempSync(join(tmpdir(), `a2a-e2e-${script.replace(/\.sh$/, '')}-`));
  const ports: Record<string, number> = {};
  for (const name of portVariables) ports[name] = await freePort();
  const env = { ...extraEnv, ...Object.fromEntries(Object.entries(ports).map(([key, value]) => [key, String(value)])) };
  await runScript(script, ['start', runDir], env);
  let stopped = false;
  return {
    runDir,
    ports,
    async stop() {
      if (stopped) return;
      stopped = true;
      await runScript(script, ['stop', runDir], env, 60_000);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMillis` passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMillis = 30_000, intervalMillis = 250): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMillis} ms${lastError === undefined ? '' : `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMillis));
  }
}
