/**
 * End to end: the durable spool through real crashes. The `serve` command runs as a child process
 * exporting OTLP to a real Jaeger v2 (scripts/backends/jaeger.sh, on ports picked up front so that
 * the exporter can point at a Jaeger that is not running yet), and is `kill -9`ed at different
 * moments: right after 202s, at a random 202 among requests in flight, at a random instant of a
 * burst, while it replays, inside an export (through test/helpers/fault-proxy.ts: once before
 * Jaeger got the batch, once after Jaeger stored it but before the collector heard so), and after
 * its spool file was torn and corrupted by hand. It is also stopped with SIGTERM while Jaeger is
 * down, once with Jaeger coming back during the drain and once not. Every case has a spool
 * directory of its own.
 *
 * A request counts as accepted only when it was answered 202; one whose connection died is sent
 * again after the restart, as a client would (its ids are deterministic, so a copy the spool
 * already holds is not exported a second time). Jaeger's query API must then hold exactly the
 * accepted traces, each with its 3 span ids once; Jaeger shows a span sent twice with the same
 * content once, so the exporter's own count (`a2a_collector_exported_spans_total`) is checked as
 * well. The kill moments come from a seeded generator: set A2A_CRASH_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { runScript } from '../helpers/backends.js';
import { otlpBodyHoldsId, startFaultProxy, type ProxiedRequest, type ProxiedRequestState } from '../helpers/fault-proxy.js';
import { killHard, logLines, postHalfBody, postOnOwnConnection, reserveRestartablePort, scrapeMetric, startServe, stopWithSignal, type PostOutcome, type ServeProcess } from '../helpers/cli-process.js';
import { numberedTraces, range } from '../helpers/numbered-traces.js';

const JAEGER_PORT_VARIABLES = ['JAEGER_OTLP_GRPC_PORT', 'JAEGER_OTLP_HTTP_PORT', 'JAEGER_QUERY_PORT', 'JAEGER_QUERY_GRPC_PORT'] as const;
/** Step times of every trace: a minute before the test, so Jaeger's search window holds them. */
const BASE_MILLIS = Date.now() - 60_000;
const { traceId, stepIds, traceBody } = numberedTraces('a2a5c0de', 'b', BASE_MILLIS);
const OTLP = '{exporter="otlp"}';

const SEED = Number(process.env['A2A_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** mulberry32: a small seeded generator, so that a failing run's kill moments can be replayed. */
const random = ((seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
})(SEED);
/** An integer in [min, max], from the seeded generator. */
const randomInt = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const pause = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));
const expectedSpanIds = (ns: readonly number[]): Map<number, string[]> => new Map(ns.map((n) => [n, [...stepIds(n)].sort()]));
const sortedTraceIds = (ns: Iterable<number>): string[] => [...ns].map(traceId).sort();
const sorted = (ns: Iterable<number>): number[] => [...ns].sort((a, b) => a - b);

/** Polls `probe` until `done` says so or `timeoutMillis` passes; returns the last value either way, for a literal assertion. */
async function settle<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMillis = 20_000, intervalMillis = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMillis;
  let value: T | undefined;
  for (;;) {
    try {
      value = await probe();
      if (done(value)) return value;
    } catch {
      // The process or backend is not answering yet.
    }
    if (Date.now() > deadline) return value;
    await pause(intervalMillis);
  }
}

/**
 * One collector port and one Jaeger (started and stopped on the same ports, empty after each start:
 * it stores in memory), a temporary directory for spools and configs, and the collector process.
 */
class CrashBench {
  private jaegerRunDir: string | undefined;
  private jaegerStarts = 0;
  private serving: ServeProcess | undefined;

  private constructor(
    private readonly temporary: string,
    private readonly collectorPort: number,
    private readonly jaegerEnv: Readonly<Record<string, string>>,
  ) {}

  static async create(): Promise<CrashBench> {
    const collectorPort = await reserveRestartablePort();
    const jaegerEnv: Record<string, string> = {};
    for (const name of JAEGER_PORT_VARIABLES) jaegerEnv[name] = String(await reserveRestartablePort());
    return new CrashBench(mkdtempSync(join(tmpdir(), 'a2a-spool-crash-')), collectorPort, jaegerEnv);
  }

  get collectorUrl(): string {
    return `http://127.0.0.1:${this.collectorPort}`;
  }

  get queryUrl(): string {
    return `http://127.0.0.1:${this.jaegerEnv['JAEGER_QUERY_PORT']}`;
  }

  /** The serve process now running (the tests send it signals). */
  get running(): ServeProcess {
    assert.ok(this.serving !== undefined, 'a collector is running');
    return this.serving;
  }

  spoolDirectory(name: string): string {
    return join(this.temporary, `spool-${name}`);
  }

  /** Jaeger's OTLP/HTTP base URL (nothing answers there while Jaeger is stopped). */
  get otlpUrl(): string {
    return `http://127.0.0.1:${this.jaegerEnv['JAEGER_OTLP_HTTP_PORT']}`;
  }

  /** Writes the config of a collector with spool `name`, exporting to `endpoint` (default this bench's Jaeger); returns its path. */
  writeConfig(name: string, endpoint = this.otlpUrl): string {
    const file = join(this.temporary, `collector-${name}.yaml`);
    writeFileSync(
      file,
      [
        'server:',
        `  port: ${this.collectorPort}`,
        'service:',
        '  name: spool-crash',
        'spool:',
        `  directory: ${this.spoolDirectory(name)}`,
        'exporters:',
        '  otlp:',
        // Jaeger may not be running yet: it is started later on this very port.
        `    endpoint: ${endpoint}`,
        '    retry_on_failure:',
        '      initial_interval_millis: 50',
        '      max_interval_millis: 200',
        // README: 0 retries until shutdown, so an outage is ridden out and nothing accepted is dropped.
        '      max_elapsed_time_millis: 0',
        '    batch:',
        '      scheduled_delay_millis: 50',
        // Small batches, so that a kill while spans flow falls among many exports.
        '      max_export_batch_size: 6',
        '',
      ].join('\n'),
    );
    return file;
  }

  async start(configFile: string): Promise<ServeProcess> {
    assert.ok(this.serving === undefined, 'the previous collector was stopped');
    this.serving = await startServe(configFile);
    assert.equal(this.serving.url, this.collectorUrl);
    return this.serving;
  }

  /** `kill -9` of the running collector, if any. */
  async crash(): Promise<void> {
    const serving = this.serving;
    this.serving = undefined;
    if (serving !== undefined) await killHard(serving);
  }

  /** The collector ended on its own (a signal the test sent); forget it. */
  forget(): void {
    this.serving = undefined;
  }

  async startJaeger(): Promise<void> {
    if (this.jaegerRunDir !== undefined) return;
    const runDir = join(this.temporary, `jaeger-${++this.jaegerStarts}`);
    await runScript('jaeger.sh', ['start', runDir], this.jaegerEnv);
    this.jaegerRunDir = runDir;
  }

  async stopJaeger(): Promise<void> {
    const runDir = this.jaegerRunDir;
    if (runDir === undefined) return;
    this.jaegerRunDir = undefined;
    await runScript('jaeger.sh', ['stop', runDir], this.jaegerEnv, 60_000);
  }

  post(n: number, service: string): Promise<PostOutcome> {
    return postOnOwnConnection(`${this.collectorUrl}/v1/a2a/traces?service=${service}`, traceBody(n));
  }

  metric(name: string): Promise<Record<string, number>> {
    return scrapeMetric(this.collectorUrl, name);
  }

  /** The otlp exporter's sample of `name` (0 when the series does not exist yet). */
  async otlpMetric(name: string): Promise<number> {
    return (await this.metric(name))[OTLP] ?? 0;
  }

  /** The exporter's self-metrics in one line, for a diagnostic. */
  async exporterSummary(): Promise<string> {
    const names = ['exported_spans_total', 'export_failures_total', 'dropped_spans_total', 'spool_replayed_spans_total', 'spool_backlog_spans', 'queue_bytes'];
    const parts = await Promise.all(names.map(async (name) => `${name} ${JSON.stringify(await this.metric(`a2a_collector_${name}`))}`));
    return parts.join(', ');
  }

  /** Span ids per trace as Jaeger holds them (sorted, duplicates kept); absent traces are left out. */
  async jaegerSpanIds(ns: readonly number[]): Promise<Map<number, string[]>> {
    const found = new Map<number, string[]>();
    for (const n of ns) {
      const response = await fetch(`${this.queryUrl}/api/traces/${traceId(n)}`);
      if (response.status === 404) {
        await response.body?.cancel();
        continue;
      }
      assert.equal(response.status, 200);
      const body = (await response.json()) as { data: Array<{ traceID: string; spans: Array<{ spanID: string }> }> | null };
      const trace = body.data?.[0];
      if (trace === undefined) continue;
      assert.equal(trace.traceID, traceId(n));
      found.set(n, trace.spans.map((span) => span.spanID).sort());
    }
    return found;
  }

  /** Waits until Jaeger holds every trace of `ns` with at least its 3 spans; returns what it then holds. */
  async jaegerOnceComplete(ns: readonly number[], timeoutMillis = 20_000): Promise<Map<number, string[]>> {
    await settle(() => this.jaegerSpanIds(ns), (found) => found.size === ns.length && [...found.values()].every((ids) => ids.length >= 3), timeoutMillis, 200);
    return this.jaegerSpanIds(ns);
  }

  /** The trace ids Jaeger's search finds for `service`, sorted. */
  async jaegerTraceIdsOf(service: string): Promise<string[]> {
    const micros = (millis: number): number => millis * 1000;
    const url = `${this.queryUrl}/api/traces?service=${service}&limit=10000&start=${micros(BASE_MILLIS - 3_600_000)}&end=${micros(Date.now() + 3_600_000)}`;
    const body = (await (await fetch(url)).json()) as { data: Array<{ traceID: string }> | null };
    return (body.data ?? []).map((trace) => trace.traceID).sort();
  }

  async close(): Promise<void> {
    await this.crash();
    await this.stopJaeger();
    rmSync(this.temporary, { recursive: true, force: true });
  }
}

// The two suites run side by side (the second mostly waits out a 30 s drain); the cases of each run
// one after the other, since they share one collector port and one Jaeger.
describe('the spool through kill -9 and SIGTERM, with the real CLI and a real Jaeger v2', { concurrency: 2, timeout: 240_000 }, () => {
  describe('kill -9 at many moments, damaged files, and a drain that delivers', { concurrency: 1 }, () => {
    let bench: CrashBench;
    before(async () => {
      bench = await CrashBench.create();
    });
    // A case that failed half-way leaves no collector behind for the next one.
    afterEach(async () => {
      await bench?.crash();
    });
    after(async () => {
      await bench?.close();
    });

    it('keeps every trace answered 202 through kill -9 rounds while Jaeger is down; Jaeger then gets each exactly once', async (t) => {
      t.diagnostic(`A2A_CRASH_SEED=${SEED}`);
      const service = 'spool-crash-kill';
      const config = bench.writeConfig('kill');
      const accepted = new Set<number>();
      /** Sent, but the connection died before an answer: sent again after the restart. */
      const unanswered = new Set<number>();
      const classify = (n: number, outcome: PostOutcome): void => {
        assert.ok(outcome === 202 || outcome === 'died', `trace ${n}: ${outcome}`);
        if (outcome === 202) {
          accepted.add(n);
          unanswered.delete(n);
        } else unanswered.add(n);
      };
      const resent: number[] = [];
      const resendUnanswered = async (): Promise<void> => {
        for (const n of sorted(unanswered)) {
          resent.push(n);
          const outcome = await bench.post(n, service);
          assert.equal(outcome, 202, `resent trace ${n}`);
          classify(n, outcome);
        }
      };

      // Round 1: eight 202s one after the other, killed right after the last.
      await bench.start(config);
      for (const n of range(1, 8)) classify(n, await bench.post(n, service));
      await bench.crash();
      assert.deepEqual(sorted(accepted), range(1, 8));

      // Round 2: a request with half its body sent and seven more in flight; killed at a random one of the first five 202s.
      await bench.start(config);
      const halfSent = postHalfBody(`${bench.collectorUrl}/v1/a2a/traces?service=${service}`, traceBody(9));
      await halfSent.sent;
      const killAtAnswer = randomInt(1, 5);
      let answered = 0;
      let reachedKillPoint: () => void = () => {};
      const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve));
      const round2 = range(10, 16).map(async (n) => {
        const outcome = await bench.post(n, service);
        if (outcome === 202 && ++answered === killAtAnswer) reachedKillPoint();
        return [n, outcome] as const;
      });
      await killPoint;
      await bench.crash();
      // A body that never arrived whole cannot have been accepted.
      assert.equal(await halfSent.outcome, 'died');
      classify(9, 'died');
      for (const [n, outcome] of await Promise.all(round2)) classify(n, outcome);

      // Round 3: the unanswered ones again, then twelve at once; killed at a random instant of the burst.
      await bench.start(config);
      await resendUnanswered();
      const killAfterMillis = randomInt(0, 40);
      const round3 = range(17, 28).map(async (n) => [n, await bench.post(n, service)] as const);
      await pause(killAfterMillis);
      await bench.crash();
      for (const [n, outcome] of await Promise.all(round3)) classify(n, outcome);

      // Round 4: the unanswered ones, then the rest one by one; killed right after the last 202.
      await bench.start(config);
      await resendUnanswered();
      for (const n of range(29, 40)) classify(n, await bench.post(n, service));
      await bench.crash();

      // Round 5: killed as soon as it listens, while it replays the spool to an exporter that cannot connect.
      await bench.start(config);
      await bench.crash();

      t.diagnostic(`killed at 202 number ${killAtAnswer} of round 2 and ${killAfterMillis} ms into round 3; sent again after a restart: ${resent.join(', ') || 'none'}`);
      assert.deepEqual(sorted(accepted), range(1, 40));
      assert.deepEqual([...unanswered], []);

      // Round 6: stays up; Jaeger starts on the port the exporter has been retrying.
      await bench.start(config);
      await bench.startJaeger();
      const inJaeger = await bench.jaegerOnceComplete(range(1, 40));
      t.diagnostic(await bench.exporterSummary());
      assert.deepEqual(inJaeger, expectedSpanIds(range(1, 40)));
      assert.deepEqual(await bench.jaegerTraceIdsOf(service), sortedTraceIds(range(1, 40)));
      // Every span was sent by this process once: none lost by a kill, none twice for a request sent again.
      assert.equal(await settle(() => bench.otlpMetric('a2a_collector_exported_spans_total'), (spans) => spans === 120), 120);
      assert.equal(await bench.otlpMetric('a2a_collector_spool_replayed_spans_total'), 120);
      assert.deepEqual(await bench.metric('a2a_collector_dropped_spans_total'), {});
      assert.equal(await bench.otlpMetric('a2a_collector_exported_spans_total'), 120);
      await bench.crash();
    });

    it('loses nothing when kill -9 hits in the middle of an export, before and after Jaeger stored the batch', async (t) => {
      const service = 'spool-crash-export';
      await bench.startJaeger();
      // Between the collector and Jaeger, so that the kills land inside an export: see test/helpers/fault-proxy.ts.
      const proxy = await startFaultProxy(bench.otlpUrl);
      try {
        const config = bench.writeConfig('export', proxy.url);
        const all = range(41, 100);
        const accepted = new Set<number>();
        const notAccepted = new Set<number>();
        /** Posts `ns` over four connections at a time until they run out or the collector dies. */
        const postAll = async (ns: readonly number[]): Promise<void> => {
          const queue = [...ns];
          const worker = async (): Promise<void> => {
            for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
              const outcome = await bench.post(n, service);
              assert.ok(outcome === 202 || outcome === 'died', `trace ${n}: ${outcome}`);
              if (outcome === 202) {
                accepted.add(n);
                notAccepted.delete(n);
              } else notAccepted.add(n);
            }
          };
          await Promise.all([worker(), worker(), worker(), worker()]);
        };
        const resendNotAccepted = async (): Promise<void> => {
          for (const n of sorted(notAccepted)) {
            assert.equal(await bench.post(n, service), 202, `resent trace ${n}`);
            accepted.add(n);
            notAccepted.delete(n);
          }
        };
        /** The leaf spans (nobody's parent) of traces `ns` that `request` carried. */
        const leavesIn = (request: ProxiedRequest, ns: readonly number[]): string[] => ns.flatMap((n) => stepIds(n).slice(1)).filter((id) => otlpBodyHoldsId(request.body, id));
        /** Whether a request that came after `request` brought span `id` to Jaeger. */
        const sentAfter = (request: ProxiedRequest, id: string): boolean => proxy.requests.some((later) => later.index > request.index && later.forwarded && otlpBodyHoldsId(later.body, id));

        /** Requests in `state` now, entered less than `millis` ago (so that their hold outlasts a kill). */
        const freshlyIn = (state: ProxiedRequestState, millis: number): ProxiedRequest[] =>
          proxy.requests.filter((request) => request.state === state && performance.now() - request.stateSinceMillis < millis);
        /** Waits until none of `requests` is held any more; returns those that were never answered to the collector, killed first. */
        const abandonedOf = async (requests: readonly ProxiedRequest[]): Promise<ProxiedRequest[]> => {
          await proxy.until('end of the holds', () => requests.every((request) => request.state === 'answered' || request.state === 'abandoned'));
          return requests.filter((request) => request.state === 'abandoned');
        };

        // Kill 1: a random number of spans is in Jaeger, and exports are on their way that Jaeger does not have yet.
        proxy.setPlan({ holdRequestMillis: 500 });
        await bench.start(config);
        const round1 = postAll(range(41, 70));
        const killAtExported = randomInt(6, 36);
        await settle(() => bench.otlpMetric('a2a_collector_exported_spans_total'), (spans) => spans >= killAtExported, 15_000, 20);
        await proxy.until('request just held before Jaeger', () => freshlyIn('holding-request', 100).length > 0);
        const heldRequests = proxy.requests.filter((request) => request.state === 'holding-request');
        await bench.crash();
        await round1;
        const neverForwarded = await abandonedOf(heldRequests);
        const describeHeld = (requests: readonly ProxiedRequest[]): string => requests.map((request) => `#${request.index} ${request.state} forwarded=${request.forwarded}`).join(', ');
        assert.ok(neverForwarded.length > 0 && neverForwarded.every((request) => !request.forwarded), `Jaeger never got a request held when the collector died: ${describeHeld(heldRequests)}`);
        const neverArrived = neverForwarded.flatMap((request) => leavesIn(request, all));
        assert.notDeepEqual(neverArrived, []);

        // Kill 2: Jaeger has stored a batch, and the collector dies before it hears so.
        proxy.setPlan({ holdResponseMillis: 500 });
        await bench.start(config);
        const firstOfRound2 = proxy.requests.length;
        await resendNotAccepted();
        const round2 = postAll(range(71, 100));
        const killAtStored = randomInt(1, 4);
        await proxy.until(
          'answer just held after Jaeger stored the batch',
          (requests) => requests.filter((request) => request.index >= firstOfRound2 && request.forwarded).length >= killAtStored && freshlyIn('holding-response', 100).length > 0,
        );
        const heldResponses = proxy.requests.filter((request) => request.state === 'holding-response');
        await bench.crash();
        await round2;
        const neverConfirmed = await abandonedOf(heldResponses);
        assert.ok(neverConfirmed.length > 0 && neverConfirmed.every((request) => request.forwarded), `Jaeger got a request whose answer was held when the collector died: ${describeHeld(heldResponses)}`);
        const unconfirmed = neverConfirmed.flatMap((request) => leavesIn(request, all));
        assert.notDeepEqual(unconfirmed, []);
        assert.ok(accepted.size < all.length, 'the kills came before every request was answered');
        const lastBeforeRestart = proxy.requests.length - 1;

        // Third start, no faults: the unanswered traces are sent again, the spool replays what was not confirmed.
        proxy.setPlan({});
        await bench.start(config);
        await resendNotAccepted();
        assert.deepEqual(sorted(accepted), all);
        const inJaeger = await bench.jaegerOnceComplete(all);
        // A replayed span is the span first sent, byte for byte: Jaeger would show a changed copy as a fourth span.
        assert.deepEqual(inJaeger, expectedSpanIds(all));
        assert.deepEqual(await bench.jaegerTraceIdsOf(service), sortedTraceIds(all));
        // What never reached Jaeger was sent after a restart; what reached it unconfirmed was sent again (at least once).
        assert.deepEqual(neverArrived.filter((id) => !sentAfter(neverForwarded[0] as ProxiedRequest, id)), []);
        assert.deepEqual(unconfirmed.filter((id) => !sentAfter(proxy.requests[lastBeforeRestart] as ProxiedRequest, id)), []);
        // This process sent what the spool gave back plus what the resent requests added: each span once.
        const sentByLastStart = async (): Promise<{ exported: number; replayed: number; versions: Record<string, number> }> => ({
          exported: await bench.otlpMetric('a2a_collector_exported_spans_total'),
          replayed: await bench.otlpMetric('a2a_collector_spool_replayed_spans_total'),
          versions: await bench.metric('a2a_collector_span_versions_total'),
        });
        const counts = await settle(sentByLastStart, ({ exported, replayed, versions }) => exported > 0 && exported === replayed + (versions['{outcome="new"}'] ?? 0));
        assert.ok(counts !== undefined);
        t.diagnostic(
          `kill 1 after ${killAtExported}+ exported spans with ${neverArrived.length} leaf spans held before Jaeger; kill 2 at stored batch ${killAtStored} with ${unconfirmed.length} leaf spans unconfirmed; ` +
            `last start: ${counts.replayed} spans replayed, ${counts.exported} exported, versions ${JSON.stringify(counts.versions)}`,
        );
        assert.equal(counts.exported, counts.replayed + (counts.versions['{outcome="new"}'] ?? 0));
        assert.equal(counts.versions['{outcome="changed"}'], undefined);
        assert.deepEqual(await bench.metric('a2a_collector_dropped_spans_total'), {});
        await bench.crash();
      } finally {
        await proxy.close();
      }
    });

    it('cuts a hand-truncated tail and skips a corrupted record; every other accepted trace reaches Jaeger once', async () => {
      const service = 'spool-crash-damaged';
      const config = bench.writeConfig('damaged');
      const directory = bench.spoolDirectory('damaged');
      await bench.stopJaeger();
      await bench.start(config);
      for (const n of range(101, 110)) assert.equal(await bench.post(n, service), 202, `trace ${n}`);
      await bench.crash();

      // The records are found by the trace ids written in them, not by the file format: trace 110's is the last.
      const segments = readdirSync(directory).filter((name) => name.endsWith('.log'));
      assert.equal(segments.length, 1, `one segment file: ${segments.join(', ')}`);
      const segment = join(directory, segments[0] as string);
      const bytes = readFileSync(segment);
      const first = (n: number): number => bytes.indexOf(traceId(n));
      const last = (n: number): number => bytes.lastIndexOf(traceId(n));
      for (const n of range(101, 109)) assert.ok(first(n) >= 0 && last(n) < first(n + 1), `record ${n} precedes record ${n + 1}`);
      // A torn tail: the last 7 bytes of trace 110's record are gone, as if the process died writing it.
      const cutSize = bytes.length - 7;
      assert.ok(last(110) < cutSize, 'the cut falls after the last mention of trace 110');
      // A corrupted record between good ones: one character of trace 105's id changed in place.
      const flipped = first(105) + 10;
      const fd = openSync(segment, 'r+');
      ftruncateSync(fd, cutSize);
      writeSync(fd, Buffer.from([(bytes[flipped] as number) ^ 0x01]), 0, 1, flipped);
      closeSync(fd);

      await bench.start(config);
      const sizeAfterOpen = statSync(segment).size;
      assert.ok(sizeAfterOpen > last(109) && sizeAfterOpen <= first(110), `the file is cut back to where trace 110's record began (${sizeAfterOpen} bytes)`);
      assert.deepEqual(await bench.metric('a2a_collector_spool_truncated_bytes_total'), { '': cutSize - sizeAfterOpen });
      assert.deepEqual(await bench.metric('a2a_collector_spool_corrupt_records_total'), { '': 1 });
      await bench.startJaeger();
      const survivors = range(101, 109).filter((n) => n !== 105);
      const inJaeger = await bench.jaegerOnceComplete(survivors);
      assert.deepEqual(inJaeger, expectedSpanIds(survivors));
      assert.deepEqual(await bench.jaegerSpanIds([105, 110]), new Map());
      assert.deepEqual(await bench.jaegerTraceIdsOf(service), sortedTraceIds(survivors));
      // The 8 good records of this case, 3 spans each, sent once.
      assert.equal(await settle(() => bench.otlpMetric('a2a_collector_exported_spans_total'), (spans) => spans === 24), 24);
      assert.equal(await bench.otlpMetric('a2a_collector_spool_replayed_spans_total'), 24);
      assert.deepEqual(await bench.metric('a2a_collector_dropped_spans_total'), {});
      await bench.crash();
    });

    it('drains on SIGTERM: Jaeger, back during the drain, gets everything, and the next start sends nothing again', async (t) => {
      const service = 'spool-crash-drain-up';
      const config = bench.writeConfig('drain-up');
      await bench.stopJaeger();
      const first = await bench.start(config);
      const all = range(111, 130);
      for (const n of all) assert.equal(await bench.post(n, service), 202, `trace ${n}`);
      assert.equal(await bench.otlpMetric('a2a_collector_exported_spans_total'), 0);
      const stopping = stopWithSignal(first);
      await pause(1_000);
      await bench.startJaeger();
      const exit = await stopping;
      bench.forget();
      t.diagnostic(`SIGTERM to exit: ${Math.round(exit.elapsedMillis)} ms`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
      // Drained, not cut off at the 30 s bound: everything was delivered before it exited.
      assert.ok(exit.elapsedMillis < 20_000, `exited after ${exit.elapsedMillis} ms`);
      assert.deepEqual(logLines(first.stderr()).filter((line) => line.level === 'error'), []);
      assert.deepEqual(await bench.jaegerOnceComplete(all), expectedSpanIds(all));

      // Its cursor was saved at shutdown: the next start has nothing to send.
      await bench.start(config);
      assert.equal(await settle(() => bench.otlpMetric('a2a_collector_exported_spans_total'), (spans) => spans > 0, 1_500), 0);
      assert.equal(await bench.otlpMetric('a2a_collector_spool_replayed_spans_total'), 0);
      assert.deepEqual(await bench.jaegerSpanIds(all), expectedSpanIds(all));
      assert.deepEqual(await bench.jaegerTraceIdsOf(service), sortedTraceIds(all));
      await bench.crash();
    });
  });

  describe('SIGTERM while Jaeger stays down', { concurrency: 1 }, () => {
    let bench: CrashBench;
    before(async () => {
      bench = await CrashBench.create();
    });
    // A case that failed half-way leaves no collector behind for the next one.
    afterEach(async () => {
      await bench?.crash();
    });
    after(async () => {
      await bench?.close();
    });

    it('drains for the 30 s bound, exits 0, drops nothing, and the next start delivers everything once', async (t) => {
      const service = 'spool-crash-drain-down';
      const config = bench.writeConfig('drain-down');
      const first = await bench.start(config);
      const all = range(131, 150);
      for (const n of all) assert.equal(await bench.post(n, service), 202, `trace ${n}`);
      // Jaeger was never started: the exporter is failing, not idle.
      const failures = await settle(() => bench.otlpMetric('a2a_collector_export_failures_total'), (count) => count > 0, 5_000);
      assert.ok(failures !== undefined && failures > 0, `export failures before SIGTERM: ${failures}`);
      const exit = await stopWithSignal(first);
      bench.forget();
      t.diagnostic(`SIGTERM to exit: ${Math.round(exit.elapsedMillis)} ms`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
      // README: the queues drain for up to 30 s; a batch in flight then gets 5 s more to settle.
      assert.ok(exit.elapsedMillis < 36_000, `exited after ${exit.elapsedMillis} ms`);
      // Dropped spans are logged at level error; what is kept in the spool is not.
      assert.deepEqual(logLines(first.stderr()).filter((line) => line.level === 'error'), []);

      await bench.startJaeger();
      await bench.start(config);
      const inJaeger = await bench.jaegerOnceComplete(all);
      assert.deepEqual(inJaeger, expectedSpanIds(all));
      assert.deepEqual(await bench.jaegerTraceIdsOf(service), sortedTraceIds(all));
      assert.equal(await settle(() => bench.otlpMetric('a2a_collector_exported_spans_total'), (spans) => spans === 60), 60);
      assert.equal(await bench.otlpMetric('a2a_collector_spool_replayed_spans_total'), 60);
      assert.deepEqual(await bench.metric('a2a_collector_dropped_spans_total'), {});
      await bench.crash();
    });
  });
});
