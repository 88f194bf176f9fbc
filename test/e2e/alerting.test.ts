/**
 * @module End to end alerting through a real Prometheus and Alertmanager (started by
 * scripts/backends/prometheus.sh and alertmanager.sh): Prometheus scrapes the collector's /metrics
 * and evaluates the shipped alerts.yml unchanged, with budgets.yml overridden the documented way (a
 * copy with another number); Alertmanager, configured from the shipped example, delivers to a
 * webhook this test serves. The spend that crosses the budget comes from an agent that runs
 * OpenTelemetry (the OTel JS SDK exporting OTLP/HTTP), priced from its tokens by the shipped price
 * table: the shipped rules need no change for such agents. Everything listens on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { builtInExporterFactories } from '../../exporters/index.js';
import { Collector, type ListenAddress } from '../../src/collector.js';
import { loadConfig } from '../../src/config/load-config.js';
import { eventually, startBackend, type RunningBackend } from '../helpers/backends.js';
import { metricSamples } from '../helpers/metrics-text.js';

const RULES_DIR = fileURLToPath(new URL('../../exporters/prometheus/', import.meta.url));
const BUDGET_ALERT = 'A2ACostBudgetExceeded';
/** The hourly budget this test sets through its copy of budgets.yml, in USD. */
const BUDGET = 10;
/** Spend posted while the alert must stay quiet. Even with increase()'s extrapolation it stays under BUDGET. */
const SPEND_BELOW = 4;
/** Spend that takes the hour past BUDGET. */
const SPEND_CROSSING = 8;

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
}
/** Alertmanager's webhook payload (version 4). */
interface WebhookPayload {
  version: string;
  status: string;
  receiver: string;
  alerts: WebhookAlert[];
}
interface Delivery {
  path: string;
  payload: WebhookPayload;
}

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  state?: string;
  lastEvaluation: string;
  alerts?: Array<{ labels: Record<string, string>; state: string }>;
}
interface PromAlert {
  labels: Record<string, string>;
  state: string;
  value: string;
}

interface ScrapeConfig {
  job_name: string;
  static_configs: Array<{ targets: string[] }>;
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: ScrapeConfig[];
}
interface AlertmanagerRoute {
  receiver: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: AlertmanagerRoute[];
}
interface AlertmanagerConfig {
  route: AlertmanagerRoute;
  receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
}

/** Serves Alertmanager's webhook on 127.0.0.1 and keeps every delivery. */
async function startWebhook(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      deliveries.push({ path: request.url ?? '', payload: JSON.parse(body) as WebhookPayload });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, deliveries };
}

/** The shipped budgets.yml with its one USD budget replaced, as README.md tells users to do. */
function budgetsWith(budget: number): string {
  const shipped = readFileSync(join(RULES_DIR, 'budgets.yml'), 'utf8');
  assert.equal(shipped.match(/expr: vector\(100\)/g)?.length, 1, 'budgets.yml should hold exactly one default budget of 100');
  return shipped.replace('expr: vector(100)', `expr: vector(${budget})`);
}

/** alertmanager.example.yml with 1 s timings and its webhooks pointed at `webhookUrl/alerts/<receiver>`. */
function alertmanagerConfig(webhookUrl: string): string {
  const config = parseYaml(readFileSync(join(RULES_DIR, 'alertmanager.example.yml'), 'utf8')) as AlertmanagerConfig;
  const fast = (route: AlertmanagerRoute): void => {
    route.group_wait = '1s';
    route.group_interval = '1s';
    route.repeat_interval = '1h';
    for (const child of route.routes ?? []) fast(child);
  };
  fast(config.route);
  for (const receiver of config.receivers) for (const webhook of receiver.webhook_configs ?? []) webhook.url = `${webhookUrl}/alerts/${receiver.name}`;
  return stringifyYaml(config);
}

/** prometheus.example.yml scraping `collector` every second, with the shipped alerts and `budgetsFile`. */
function prometheusConfig(collector: ListenAddress, alertmanagerPort: number, budgetsFile: string): string {
  const config = parseYaml(readFileSync(join(RULES_DIR, 'prometheus.example.yml'), 'utf8')) as PrometheusConfig;
  config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
  assert.deepEqual(config.rule_files, ['alerts.yml', 'budgets.yml']);
  config.rule_files = [join(RULES_DIR, 'alerts.yml'), budgetsFile];
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }];
  const job = config.scrape_configs.find((scrape) => scrape.job_name === 'a2a-trace-collector');
  assert.ok(job, 'prometheus.example.yml should scrape the job a2a-trace-collector');
  job.static_configs = [{ targets: [`127.0.0.1:${collector.port}`] }];
  return stringifyYaml(config);
}

describe('cost budget alert through a real Prometheus and Alertmanager', { timeout: 10 * 60_000 }, () => {
  let dir: string;
  let collector: Collector;
  let address: ListenAddress;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let alertmanager: RunningBackend | undefined;
  let prometheus: RunningBackend | undefined;
  let prometheusUrl: string;
  let tracesPosted = 0;

  async function query(promql: string): Promise<PromSample[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: PromSample[] } };
    assert.equal(body.status, 'success', `query ${promql}`);
    return body.data.result;
  }

  /** The one sample `promql` returns, as a number, or undefined while there is none. */
  async function scalar(promql: string): Promise<number | undefined> {
    const result = await query(promql);
    assert.ok(result.length <= 1, `${promql} returned ${result.length} series`);
    return result[0] === undefined ? undefined : Number(result[0].value[1]);
  }

  async function budgetRule(): Promise<PromRule | undefined> {
    const response = await fetch(`${prometheusUrl}/api/v1/rules`);
    const body = (await response.json()) as { data: { groups: Array<{ rules: PromRule[] }> } };
    return body.data.groups.flatMap((group) => group.rules).find((rule) => rule.name === BUDGET_ALERT);
  }

  async function prometheusAlerts(): Promise<PromAlert[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
    const body = (await response.json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts;
  }

  /** The sum of `name`'s samples on the collector's own /metrics whose labels hold `label`. */
  async function collectorSum(name: string, label: string): Promise<number> {
    const samples = metricSamples(await (await fetch(`${address.url}/metrics`)).text(), name);
    return Object.entries(samples).reduce((sum, [labels, value]) => (labels.includes(label) ? sum + value : sum), 0);
  }

  /** Posts one single-step trace of agent `budget-agent` costing `cost` USD. */
  async function postCost(cost: number): Promise<void> {
    tracesPosted += 1;
    const now = Date.now();
    const response = await fetch(`${address.url}/v1/a2a/traces?service=budget-agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        trace_id: `budget-trace-${tracesPosted}`,
        steps: [
          {
            step_id: 'llm-call',
            parent_step_id: null,
            call_type: 'TOOL',
            name: 'llm_complete',
            cost,
            start_time: new Date(now - 500).toISOString(),
            end_time: new Date(now).toISOString(),
          },
        ],
      }),
    });
    assert.equal(response.status, 202);
  }

  const spendQuery = 'sum by (currency) (increase(a2a_cost_total{currency="USD"}[1h]))';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'a2a-e2e-alerting-'));
    webhook = await startWebhook();
    const config = await loadConfig({ env: {}, overrides: { server: { host: '127.0.0.1', port: 0 } } }, builtInExporterFactories);
    collector = new Collector(config, { processMetrics: false });
    address = await collector.start();

    const alertmanagerFile = join(dir, 'alertmanager.yml');
    writeFileSync(alertmanagerFile, alertmanagerConfig(webhook.url));
    alertmanager = await startBackend('alertmanager.sh', ['ALERTMANAGER_PORT'], { ALERTMANAGER_CONFIG: alertmanagerFile });

    const budgetsFile = join(dir, 'budgets.yml');
    writeFileSync(budgetsFile, budgetsWith(BUDGET));
    const prometheusFile = join(dir, 'prometheus.yml');
    writeFileSync(prometheusFile, prometheusConfig(address, alertmanager.ports['ALERTMANAGER_PORT'] ?? 0, budgetsFile));
    prometheus = await startBackend('prometheus.sh', ['PROMETHEUS_PORT'], { PROMETHEUS_CONFIG: prometheusFile });
    prometheusUrl = `http://127.0.0.1:${prometheus.ports['PROMETHEUS_PORT']}`;
  });

  after(async () => {
    for (const backend of [prometheus, alertmanager]) {
      await backend?.stop();
      if (backend !== undefined) rmSync(backend.runDir, { recursive: true, force: true });
    }
    await collector?.shutdown();
    await new Promise<void>((resolve) => (webhook === undefined ? resolve() : webhook.server.close(() => resolve())));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the collector and evaluates the shipped rules with the overridden budget', async () => {
    await eventually(async () => ((await scalar('up{job="a2a-trace-collector"}')) === 1 ? true : undefined), 60_000);
    const budget = await eventually(async () => {
      const result = await query('a2a:cost_budget:1h');
      return result.length > 0 ? result : undefined;
    }, 60_000);
    assert.deepEqual(
      budget.map((sample) => [sample.metric, Number(sample.value[1])]),
      [[{ __name__: 'a2a:cost_budget:1h', currency: 'USD' }, BUDGET]],
    );
    const rule = await eventually(budgetRule, 60_000);
    assert.equal(rule.type, 'alerting');
    assert.equal(rule.state, 'inactive');
  });

  it('stays quiet while the hour spend is under the budget', async () => {
    // The counter series is born with its first cost, and increase() counts only what comes after
    // the first sample: open it with a small cost and let Prometheus keep a few seconds of samples.
    await postCost(1);
    await eventually(async () => ((await scalar('count_over_time(a2a_cost_total{agent="budget-agent"}[1m])')) ?? 0) >= 5 ? true : undefined, 60_000);

    await postCost(SPEND_BELOW);
    const spend = await eventually(async () => {
      const value = await scalar(spendQuery);
      return value !== undefined && value >= SPEND_BELOW ? value : undefined;
    }, 60_000);
    assert.ok(spend < BUDGET, `Prometheus sees ${spend} USD spent, which should be under the budget of ${BUDGET}`);

    // Let the rule evaluate a few times on that spend before looking at its state.
    const seenAt = Date.now();
    await eventually(async () => {
      const rule = await budgetRule();
      return rule !== undefined && Date.parse(rule.lastEvaluation) > seenAt + 3000 ? rule : undefined;
    }, 60_000);
    const rule = await budgetRule();
    assert.equal(rule?.state, 'inactive');
    assert.deepEqual(rule?.alerts, []);
    assert.deepEqual((await prometheusAlerts()).filter((alert) => alert.labels['alertname'] === BUDGET_ALERT), []);
    assert.equal(await scalar(`ALERTS{alertname="${BUDGET_ALERT}"}`), undefined);
    assert.deepEqual(webhook.deliveries, []);
  });

  /**
   * An agent on the OTel JS SDK makes one `chat` call on gpt-4o that reports `outputTokens` output
   * tokens and no cost: the shipped price table prices them at 10 USD per million.
   */
  async function otelAgentSpends(outputTokens: number): Promise<void> {
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'otel-budget-agent' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${address.url}/v1/traces` }), { scheduledDelayMillis: 50 })],
    });
    const span = provider.getTracer('budget-test').startSpan('chat gpt-4o', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 0, 'gen_ai.usage.output_tokens': outputTokens },
    });
    span.end();
    await provider.shutdown();
  }

  it('delivers A2ACostBudgetExceeded to the on-call webhook once an OpenTelemetry agent\'s spend crosses the budget', async (t) => {
    // A first call makes the agent's series (increase() cannot see a series' first sample), scraped
    // before the spend that crosses: 1,000 tokens, 0.01 USD.
    await otelAgentSpends(1_000);
    await eventually(async () => ((await scalar('count_over_time(a2a_cost_total{agent="otel-budget-agent"}[1m])')) ?? 0) >= 2 ? true : undefined, 60_000);
    const crossedAt = Date.now();
    // 800,000 output tokens at 10 USD per million: SPEND_CROSSING.
    await otelAgentSpends(800_000);
    assert.equal(await collectorSum('a2a_cost_total', 'agent="otel-budget-agent"'), SPEND_CROSSING + 0.01);

    const delivery = await eventually(
      () => Promise.resolve(webhook.deliveries.find((d) => d.payload.alerts.some((alert) => alert.labels['alertname'] === BUDGET_ALERT))),
      60_000,
      200,
    );
    const deliveredAfterMillis = Date.now() - crossedAt;

    // severity=critical is routed to the on-call receiver of alertmanager.example.yml.
    assert.equal(delivery.path, '/alerts/oncall');
    assert.equal(delivery.payload.version, '4');
    assert.equal(delivery.payload.receiver, 'oncall');
    assert.equal(delivery.payload.status, 'firing');
    assert.equal(delivery.payload.alerts.length, 1);
    const alert = delivery.payload.alerts[0] as WebhookAlert;
    assert.equal(alert.status, 'firing');
    assert.deepEqual(alert.labels, { alertname: BUDGET_ALERT, currency: 'USD', severity: 'critical' });
    assert.ok(Date.parse(alert.startsAt) >= crossedAt - 1000, `alert started at ${alert.startsAt}, before the budget was crossed at ${new Date(crossedAt).toISOString()}`);

    const spent = /^A2A agents spent (\d+\.\d\d) USD in the last hour, over budget$/.exec(alert.annotations['summary'] ?? '');
    assert.ok(spent, `summary: ${alert.annotations['summary']}`);
    const spentValue = Number(spent[1]);
    // Prometheus sees the spend after each counter's first sample (SPEND_BELOW + SPEND_CROSSING = 12,
    // and 0.01), extrapolated: increase() stretches a series' samples towards the window's start by
    // up to 1.1 scrape intervals, which at most doubles the young OTel agent series (two or three
    // samples old), and adds a third at most to the older one.
    assert.ok(spentValue > BUDGET && spentValue >= SPEND_BELOW + SPEND_CROSSING, `spent ${spentValue}`);
    assert.ok(spentValue < SPEND_BELOW * 1.3 + (SPEND_CROSSING + 0.01) * 2.2, `spent ${spentValue}`);
    assert.ok((alert.annotations['description'] ?? '').endsWith(`the budget (a2a:cost_budget:1h) is ${BUDGET.toFixed(2)} USD.`), alert.annotations['description']);
    assert.match(alert.annotations['runbook'] ?? '', /increase\(a2a_cost_total\{currency="USD"\}\[1h\]\)/);

    // Only the budget alert reached any receiver: the rest of the shipped rules stayed quiet.
    assert.deepEqual([...new Set(webhook.deliveries.flatMap((d) => d.payload.alerts.map((a) => a.labels['alertname'])))], [BUDGET_ALERT]);
    const firing = (await prometheusAlerts()).filter((a) => a.labels['alertname'] === BUDGET_ALERT);
    assert.deepEqual(
      firing.map((a) => a.state),
      ['firing'],
    );
    t.diagnostic(`budget alert delivered ${deliveredAfterMillis} ms after the crossing trace was posted`);
  });
});
