/**
 * End to end: a backend that is slow, that answers 503 with `Retry-After`, or that is away long
 * enough for the spool to fill. The `serve` command runs as a child process and exports OTLP
 * (protobuf) through a fault proxy (test/helpers/fault-proxy.ts) to a real Jaeger v2
 * (scripts/backends/jaeger.sh). Each case has a collector and a spool of its own.
 *
 * What is checked: every span posted and answered 202 is in Jaeger exactly once (query API), and
 * reached it on the wire once, except where the collector could not know it had (an answer that
 * came after its timeout); the spacing of a retry after `Retry-After`, as the proxy measured it;
 * and the collector's self-metrics: each failed attempt counted, every span exported, none dropped.
 * Nothing here asserts throughput or speed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, startBackend, type RunningBackend } from '../helpers/backends.js';
import { killHard, scrapeMetric, startServe, type ServeProcess } from '../helpers/cli-process.js';
import { otlpBodyHoldsId, startFaultProxy, type FaultProxy, type ProxiedRequest } from '../helpers/fault-proxy.js';
import { numberedTraces, range } from '../helpers/numbered-traces.js';

/** Step times of every trace: a minute before the test, so Jaeger's search window holds them. */
const BASE_MILLIS = Date.now() - 60_000;
const { traceId, stepIds, traceBody } = numberedTraces('fa017000', 'c', BASE_MILLIS);
const OTLP = '{exporter="otlp"}';

/** The spans of trace `n` that are nobody's parent, whose ids in a request body mean the span itself was sent. */
const leafIds = (n: number): string[] => stepIds(n).slice(1);
const pause = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

/** An ingest answer: status, `Retry-After`, and the error code when there is one. */
interface IngestAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly code: string | undefined;
}

describe('backend faults, with the real CLI, a fault proxy and a real Jaeger v2', { timeout: 180_000 }, () => {
  let jaeger: RunningBackend;
  let proxy: FaultProxy;
  let queryUrl: string;
  const temporary = mkdtempSync(join(tmpdir(), 'a2a-backend-faults-'));
  let serving: ServeProcess | undefined;

  before(async () => {
    jaeger = await startBackend('jaeger.sh', ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT']);
    queryUrl = `http://127.0.0.1:${jaeger.ports['JAEGER_QUERY_PORT']}`;
    proxy = await startFaultProxy(`http://127.0.0.1:${jaeger.ports['JAEGER_OTLP_HTTP_PORT']}`);
  });
  after(async () => {
    if (serving !== undefined) await killHard(serving);
    await proxy?.close();
    await jaeger?.stop();
    rmSync(temporary, { recursive: true, force: true });
  });

  /**
   * Starts a collector (spool `name`) exporting to the proxy, with short retry intervals (so that a
   * wait of a second can only come from `Retry-After`) and retries until shutdown (README: nothing
   * accepted is dropped during an outage). `exporterLines` and `spoolLines` are more YAML for those
   * sections, indented as they go.
   */
  async function startCollector(name: string, exporterLines: readonly string[] = [], spoolLines: readonly string[] = []): Promise<ServeProcess> {
    const file = join(temporary, `collector-${name}.yaml`);
    writeFileSync(
      file,
      [
        'server:',
        '  port: 0',
        'service:',
        '  name: backend-faults',
        'spool:',
        `  directory: ${join(temporary, `spool-${name}`)}`,
        ...spoolLines,
        'exporters:',
        '  otlp:',
        `    endpoint: ${proxy.url}`,
        '    retry_on_failure:',
        '      initial_interval_millis: 50',
        '      max_interval_millis: 100',
        '      max_elapsed_time_millis: 0',
        '    batch:',
        '      scheduled_delay_millis: 50',
        '      max_export_batch_size: 12',
        ...exporterLines,
        '',
      ].join('\n'),
    );
    serving = await startServe(file);
    return serving;
  }

  async function stopCollector(): Promise<void> {
    const running = serving;
    serving = undefined;
    if (running !== undefined) await killHard(running);
  }

  async function post(collector: ServeProcess, n: number, service: string): Promise<IngestAnswer> {
    const response = await fetch(`${collector.url}/v1/a2a/traces?service=${service}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: traceBody(n) });
    const body = (await response.json()) as { error?: { code?: string } };
    return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.error?.code };
  }

  /** Posts traces `ns` over four connections at a time; resolves with each one's status. */
  async function postAll(collector: ServeProcess, ns: readonly number[], service: string): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    const queue = [...ns];
    const worker = async (): Promise<void> => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) statuses.set(n, (await post(collector, n, service)).status);
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return statuses;
  }

  const otlpMetric = async (collector: ServeProcess, name: string): Promise<number> => (await scrapeMetric(collector.url, name))[OTLP] ?? 0;

  /** Waits until Jaeger holds every trace of `ns` with at least its 3 spans; then returns each one's span ids (sorted, duplicates kept). */
  async function jaegerSpanIds(ns: readonly number[]): Promise<Map<number, string[]>> {
    const read = async (): Promise<Map<number, string[]>> => {
      const found = new Map<number, string[]>();
      for (const n of ns) {
        const response = await fetch(`${queryUrl}/api/traces/${traceId(n)}`);
        if (response.status !== 200) {
          await response.body?.cancel();
          continue;
        }
        const body = (await response.json()) as { data: Array<{ spans: Array<{ spanID: string }> }> | null };
        const spans = body.data?.[0]?.spans;
        if (spans !== undefined) found.set(n, spans.map((span) => span.spanID).sort());
      }
      return found;
    };
    await eventually(async () => {
      const found = await read();
      return found.size === ns.length && [...found.values()].every((ids) => ids.length >= 3) ? true : undefined;
    }, 20_000);
    return read();
  }

  const expectedSpanIds = (ns: readonly number[]): Map<number, string[]> => new Map(ns.map((n) => [n, [...stepIds(n)].sort()]));

  /** The trace ids Jaeger's search finds for `service`, sorted. */
  async function jaegerTraceIdsOf(service: string): Promise<string[]> {
    const micros = (millis: number): number => millis * 1000;
    const url = `${queryUrl}/api/traces?service=${service}&limit=10000&start=${micros(BASE_MILLIS - 3_600_000)}&end=${micros(Date.now() + 3_600_000)}`;
    const body = (await (await fetch(url)).json()) as { data: Array<{ traceID: string }> | null };
    return (body.data ?? []).map((trace) => trace.traceID).sort();
  }

  /** For each leaf span of `ns`, how many of `requests` brought it to Jaeger; only leaves whose count differs from `expected` are listed. */
  function forwardCountsOtherThan(requests: readonly ProxiedRequest[], ns: readonly number[], expected: number): Record<string, number> {
    const odd: Record<string, number> = {};
    for (const id of ns.flatMap(leafIds)) {
      const count = requests.filter((request) => request.forwarded && otlpBodyHoldsId(request.body, id)).length;
      if (count !== expected) odd[id] = count;
    }
    return odd;
  }

  it('a slow backend: ingest keeps answering 202, every span reaches Jaeger once, no attempt fails', async () => {
    const service = 'faults-slow';
    const traces = range(1, 40);
    const first = proxy.requests.length;
    proxy.setPlan({ holdResponseMillis: 400 });
    const collector = await startCollector('slow', ['    timeout_millis: 5000']);
    const statuses = await postAll(collector, traces, service);
    assert.deepEqual([...new Set(statuses.values())], [202]);

    assert.deepEqual(await jaegerSpanIds(traces), expectedSpanIds(traces));
    assert.deepEqual(await jaegerTraceIdsOf(service), traces.map(traceId).sort());
    await eventually(async () => ((await otlpMetric(collector, 'a2a_collector_exported_spans_total')) === 120 ? true : undefined), 10_000);
    const mine = proxy.requests.slice(first);
    // The backend was slow for every export, and no answer came past the exporter's 5 s timeout.
    assert.ok(mine.length > 0);
    assert.deepEqual(mine.filter((request) => request.status !== 200 || (request.answeredAtMillis as number) - request.arrivedAtMillis < 400), []);
    assert.deepEqual(forwardCountsOtherThan(mine, traces, 1), {});
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_export_failures_total'), {});
    assert.equal(await otlpMetric(collector, 'a2a_collector_exported_spans_total'), 120);
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_dropped_spans_total'), {});
    await stopCollector();
  });

  it('a backend slower than the timeout: each late answer is one failed attempt, retried; Jaeger holds every span once', async () => {
    const service = 'faults-timeout';
    const traces = range(101, 110);
    const first = proxy.requests.length;
    // The first two exports get their answer 1.5 s late, past the exporter's 500 ms timeout; Jaeger stores them all the same.
    proxy.setPlan({ holdResponseMillis: 1_500, heldRequests: 2 });
    const collector = await startCollector('timeout', ['    timeout_millis: 500']);
    for (const n of traces) assert.equal((await post(collector, n, service)).status, 202, `trace ${n}`);

    assert.deepEqual(await jaegerSpanIds(traces), expectedSpanIds(traces));
    await eventually(async () => ((await otlpMetric(collector, 'a2a_collector_exported_spans_total')) === 30 ? true : undefined), 15_000);
    await proxy.until('end of the held answers', (requests) => requests.slice(first).every((request) => request.state === 'answered' || request.state === 'abandoned'));
    const mine = proxy.requests.slice(first);
    const late = mine.filter((request) => request.state === 'abandoned');
    assert.deepEqual(
      late.map((request) => [request.index - first, request.forwarded]),
      [
        [0, true],
        [1, true],
      ],
      'the collector gave up on the first two requests, which Jaeger had stored',
    );
    // Sent more than once on the wire: exactly the spans of those two requests (each then retried); Jaeger shows each once.
    const sentAgain = Object.keys(forwardCountsOtherThan(mine, traces, 1)).sort();
    const inLate = traces.flatMap(leafIds).filter((id) => late.some((request) => otlpBodyHoldsId(request.body, id)));
    assert.notDeepEqual(inLate, []);
    assert.deepEqual(sentAgain, inLate.sort());
    assert.deepEqual(await jaegerTraceIdsOf(service), traces.map(traceId).sort());
    assert.equal(await otlpMetric(collector, 'a2a_collector_export_failures_total'), 2);
    assert.equal(await otlpMetric(collector, 'a2a_collector_exported_spans_total'), 30);
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_dropped_spans_total'), {});
    await stopCollector();
  });

  it('503 with Retry-After: 1: the retry comes no sooner than a second later, each span reaches Jaeger once, the failures are counted', async (t) => {
    const service = 'faults-retry-after';
    const traces = range(201, 210);
    const first = proxy.requests.length;
    proxy.setPlan({ unavailableRequests: 2, retryAfterSeconds: 1 });
    const collector = await startCollector('retry-after');
    for (const n of traces) assert.equal((await post(collector, n, service)).status, 202, `trace ${n}`);

    assert.deepEqual(await jaegerSpanIds(traces), expectedSpanIds(traces));
    assert.deepEqual(await jaegerTraceIdsOf(service), traces.map(traceId).sort());
    await eventually(async () => ((await otlpMetric(collector, 'a2a_collector_exported_spans_total')) === 30 ? true : undefined), 10_000);
    const mine = proxy.requests.slice(first);
    const refused = mine.filter((request) => request.status === 503);
    assert.deepEqual(
      refused.map((request) => [request.index - first, request.forwarded]),
      [
        [0, false],
        [1, false],
      ],
    );
    // A retry sends the same spans, so the same bytes: the next request with a refused one's body is its retry.
    const spacings = refused.map((request) => {
      const retry = mine.find((later) => later.index > request.index && later.body.equals(request.body));
      assert.ok(retry !== undefined, `request ${request.index - first} was retried`);
      return retry.arrivedAtMillis - (request.answeredAtMillis as number);
    });
    t.diagnostic(`from each 503 to its retry: ${spacings.map((millis) => `${Math.round(millis)} ms`).join(', ')} (backoff alone: 25 to 150 ms)`);
    // A timer may fire up to a millisecond early; the backoff alone would have waited at most 150 ms.
    for (const millis of spacings) assert.ok(millis >= 999, `retried ${millis} ms after a 503 with Retry-After: 1`);
    assert.deepEqual(forwardCountsOtherThan(mine, traces, 1), {});
    assert.equal(await otlpMetric(collector, 'a2a_collector_export_failures_total'), 2);
    assert.equal(await otlpMetric(collector, 'a2a_collector_exported_spans_total'), 30);
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_dropped_spans_total'), {});
    await stopCollector();
  });

  it('a full spool: ingest answers 503 A2A_ERR_SPOOL_FULL with Retry-After, and nothing accepted is lost once the backend is back', async (t) => {
    const service = 'faults-spool-full';
    const first = proxy.requests.length;
    // The backend is away; every export attempt gets 503.
    proxy.setPlan({ unavailableRequests: Number.POSITIVE_INFINITY });
    // A record of one trace is about 1.4 KB: the spool holds several, all in its one (default, 16 MiB) segment.
    const maxBytes = 16 * 1024;
    const collector = await startCollector('full', [], [`  max_bytes: ${maxBytes}`]);
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_spool_capacity_bytes'), { '': maxBytes });

    const accepted: number[] = [];
    const refusals: IngestAnswer[] = [];
    for (let n = 301; refusals.length < 3; n++) {
      assert.ok(n < 400, 'the spool filled up');
      const answer = await post(collector, n, service);
      if (answer.status === 202 && refusals.length === 0) accepted.push(n);
      else refusals.push(answer);
    }
    const refused = range(accepted.length + 301, accepted.length + 303);
    t.diagnostic(`accepted ${accepted.length} traces before the spool was full`);
    assert.ok(accepted.length >= 3, `accepted ${accepted.length} traces`);
    // Once full it stays full while the backend is away: every later request is refused the same way.
    for (const answer of refusals) {
      assert.equal(answer.status, 503);
      assert.equal(answer.code, 'A2A_ERR_SPOOL_FULL');
      assert.match(answer.retryAfter ?? '', /^[1-9]\d*$/);
    }
    const spoolBytes = (await scrapeMetric(collector.url, 'a2a_collector_spool_bytes'))[''] ?? 0;
    assert.ok(spoolBytes > maxBytes / 2 && spoolBytes <= maxBytes, `spool bytes ${spoolBytes}`);
    const rejected = await scrapeMetric(collector.url, 'a2a_collector_rejected_requests_total');
    assert.equal(rejected['{reason="spool_full"}'], 3);
    assert.equal(
      Object.values(rejected).reduce((sum, count) => sum + count, 0),
      3,
    );
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_dropped_spans_total'), {});

    // The backend is back: what was accepted is delivered, the spool empties, and the refused traces are taken when sent again.
    proxy.setPlan({});
    assert.deepEqual(await jaegerSpanIds(accepted), expectedSpanIds(accepted));
    for (const n of refused) {
      await eventually(async () => {
        const answer = await post(collector, n, service);
        if (answer.status === 202) return true;
        assert.equal(answer.code, 'A2A_ERR_SPOOL_FULL');
        await pause(100);
        return undefined;
      }, 20_000);
    }
    const all = [...accepted, ...refused];
    assert.deepEqual(await jaegerSpanIds(all), expectedSpanIds(all));
    assert.deepEqual(await jaegerTraceIdsOf(service), all.map(traceId).sort());
    await eventually(async () => ((await otlpMetric(collector, 'a2a_collector_exported_spans_total')) === 3 * all.length ? true : undefined), 10_000);
    const mine = proxy.requests.slice(first);
    // A refused export never reached Jaeger; every leaf span reached it once.
    assert.deepEqual(forwardCountsOtherThan(mine, all, 1), {});
    const proxy503s = mine.filter((request) => request.status === 503).length;
    assert.ok(proxy503s > 0);
    assert.equal(await otlpMetric(collector, 'a2a_collector_export_failures_total'), proxy503s);
    assert.equal(await otlpMetric(collector, 'a2a_collector_exported_spans_total'), 3 * all.length);
    assert.deepEqual(await scrapeMetric(collector.url, 'a2a_collector_dropped_spans_total'), {});
    await stopCollector();
  });
});
