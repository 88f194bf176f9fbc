import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
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

async function startServe(extraArgs: readonly string[] = []): Promise<{ url: string; stop: (signal?: NodeJS.Signals) => Promise<number | null>; stderr: () => string }> {
  const child = spawn(process.execPath, [...CLI, '--port', '0', ...extraArgs], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"msg":"collector listening","url":"([^"]+)"/.exec(stderr);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: (signal = 'SIGTERM') => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill(signal);
      return exited;
    },
  };
}

function runCli(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
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
    const server = await startServe();
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const accepted = await fetch(`${server.url}/v1/a2a/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trace_id: 'cli-trace', steps: [{ step_id: 's', call_type: 'TOOL', name: 'x', cost: 2 }] }),
    });
    assert.equal(accepted.status, 202);
    const trace = (await (await fetch(`${server.url}/api/traces/cli-trace`)).json()) as { summary: { totalCost: number } };
    assert.equal(trace.summary.totalCost, 2);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal(await server.stop(), 0);
    assert.match(server.stderr(), /"msg":"collector stopped"/);
  });

  it('refuses an oversize body sent in chunks without Content-Length, and keeps serving', async () => {
    const server = await startServe();
    try {
      // 9 MiB in 64 KiB chunks, no Content-Length: the limit must hold while streaming.
      const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 144; i++) controller.enqueue(chunk);
          controller.close();
        },
      });
      const response = await fetch(`${server.url}/v1/a2a/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' });
      assert.equal(response.status, 413);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('stops within its grace period on SIGTERM even while a client stalls mid-upload', async () => {
    const server = await startServe();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.on('error', () => {});
    // Headers promise 1,000 bytes; only 10 ever come.
    socket.write('POST /v1/a2a/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"trace_id"');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const code = await server.stop();
    socket.destroy();
    assert.equal(code, 0);
    assert.match(server.stderr(), /"msg":"collector stopped"/);
  });

  it('drains the exporter queue on SIGHUP, logs it and exits 0 instead of dying with the backlog', async () => {
    // An OTLP/JSON sink; the exporter's batch waits a minute, so only the shutdown drain can send.
    const received: string[] = [];
    const sink = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    const file = writeConfig(
      `exporters:\n  otlp:\n    endpoint: ${sinkUrl}\n    protocol: http/json\n    batch:\n      scheduled_delay_millis: 60000\n`,
    );
    try {
      const server = await startServe(['--config', file]);
      const accepted = await fetch(`${server.url}/v1/a2a/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ trace_id: 'hup', steps: [{ step_id: 'a', call_type: 'TOOL', name: 'x' }, { step_id: 'b', call_type: 'TOOL', name: 'y' }] }),
      });
      assert.equal(accepted.status, 202);
      assert.equal(received.length, 0);
      assert.equal(await server.stop('SIGHUP'), 0);
      assert.match(server.stderr(), /"msg":"shutting down","signal":"SIGHUP"/);
      assert.match(server.stderr(), /"msg":"collector stopped"/);
      const names = received.flatMap((body) => [...body.matchAll(/"name":"(execute_tool [xy])"/g)].map((match) => match[1])).sort();
      assert.deepEqual(names, ['execute_tool x', 'execute_tool y']);
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });

  it('send posts captured JSON and SSE files and prints what was accepted; convert prints the OTLP JSON', async () => {
    const server = await startServe();
    try {
      const fixtures = join(ROOT, 'test', 'fixtures');
      const sent = await runCli(['send', join(fixtures, 'nested-multi-agent.json'), join(fixtures, 'a2a', 'v03-message-stream.sse'), '--to', server.url]);
      assert.equal(sent.status, 0, sent.stderr);
      assert.match(sent.stdout, /nested-multi-agent\.json: accepted trace trace-7f3c2a9e-1b2d-4c5e-8f90-a1b2c3d4e5f6 as [0-9a-f]{32} \(6 steps, 0 warnings\)/);
      assert.match(sent.stdout, /v03-message-stream\.sse: accepted trace \S+ as [0-9a-f]{32} \(\d+ steps/);
      const list = (await (await fetch(`${server.url}/api/traces`)).json()) as { traces: unknown[] };
      assert.equal(list.traces.length, 2);

      const refused = await runCli(['send', join(fixtures, 'a2a', 'v03-task-without-trace.json'), '--to', server.url]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /refused \(HTTP 422\) A2A_ERR_NO_TRACE_IN_ENVELOPE/);
    } finally {
      await server.stop();
    }
    const converted = await runCli(['convert', join(ROOT, 'test', 'fixtures', 'nested-multi-agent.json')]);
    assert.equal(converted.status, 0, converted.stderr);
    const otlp = JSON.parse(converted.stdout) as {
      resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
    };
    const services = otlp.resourceSpans.map((rs) => rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue).sort();
    assert.deepEqual(services, ['a2a-agent', 'weather-agent']);
    const names = otlp.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => span.name))).sort();
    assert.deepEqual(names, ['execute_tool forecast_api', 'execute_tool llm_summarize', 'execute_tool lookup_city', 'host trip-planner.handle', 'host weather-agent.handle', 'invoke_agent weather-agent']);
  });
;
});

describe('convert reads the config as serve does', () => {
  it('leaves a callee listed in accounting.sidecar_agents to its own sidecar: its nested steps are not converted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a2a-convert-'));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, 'accounting:\n  sidecar_agents: [weather-agent]\n');
    const converted = await runCli(['convert', join(ROOT, 'test', 'fixtures', 'nested-multi-agent.json'), '--config', file]);
    assert.equal(converted.status, 0, converted.stderr);
    const otlp = JSON.parse(converted.stdout) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
    const names = otlp.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => span.name))).sort();
    assert.deepEqual(names, ['execute_tool lookup_city', 'host trip-planner.handle', 'invoke_agent weather-agent']);
  });
});

describe('convert on large and BOM-prefixed files', () => {
  it('converts 200,000 steps (printed compact) and a file that starts with a byte order mark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a2a-convert-'));
    const big = join(dir, 'big.json');
    const traces = Array.from({ length: 20 }, (_, t) => ({
      trace_id: `big-${t}`,
      steps: Array.from({ length: 10_000 }, (_, i) => ({ step_id: `s${i}`, call_type: 'TOOL', name: 'x' })),
    }));
    writeFileSync(big, JSON.stringify(traces));
    const converted = await runCli(['convert', big]);
    assert.equal(converted.status, 0, converted.stderr.slice(0, 500));
    assert.equal((converted.stdout.match(/"name":"execute_tool x"/g) ?? []).length, 200_000);

    const bom = join(dir, 'bom.json');
    writeFileSync(bom, `\uFEFF${JSON.stringify({ trace_id: 'bom', steps: [{ step_id: 's', call_type: 'TOOL', name: 'y' }] })}`);
    const fromBom = await runCli(['convert', bom]);
    assert.equal(fromBom.status, 0, fromBom.stderr);
    assert.match(fromBom.stdout, /"name": "execute_tool y"/);
  });
});
