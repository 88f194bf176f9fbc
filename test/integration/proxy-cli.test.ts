/**
 * The `proxy` command as users run it: flags and config file, refused before listening when the
 * upstream is missing or wrong, its addresses on stdout, and a clean stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TRACEABILITY_EXTENSION_URI } from '../../src/a2a/extension-keys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli.ts'];
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'a2a-proxy-cli-')), 'collector.yaml');
  writeFileSync(file, text);
  return file;
}

function runCli(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stderr }));
  });
}

/** The running `proxy` command, once it printed where it listens. */
interface RunningProxy {
  readonly child: ChildProcess;
  readonly urls: { readonly proxy: string; readonly collector: string };
  /** What the command wrote so far (it keeps growing). */
  readonly output: { stdout: string; stderr: string };
}

/** Spawns `proxy` with `args`; resolves once it printed both addresses on stdout. */
function startProxy(args: readonly string[]): Promise<RunningProxy> {
  const child = spawn(process.execPath, [...CLI, 'proxy', ...args], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no addresses on stdout within 20 s: ${JSON.stringify(output)}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
      const match = /^proxy: (\S+)\ncollector: (\S+)\n/.exec(output.stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, urls: { proxy: match[1] as string, collector: match[2] as string }, output });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${output.stderr}`));
    });
  });
}

describe('a2a-trace-collector proxy', () => {
  it('refuses to start without an upstream, or with one that is no http(s) URL, naming the key', async () => {
    const missing = await runCli(['proxy', '--config', writeConfig('server:\n  port: 0\n')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^ {2}proxy\.upstream: the proxy needs the URL of the A2A agent/m);
    const wrong = await runCli(['proxy', '--upstream', 'ftp://agent', '--config', writeConfig('server:\n  port: 0\n')]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^ {2}proxy\.upstream: expected an http:\/\/ or https:\/\/ URL$/m);
    assert.doesNotMatch(wrong.stderr, /listening/);
  });

  it('runs the collector and the proxy from --upstream and --port, forwards, and stops cleanly on SIGTERM', async () => {
    const agent = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end(String(request.headers['x-a2a-extensions']));
    });
    await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
    let running: RunningProxy | undefined;
    try {
      running = await startProxy(['--upstream', upstream, '--port', '0', '--config', writeConfig('server:\n  port: 0\n')]);
      const { child, urls, output } = running;
      assert.notEqual(urls.proxy, urls.collector);
      assert.match(output.stderr, new RegExp(`"msg":"proxy listening","url":"${urls.proxy}"`));
      assert.match(output.stderr, new RegExp(`"msg":"collector listening","url":"${urls.collector}"`));
      const response = await fetch(`${urls.proxy}/anything`);
      assert.equal(await response.text(), TRACEABILITY_EXTENSION_URI);
      assert.equal((await fetch(`${urls.collector}/healthz`)).status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(output.stderr, /"msg":"proxy stopped"/);
    } finally {
      if (running !== undefined && running.child.exitCode === null) running.child.kill('SIGKILL');
      agent.closeAllConnections();
      await new Promise<void>((resolve) => agent.close(() => resolve()));
    }
  });

  it('prints the proxy\'s and the collector\'s addresses on stdout even when the log level hides the listening lines', async () => {
    const running = await startProxy(['--upstream', 'http://127.0.0.1:9', '--port', '0', '--log-level', 'warn', '--config', writeConfig('server:\n  port: 0\n')]);
    try {
      const { urls, output } = running;
      assert.match(urls.proxy, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      assert.match(urls.collector, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      assert.equal((await fetch(`${urls.collector}/healthz`)).status, 200);
      assert.equal((await fetch(`${urls.proxy}/`)).status, 502, 'the proxy listens there (its agent is down)');
      assert.doesNotMatch(output.stderr, /listening/);
      const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
      running.child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(output.stdout, `proxy: ${urls.proxy}\ncollector: ${urls.collector}\n`);
    } finally {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    }
  });
});
