import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli.ts'];
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'a2a-cli-')), 'collector.yaml');
  writeFileSync(file, text);
  return file;
}

describe('a2a-trace-collector CLI', () => {
  it('validate lists every problem with its key path and exits non-zero', () => {
    const file = writeConfig('server:\n  port: -1\nexporters:\n  otlp:\n    endpoint: ftp://x\n  nope: {}\n');
    const result = spawnSync(process.execPath, [...CLI, 'validate', '--config', file], { cwd: ROOT, env: CLEAN_ENV, encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^CFG_ERR_INVALID: invalid configuration \(3 problems\)$/m);
    assert.match(result.stderr, /^ {2}server\.port: /m);
    assert.match(result.stderr, /^ {2}exporters\.otlp\.endpoint: expected an http:\/\/ or https:\/\/ URL$/m);
    assert.match(result.stderr, /^ {2}exporters\.nope: unknown exporter type "nope"/m);
  });

  it('validate accepts a good config', () => {
    const file = writeConfig('server:\n  port: 4999\nexporters:\n  otlp/jaeger:\n    endpoint: http://127.0.0.1:4318\n');
    const result = spawnSync(process.execPath, [...CLI, 'validate', '--config', file], { cwd: ROOT, env: CLEAN_ENV, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /config OK/);
  });

  it('serve refuses an invalid config before listening, with the same report', () => {
    const file = writeConfig('store:\n  max_traces: 0\n');
    const result = spawnSync(process.execPath, [...CLI, 'serve', '--config', file, '--port', '0'], { cwd: ROOT, env: CLEAN_ENV, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^ {2}store\.max_traces: /m);
    assert.doesNotMatch(result.stderr, /listening/);
  });

  it('serve starts on the embedded default with no config, answers, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [...CLI, '--port', '0'], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /"msg":"collector listening","url":"([^"]+)"/.exec(stderr);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const accepted = await fetch(`${url}/v1/a2a/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trace_id: 'cli-trace', steps: [{ step_id: 's', call_type: 'TOOL', name: 'x', cost: 2 }] }),
    });
    assert.equal(accepted.status, 202);
    const trace = (await (await fetch(`${url}/api/traces/cli-trace`)).json()) as { summary: { totalCost: number } };
    assert.equal(trace.summary.totalCost, 2);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /"msg":"collector stopped"/);
  });
});
