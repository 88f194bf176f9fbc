/**
 * End to end: the `proxy` command (a child process, configured by a YAML file) between real
 * `@a2a-js/sdk` clients and real SDK agents, exporting over OTLP to a real Jaeger v2 (built and
 * started by scripts/backends/jaeger.sh). The traces the agents return are read back from the
 * collector's query API and from Jaeger's, tree and services intact.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TraceDetail } from '../../src/store/trace-store.js';
import {
  CLIENT_FLAVOURS,
  agentTraceId,
  collectStream,
  createRecordingClient,
  startTestAgent,
  userRequest,
  type RunningAgent,
  type TracePlacement,
} from '../helpers/a2a-agents.js';
import { eventually, startBackend, type RunningBackend } from '../helpers/backends.js';
import { jaegerTag, readJaegerTrace, type JaegerSpan } from '../helpers/jaeger-api.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));

/** A `proxy` command running as a child process. */
interface ProxyProcess {
  readonly child: ChildProcess;
  readonly proxyUrl: string;
  readonly collectorUrl: string;
  readonly stderr: () => string;
}

async function startProxyCommand(agent: RunningAgent, service: string, otlpUrl: string): Promise<ProxyProcess> {
  const config = join(mkdtempSync(join(tmpdir(), 'a2a-proxy-e2e-')), 'collector.yaml');
  writeFileSync(
    config,
    [
      'server:',
      '  port: 0',
      'service:',
      `  name: ${service}`,
      'proxy:',
      `  upstream: ${agent.url}`,
      '  port: 0',
      'exporters:',
      '  otlp/jaeger:',
      `    endpoint: ${otlpUrl}`,
      '    batch:',
      '      scheduled_delay_millis: 50',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--config', config], { cwd: ROOT, env: CLEAN_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const urls = await new Promise<{ proxyUrl: string; collectorUrl: string }>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const collector = /"msg":"collector listening","url":"([^"]+)"/.exec(stderr)?.[1];
      const proxy = /"msg":"proxy listening","url":"([^"]+)"/.exec(stderr)?.[1];
      if (collector !== undefined && proxy !== undefined) resolve({ proxyUrl: proxy, collectorUrl: collector });
    });
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return { child, ...urls, stderr: () => stderr };
}

function stopProxyCommand(running: ProxyProcess): Promise<number | null> {
  if (running.child.exitCode !== null) return Promise.resolve(running.child.exitCode);
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  return exited;
}

const tag = jaegerTag;

const AGENTS: ReadonlyArray<{ name: string; placement: TracePlacement }> = [
  { name: 'weather', placement: 'status-metadata' },
  { name: 'planner', placement: 'artifact-data-part' },
];

describe('A2A proxy sidecar with a real Jaeger v2', { timeout: 25 * 60_000 }, () => {
  let jaeger: RunningBackend;
  let queryUrl: string;
  const running = new Map<string, { agent: RunningAgent; proxy: ProxyProcess }>();

  before(async () => {
    jaeger = await startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']);
    queryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    const otlpUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`;
    for (const { name, placement } of AGENTS) {
      const agent = await startTestAgent({ name, placement });
      const proxy = await startProxyCommand(agent, name, otlpUrl);
      agent.setPublicUrl(proxy.proxyUrl);
      running.set(name, { agent, proxy });
    }
  });
  after(async () => {
    for (const { agent, proxy } of running.values()) {
      await stopProxyCommand(proxy);
      await agent.close();
    }
    await jaeger?.stop();
  });

  for (const { name, placement } of AGENTS) {
    for (const flavour of CLIENT_FLAVOURS) {
      it(`${flavour.name} message/send and message/stream to the ${placement} agent: both traces reach Jaeger through the proxy`, async () => {
        const { proxy } = running.get(name) as { agent: RunningAgent; proxy: ProxyProcess };
        const { client } = await createRecordingClient(proxy.proxyUrl, flavour);
        const text = `e2e-${flavour.protocolVersion}-${flavour.binding === 'JSONRPC' ? 'jsonrpc' : 'rest'}`;
        const sent = await client.sendMessage(userRequest(text));
        assert.ok('id' in sent, 'message/send answered with a Task');
        const streamed = await collectStream(client.sendMessageStream(userRequest(`${text}-stream`)));
        assert.equal(streamed.at(-1)?.payload?.$case, 'statusUpdate');

        for (const call of [text, `${text}-stream`]) {
          const a2aTraceId = agentTraceId(name, call);
          const stored = await eventually(async () => {
            const response = await fetch(`${proxy.collectorUrl}/api/traces/${encodeURIComponent(a2aTraceId)}`);
            return response.status === 200 ? ((await response.json()) as TraceDetail) : undefined;
          }, 5000, 50);
          assert.equal(stored.summary.stepCount, 3);

          const trace = await readJaegerTrace(queryUrl, stored.traceId, 3);
          assert.equal(trace.spans.length, 3);
          const byOperation = new Map(trace.spans.map((span) => [span.operationName, span]));
          const root = byOperation.get(`invoke_agent ${name}`);
          assert.ok(root !== undefined, `operations: ${[...byOperation.keys()].join(', ')}`);
          assert.equal(root.references.length, 0);
          for (const tool of ['execute_tool lookup', 'execute_tool llm_answer']) {
            const span = byOperation.get(tool);
            assert.equal(span?.references.find((reference) => reference.refType === 'CHILD_OF')?.spanID, root.spanID, `${tool} is a child of the agent step`);
          }
          assert.deepEqual([...new Set(trace.spans.map((span) => trace.processes[span.processID]?.serviceName))], [name]);
          assert.equal(tag(root, 'a2a.trace.id'), a2aTraceId);
          assert.equal(tag(root, 'a2a.step.cost'), 0.75);
          assert.equal(tag(byOperation.get('execute_tool lookup') as JaegerSpan, 'a2a.step.cost'), 0.25);
        }
      });
    }
  }

  it('counts what it proxied on the collector\'s /metrics, and stops cleanly on SIGTERM', async () => {
    for (const { proxy } of running.values()) {
      const metrics = await (await fetch(`${proxy.collectorUrl}/metrics`)).text();
      assert.match(metrics, /^a2a_proxy_requests_total\{outcome="traced"\} 8$/m);
      assert.match(metrics, /^a2a_proxy_traces_ingested_total 8$/m);
      assert.match(metrics, /^a2a_collector_exported_spans_total\{exporter="otlp\/jaeger"\} 24$/m);
      assert.equal(await stopProxyCommand(proxy), 0, proxy.stderr());
      assert.match(proxy.stderr(), /"msg":"proxy stopped"/);
    }
  });
});
