/**
 * End to end: a fleet of four real `@a2a-js/sdk` agents (host → researcher → fact-checker, and
 * host → writer), each behind its own real `proxy` sidecar with `accounting.sidecar_agents: ['*']`,
 * all exporting to one real Jaeger v2 and scraped by one real Prometheus. Every step is counted and
 * exported exactly once, by the sidecar of the agent that ran it, through a blocking conversation,
 * a polling one, and repeated `tasks/get`; the callers' AGENT spans link to the callee traces.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TaskState, type Task } from '@a2a-js/sdk';
import { stringify as stringifyYaml } from 'yaml';
import { TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';
import type { TraceDetail } from '../../src/store/trace-store.js';
import { createFleetClient, fleetRequest, startFleet, type FleetAgentSpec, type FleetMember, type RunningFleet } from '../helpers/a2a-fleet.js';
import { eventually, startBackend, type RunningBackend } from '../helpers/backends.js';
import { jaegerService, jaegerTag, type JaegerSpan, type JaegerTrace } from '../helpers/jaeger-api.js';
import { metricSamples } from '../helpers/metrics-text.js';

/**
 * The fleet. Own spend: host 0.25, researcher 0.5, writer 1.25, fact-checker 0.1 + 0.2 (run in
 * parallel, listed in completion order: 0.2 first, under a root that bills 0.3). Every caller's
 * AGENT step reports the callee's total and every root the sum of its children.
 */
const FLEET: readonly FleetAgentSpec[] = [
  { name: 'host', tools: [{ name: 'plan', cost: 0.25, millis: 5 }], callees: ['researcher', 'writer'] },
  { name: 'researcher', tools: [{ name: 'search', cost: 0.5, millis: 5 }], callees: ['fact-checker'] },
  { name: 'writer', tools: [{ name: 'draft', cost: 1.25, millis: 5 }] },
  {
    name: 'fact-checker',
    tools: [
      { name: 'check_claim_a', cost: 0.1, millis: 40 },
      { name: 'check_claim_b', cost: 0.2, millis: 5 },
    ],
    parallelTools: true,
  },
];

/** Spend of one conversation: 0.25 + 0.5 + 1.25 + 0.1 + 0.2. */
const SPEND = 2.3;
/** Steps of one conversation: host 4 (root, plan, two calls), researcher 3, writer 2, fact-checker 3. */
const STEPS = 12;
/** Each agent's own steps, as span names, sorted. */
const OWN_SPANS: Readonly<Record<string, readonly string[]>> = {
  host: ['execute_tool plan', 'invoke_agent host', 'invoke_agent researcher', 'invoke_agent writer'],
  researcher: ['execute_tool search', 'invoke_agent fact-checker', 'invoke_agent researcher'],
  writer: ['execute_tool draft', 'invoke_agent writer'],
  'fact-checker': ['execute_tool check_claim_a', 'execute_tool check_claim_b', 'invoke_agent fact-checker'],
};
/** Each agent's own exclusive spend in one conversation. */
const OWN_SPEND: Readonly<Record<string, number>> = { host: 0.25, researcher: 0.5, writer: 1.25, 'fact-checker': 0.3 };
/** OTel trace ids of the first conversation's traces: the first 16 bytes of SHA-256 of the A2A trace id. */
const FIRST_OTEL_TRACE_IDS: Readonly<Record<string, string>> = {
  'trace-host-1': 'f8739d8ccda3ee453cf6a4ef93013065',
  'trace-researcher-1': '4069e039c0d1d47e01f806f55b35bede',
  'trace-writer-1': 'dd66ab8795015a57b438d9bf6fc08d83',
  'trace-fact-checker-1': 'afffce413002149c9722f26f4bf95a70',
};
const TOLERANCE = 1e-9;

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromTarget {
  labels: Record<string, string>;
  health: string;
  lastScrape: string;
}
/** A reference as Jaeger's query API writes it: a parent (`CHILD_OF`) or a span link. */
interface JaegerReference {
  refType: string;
  traceID: string;
  spanID: string;
}

/** The part of a ResponseTrace these checks read. */
interface NestedTrace {
  trace_id: string;
  steps: Array<{ name: string; cost: number; step_action?: { agent_invocation?: { response_trace?: NestedTrace } } }>;
}

/** The trace of `callee` nested in `trace`'s AGENT step that called it. */
function nestedTrace(trace: NestedTrace, callee: string): NestedTrace {
  const nested = trace.steps.find((step) => step.name === callee)?.step_action?.agent_invocation?.response_trace;
  assert.ok(nested !== undefined, `${trace.trace_id} nests ${callee}'s trace`);
  return nested;
}

function assertClose(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= TOLERANCE, `${what}: ${actual}, expected ${expected}`);
}

describe('a fleet of sidecars counts every step exactly once', { timeout: 5 * 60_000 }, () => {
  let jaeger: RunningBackend | undefined;
  let prometheus: RunningBackend | undefined;
  let fleet: RunningFleet | undefined;
  let dir: string | undefined;
  let queryUrl: string;
  let prometheusUrl: string;
  let firstTaskId: string;

  const member = (name: string): FleetMember => fleet?.members.get(name) as FleetMember;

  async function query(promql: string): Promise<PromSample[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: PromSample[] } };
    assert.equal(body.status, 'success', `query ${promql}`);
    return body.data.result;
  }

  async function scalar(promql: string): Promise<number | undefined> {
    const result = await query(promql);
    assert.ok(result.length <= 1, `${promql} returned ${result.length} series`);
    return result[0] === undefined ? undefined : Number(result[0].value[1]);
  }

  /** `promql`'s samples keyed by the values of `labels`, joined with `/`. */
  async function byLabels(promql: string, labels: readonly string[]): Promise<Record<string, number>> {
    const result = await query(promql);
    return Object.fromEntries(result.map((sample) => [labels.map((label) => sample.metric[label] ?? '').join('/'), Number(sample.value[1])]));
  }

  /** Waits until Prometheus has scraped all four sidecars, each after `since` (epoch milliseconds). */
  async function scrapedAfter(since: number): Promise<void> {
    await eventually(async () => {
      const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
      const body = (await response.json()) as { data: { activeTargets: PromTarget[] } };
      const targets = body.data.activeTargets.filter((target) => target.labels['job'] === 'fleet');
      return targets.length === FLEET.length && targets.every((target) => target.health === 'up' && Date.parse(target.lastScrape) > since) ? true : undefined;
    }, 30_000, 200);
  }

  /** The trace `a2aTraceId` as the sidecar of `agent` stores it, once it has been ingested. */
  function storedTrace(agent: string, a2aTraceId: string): Promise<TraceDetail> {
    return eventually(async () => {
      const response = await fetch(`${member(agent).sidecar.collectorUrl}/api/traces/${encodeURIComponent(a2aTraceId)}`);
      return response.status === 200 ? ((await response.json()) as TraceDetail) : undefined;
    }, 10_000, 50);
  }

  async function sidecarMetric(agent: string, name: string): Promise<Record<string, number>> {
    return metricSamples(await (await fetch(`${member(agent).sidecar.collectorUrl}/metrics`)).text(), name);
  }

  /** Jaeger's trace `otelTraceId` once it holds `spans` spans; then checked to hold exactly that many. */
  async function jaegerTrace(otelTraceId: string, spans: number): Promise<JaegerTrace> {
    const trace = await eventually(async () => {
      const response = await fetch(`${queryUrl}/api/traces/${otelTraceId}`);
      if (response.status !== 200) return undefined;
      const found = ((await response.json()) as { data: JaegerTrace[] | null }).data?.[0];
      return found !== undefined && found.spans.length >= spans ? found : undefined;
    }, 15_000, 100);
    assert.equal(trace.spans.length, spans, `spans of ${otelTraceId}: ${trace.spans.map((span) => span.operationName).join(', ')}`);
    return trace;
  }

  function spanNamed(trace: JaegerTrace, operationName: string): JaegerSpan {
    const span = trace.spans.find((candidate) => candidate.operationName === operationName);
    assert.ok(span !== undefined, `${operationName} in ${trace.spans.map((candidate) => candidate.operationName).join(', ')}`);
    return span;
  }

  function references(span: JaegerSpan): JaegerReference[] {
    return span.references as unknown as JaegerReference[];
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'a2a-e2e-fleet-'));
    jaeger = await startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']);
    queryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    fleet = await startFleet(FLEET, ['*'], `http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`);

    const prometheusFile = join(dir, 'prometheus.yml');
    writeFileSync(
      prometheusFile,
      stringifyYaml({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [
          {
            job_name: 'fleet',
            // The collector port of each sidecar, not its proxy port.
            static_configs: FLEET.map(({ name }) => ({ targets: [new URL(member(name).sidecar.collectorUrl).host], labels: { sidecar: name } })),
          },
        ],
      }),
    );
    prometheus = await startBackend('prometheus.sh', ['PROMETHEUS_PORT'], { PROMETHEUS_CONFIG: prometheusFile });
    prometheusUrl = `http://127.0.0.1:${prometheus.ports['PROMETHEUS_PORT']}`;
  });

  after(async () => {
    await prometheus?.stop();
    await fleet?.stop();
    await jaeger?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('answers one message through the host sidecar; Prometheus sees 2.3 spent over 12 steps, each in its own sidecar', async () => {
    const { client, urls } = await createFleetClient(member('host').sidecar.proxyUrl);
    const answer = await client.sendMessage(fleetRequest('plan a trip'));
    assert.ok('id' in answer, 'message/send answered with a Task');
    assert.equal(answer.status?.state, TaskState.TASK_STATE_COMPLETED);
    assert.equal(answer.artifacts[0]?.parts[0]?.content?.$case === 'text' ? answer.artifacts[0].parts[0].content.value : undefined, 'answer from host');
    const hostTrace = answer.metadata?.[TRACEABILITY_METADATA_KEY] as NestedTrace;
    assert.equal(hostTrace.trace_id, 'trace-host-1');
    // The whole call tree travels back nested, children listed before their parents, the parallel
    // checks in completion order.
    const researcherTrace = nestedTrace(hostTrace, 'researcher');
    assert.deepEqual(hostTrace.steps.map((step) => step.name), ['plan', 'researcher', 'writer', 'host']);
    assert.deepEqual(researcherTrace.steps.map((step) => step.name), ['search', 'fact-checker', 'researcher']);
    assert.deepEqual(nestedTrace(hostTrace, 'writer').steps.map((step) => step.name), ['draft', 'writer']);
    assert.deepEqual(nestedTrace(researcherTrace, 'fact-checker').steps.map((step) => [step.name, step.cost]), [
      ['check_claim_b', 0.2],
      ['check_claim_a', 0.1],
      ['fact-checker', 0.3],
    ]);
    firstTaskId = answer.id;

    // Every call went through a sidecar: the SDK clients stayed on the rewritten cards' proxy URLs.
    const proxyOrigin = (name: string): string => new URL(member(name).sidecar.proxyUrl).origin;
    assert.deepEqual([...new Set(urls.map((url) => new URL(url).origin))], [proxyOrigin('host')]);
    assert.deepEqual([...new Set(member('host').agent.outboundUrls.map((url) => new URL(url).origin))], [proxyOrigin('researcher'), proxyOrigin('writer')]);
    assert.deepEqual([...new Set(member('researcher').agent.outboundUrls.map((url) => new URL(url).origin))], [proxyOrigin('fact-checker')]);
    for (const { name } of FLEET) {
      const { agent } = member(name);
      assert.deepEqual(agent.traceIds, [`trace-${name}-1`]);
      assert.equal(agent.rpcHeaders.length, 1, `${name} got one JSON-RPC call`);
      assert.match(String(agent.rpcHeaders[0]?.['via']), /a2a-trace-collector/, `${name} was called through its sidecar`);
    }

    // Each sidecar holds only its own agent's steps, under the deterministic trace id.
    for (const { name } of FLEET) {
      const stored = await storedTrace(name, `trace-${name}-1`);
      assert.equal(stored.traceId, FIRST_OTEL_TRACE_IDS[`trace-${name}-1`]);
      assert.equal(stored.summary.stepCount, OWN_SPANS[name]?.length, `steps stored by ${name}'s sidecar`);
      assertClose(stored.summary.totalCost, OWN_SPEND[name] ?? NaN, `cost stored by ${name}'s sidecar`);
      assert.deepEqual(Object.keys(stored.summary.costByAgent), [name]);
    }

    await scrapedAfter(Date.now());
    assert.deepEqual(await byLabels('up{job="fleet"}', ['sidecar']), { host: 1, researcher: 1, writer: 1, 'fact-checker': 1 });
    assertClose(await scalar('sum(a2a_cost_total)'), SPEND, 'sum(a2a_cost_total)');
    assert.equal(await scalar('sum(a2a_steps_total)'), STEPS);
    const costs = await byLabels('sum by (sidecar, agent) (a2a_cost_total)', ['sidecar', 'agent']);
    assert.deepEqual(Object.keys(costs).sort(), ['fact-checker/fact-checker', 'host/host', 'researcher/researcher', 'writer/writer']);
    for (const [agent, spend] of Object.entries(OWN_SPEND)) assertClose(costs[`${agent}/${agent}`], spend, `${agent}'s spend`);
    assert.deepEqual(await byLabels('sum by (sidecar, agent) (a2a_steps_total)', ['sidecar', 'agent']), {
      'host/host': 4,
      'researcher/researcher': 3,
      'writer/writer': 2,
      'fact-checker/fact-checker': 3,
    });
    assert.equal((await scalar('sum(a2a_collector_span_versions_total{outcome="unchanged"})')) ?? 0, 0);
    // Each trace observed once, by its own sidecar, with its own share only.
    assert.equal(await scalar('sum(a2a_trace_cost_count)'), 4);
    assertClose(await scalar('sum(a2a_trace_cost_sum)'), SPEND, 'sum(a2a_trace_cost_sum)');
  });

  it("holds each step once in Jaeger, one trace and one service per agent, the callers' AGENT spans linked to the callee roots", async () => {
    const traces = new Map<string, JaegerTrace>();
    for (const { name } of FLEET) {
      const a2aTraceId = `trace-${name}-1`;
      const own = OWN_SPANS[name] ?? [];
      const trace = await jaegerTrace(FIRST_OTEL_TRACE_IDS[a2aTraceId] ?? '', own.length);
      traces.set(name, trace);
      assert.deepEqual(trace.spans.map((span) => span.operationName).sort(), own);
      assert.deepEqual([...new Set(trace.spans.map((span) => jaegerService(trace, span)))], [name]);
      assert.deepEqual([...new Set(trace.spans.map((span) => jaegerTag(span, 'a2a.trace.id')))], [a2aTraceId]);
      const root = spanNamed(trace, `invoke_agent ${name}`);
      assert.deepEqual(root.references, []);
      for (const span of trace.spans.filter((candidate) => candidate !== root)) {
        assert.deepEqual(
          references(span).filter((reference) => reference.refType === 'CHILD_OF'),
          [{ refType: 'CHILD_OF', traceID: trace.traceID, spanID: root.spanID }],
          `${span.operationName} is a child of ${name}'s root`,
        );
      }
    }

    const calls: Array<[string, string]> = [
      ['host', 'researcher'],
      ['host', 'writer'],
      ['researcher', 'fact-checker'],
    ];
    for (const [caller, callee] of calls) {
      const span = spanNamed(traces.get(caller) as JaegerTrace, `invoke_agent ${callee}`);
      const calleeTrace = traces.get(callee) as JaegerTrace;
      const calleeRoot = spanNamed(calleeTrace, `invoke_agent ${callee}`);
      assert.equal(calleeTrace.traceID, FIRST_OTEL_TRACE_IDS[`trace-${callee}-1`]);
      assert.deepEqual(
        references(span).filter((reference) => reference.refType !== 'CHILD_OF'),
        [{ refType: 'FOLLOWS_FROM', traceID: calleeTrace.traceID, spanID: calleeRoot.spanID }],
        `${caller}'s call of ${callee} links to ${callee}'s root`,
      );
      assert.equal(jaegerTag(span, 'a2a.callee.linked'), true);
      assert.equal(jaegerTag(span, 'a2a.step.cost.exclusive'), 0);
    }
    // The leaves and the fact-checker's parallel tools keep their own costs; inclusive parents none.
    assert.equal(jaegerTag(spanNamed(traces.get('host') as JaegerTrace, 'invoke_agent researcher'), 'a2a.step.cost'), 0.8);
    assert.equal(jaegerTag(spanNamed(traces.get('host') as JaegerTrace, 'invoke_agent host'), 'a2a.step.cost'), 2.3);
    assert.equal(jaegerTag(spanNamed(traces.get('fact-checker') as JaegerTrace, 'invoke_agent fact-checker'), 'a2a.step.cost'), 0.3);
    assert.equal(jaegerTag(spanNamed(traces.get('fact-checker') as JaegerTrace, 'invoke_agent fact-checker'), 'a2a.step.cost.exclusive'), 0);
  });

  it('counts a polled conversation once, and three more tasks/get of the first task not at all', async () => {
    const { client: poller } = await createFleetClient(member('host').sidecar.proxyUrl, { polling: true });
    const submitted = await poller.sendMessage(fleetRequest('plan another trip'));
    assert.ok('id' in submitted, 'message/send answered with a Task');
    assert.notEqual(submitted.status?.state, TaskState.TASK_STATE_COMPLETED, 'a polling client gets the task before it is done');
    assert.equal(submitted.metadata?.[TRACEABILITY_METADATA_KEY], undefined);
    let polls = 0;
    const done = await eventually(async () => {
      polls += 1;
      const task = await poller.getTask({ tenant: '', id: submitted.id });
      return task.status?.state === TaskState.TASK_STATE_COMPLETED ? task : undefined;
    }, 20_000, 20);
    assert.ok(polls > 1, `polled ${polls} times`);
    assert.equal((done.metadata?.[TRACEABILITY_METADATA_KEY] as { trace_id?: unknown } | undefined)?.trace_id, 'trace-host-2');
    for (const { name } of FLEET) {
      assert.deepEqual(member(name).agent.traceIds, [`trace-${name}-1`, `trace-${name}-2`]);
      const stored = await storedTrace(name, `trace-${name}-2`);
      assert.equal(stored.summary.stepCount, OWN_SPANS[name]?.length);
    }

    const { client } = await createFleetClient(member('host').sidecar.proxyUrl);
    const again: Task[] = [];
    for (let i = 0; i < 3; i++) again.push(await client.getTask({ tenant: '', id: firstTaskId }));
    assert.deepEqual(
      again.map((task) => (task.metadata?.[TRACEABILITY_METADATA_KEY] as { trace_id?: unknown } | undefined)?.trace_id),
      ['trace-host-1', 'trace-host-1', 'trace-host-1'],
    );
    // Each tasks/get re-reads the host's 4 own spans (its callees' are linked, not mapped): 3 x 4.
    await eventually(async () => ((await sidecarMetric('host', 'a2a_collector_span_versions_total'))['{outcome="unchanged"}'] === 12 ? true : undefined), 10_000, 50);

    await scrapedAfter(Date.now());
    assertClose(await scalar('sum(a2a_cost_total)'), 2 * SPEND, 'sum(a2a_cost_total) after two conversations');
    assert.equal(await scalar('sum(a2a_steps_total)'), 2 * STEPS);
    assert.equal(await scalar('sum(a2a_collector_span_versions_total{outcome="unchanged"})'), 12);
    assert.equal((await byLabels('sum by (sidecar) (a2a_collector_span_versions_total{outcome="unchanged"})', ['sidecar']))['host'], 12);
    assert.equal((await scalar('sum(a2a_collector_span_versions_total{outcome="changed"})')) ?? 0, 0);
    assert.equal(await scalar('sum(a2a_trace_cost_count)'), 8);
    assertClose(await scalar('sum(a2a_trace_cost_sum)'), 2 * SPEND, 'sum(a2a_trace_cost_sum) after two conversations');
    assert.deepEqual(await byLabels('sum by (sidecar) (a2a_collector_span_versions_total{outcome="new"})', ['sidecar']), {
      host: 8,
      researcher: 6,
      writer: 4,
      'fact-checker': 6,
    });

    // Nothing was exported twice: two conversations' own spans per sidecar, and Jaeger's traces unchanged.
    const exported: Record<string, number | undefined> = {};
    for (const { name } of FLEET) exported[name] = (await sidecarMetric(name, 'a2a_collector_exported_spans_total'))['{exporter="otlp/jaeger"}'];
    assert.deepEqual(exported, { host: 8, researcher: 6, writer: 4, 'fact-checker': 6 });
    for (const { name } of FLEET) {
      await jaegerTrace(FIRST_OTEL_TRACE_IDS[`trace-${name}-1`] ?? '', OWN_SPANS[name]?.length ?? 0);
      const second = await storedTrace(name, `trace-${name}-2`);
      const trace = await jaegerTrace(second.traceId, OWN_SPANS[name]?.length ?? 0);
      assert.deepEqual(trace.spans.map((span) => span.operationName).sort(), OWN_SPANS[name]);
    }
  });

  it('stops every sidecar cleanly', async () => {
    const codes = await fleet?.stop();
    assert.deepEqual(Object.fromEntries(codes ?? []), { host: 0, researcher: 0, writer: 0, 'fact-checker': 0 });
  });
});
