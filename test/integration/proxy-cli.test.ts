/**
 * The `proxy` command as users run it: flags and config file, refused before listening when the
 * upstream is missing or wrong, and a clean stop on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
    const child = spawn(process.execPath, [...CLI, 'proxy', '--upstream', upstream, '--port', '0', '--config', writeConfig('server:\n  port: 0\n')], {
      cwd: ROOT,
      env: CLEAN_ENV,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      let stderr = '';
      const urls = await new Promise<{ proxy: string; collector: string }>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const collector = /"msg":"collector listening","url":"([^"]+)"/.exec(stderr)?.[1];
          const proxy = /"msg":"proxy listening","url":"([^"]+)"/.exec(stderr)?.[1];
          if (collector !== undefined && proxy !== undefined) resolve({ proxy, collector });
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      assert.notEqual(urls.proxy, urls.collector);
      const response = await fetch(`${urls.proxy}/anything`);
      assert.equal(await response.text(), TRACEABILITY_EXTENSION_URI);
      assert.equal((await fetch(`${urls.collector}/healthz`)).status, 200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(stderr, /"msg":"proxy stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      agent.closeAllConnections();
      await new Promise<void>((resolve) => agent.close(() => resolve()));
    }
  });
});
