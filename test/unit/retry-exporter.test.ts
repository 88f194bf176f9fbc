/**
 * The retry table, case by case, through the real classifier and the real RetryingExporter over a
 * scripted inner exporter (a double of our own seam): attempts counted exactly, waits read from an
 * injected clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ExportFailure, classifyExportResult, parseRetryAfterMillis } from '../../src/fan-out/export-outcome.js';
import { RetryingExporter, isPermanent, type RetryOptions } from '../../src/fan-out/retrying-exporter.js';
import { DEFAULT_RETRY } from '../helpers/component-defaults.js';
import { RecordingClock } from '../helpers/recording-clock.js';

/** An exporter that answers each call with the next scripted step (`'ok'`, an error, or a throw). */
class ScriptedExporter implements SpanExporter {
  calls = 0;
  shutdownCalls = 0;
  constructor(private readonly script: (call: number) => Error | 'ok' | 'silent') {}
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.calls++;
    const step = this.script(this.calls);
    if (step === 'silent') return;
    setImmediate(() => done(step === 'ok' ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: step }));
  }
  shutdown(): Promise<void> {
    this.shutdownCalls++;
    return Promise.resolve();
  }
}

/** An error shaped as Node's request errors are (`code`, `errno`, `syscall`). */
function nodeError(message: string, code: string, syscall: string): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall });
}

/** jitter factor 1: random 0.5 gives `0.5 + 0.5`. */
const noJitter = (): number => 0.5;

function run(exporter: SpanExporter): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export([], resolve));
}

/** Fails twice with `error`, then succeeds; returns what the retrying exporter saw and did. */
async function failTwiceThenSucceed(error: () => Error, options: Partial<RetryOptions> = {}) {
  const inner = new ScriptedExporter((call) => (call <= 2 ? error() : 'ok'));
  const clock = new RecordingClock();
  let failures = 0;
  const result = await run(
    new RetryingExporter(inner, {
      ...DEFAULT_RETRY,
      initialIntervalMillis: 100,
      maxIntervalMillis: 1_000,
      clock,
      random: noJitter,
      onFailure: () => failures++,
      ...options,
    }),
  );
  return { result, attempts: inner.calls, sleeps: clock.sleeps, failures };
}

describe('retry table: what is retried, through RetryingExporter', () => {
  const retryable: Array<[string, () => Error]> = [
    ['connect ECONNREFUSED 10.0.0.7:400 (a port that looks like a status)', () => nodeError('connect ECONNREFUSED 10.0.0.7:400', 'ECONNREFUSED', 'connect')],
    ['getaddrinfo ENOTFOUND otel-401.internal (a host that looks like a status)', () => nodeError('getaddrinfo ENOTFOUND otel-401.internal', 'ENOTFOUND', 'getaddrinfo')],
    ['getaddrinfo EAI_AGAIN', () => nodeError('getaddrinfo EAI_AGAIN otel.internal', 'EAI_AGAIN', 'getaddrinfo')],
    ['socket hang up', () => nodeError('socket hang up', 'ECONNRESET', 'read')],
    ['read ECONNRESET', () => nodeError('read ECONNRESET', 'ECONNRESET', 'read')],
    ['connect ETIMEDOUT', () => nodeError('connect ETIMEDOUT 10.0.0.7:4318', 'ETIMEDOUT', 'connect')],
    ['write EPIPE', () => nodeError('write EPIPE', 'EPIPE', 'write')],
    ['connect EHOSTUNREACH', () => nodeError('connect EHOSTUNREACH 10.0.0.7:4318', 'EHOSTUNREACH', 'connect')],
    ['connect ENETUNREACH', () => nodeError('connect ENETUNREACH 10.0.0.7:4318', 'ENETUNREACH', 'connect')],
    ['OTLP 429', () => new OTLPExporterError('Too Many Requests', 429)],
    ['OTLP 502', () => new OTLPExporterError('Bad Gateway', 502)],
    ['OTLP 503', () => new OTLPExporterError('Service Unavailable', 503)],
    ['OTLP 504', () => new OTLPExporterError('Gateway Timeout', 504)],
    ["OTel JS's exhausted retryable status (no code)", () => new OTLPExporterError('Export failed with retryable status')],
    ['an error whose text names a 4xx is not read: retryable', () => new Error('Got unexpected status code from zipkin: 400')],
    ['an attempt timeout', () => new ExportFailure('export timed out after 10000 ms', { kind: 'retryable' })],
  ];
  for (const [label, error] of retryable) {
    it(`retryable: ${label}`, async () => {
      const { result, attempts, sleeps, failures } = await failTwiceThenSucceed(error);
      assert.equal(result.code, ExportResultCode.SUCCESS);
      assert.equal(attempts, 3);
      assert.equal(failures, 2);
      assert.deepEqual(sleeps, [100, 200]);
    });
  }

  const permanent: Array<[string, () => Error]> = [
    ['OTLP 400', () => new OTLPExporterError('Bad Request', 400, '{"message":"bad"}')],
    ['OTLP 401', () => new OTLPExporterError('Unauthorized', 401)],
    ['OTLP 403', () => new OTLPExporterError('Forbidden', 403)],
    ['OTLP 404', () => new OTLPExporterError('Not Found', 404)],
    ['OTLP 413', () => new OTLPExporterError('Payload Too Large', 413)],
    ['OTLP 500 (the OTLP specification retries only 429, 502, 503, 504)', () => new OTLPExporterError('Internal Server Error', 500)],
    ['a TLS certificate refused', () => nodeError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'connect')],
    ['an ExportFailure marked permanent', () => new ExportFailure('127.0.0.1:4318 answered 400 Bad Request', { kind: 'permanent', statusCode: 400 })],
  ];
  for (const [label, error] of permanent) {
    it(`permanent: ${label}`, async () => {
      const { result, attempts, sleeps, failures } = await failTwiceThenSucceed(error);
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.equal(isPermanent(result), true);
      assert.equal(attempts, 1);
      assert.equal(failures, 1);
      assert.deepEqual(sleeps, []);
    });
  }

  it('permanent: an exporter that throws', async () => {
    const inner: SpanExporter = {
      export: () => {
        throw new TypeError('cannot serialize');
      },
      shutdown: () => Promise.resolve(),
    };
    const clock = new RecordingClock();
    const result = await run(new RetryingExporter(inner, { ...DEFAULT_RETRY, clock }));
    assert.equal(isPermanent(result), true);
    assert.equal(result.error?.message, 'exporter threw: cannot serialize');
    assert.deepEqual(clock.sleeps, []);
  });

  it('retryable: an attempt that never answers within attempt_timeout', async () => {
    const inner = new ScriptedExporter((call) => (call === 1 ? 'silent' : 'ok'));
    const clock = new RecordingClock();
    const result = await run(new RetryingExporter(inner, { ...DEFAULT_RETRY, attemptTimeoutMillis: 5, initialIntervalMillis: 100, clock, random: noJitter }));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(inner.calls, 2);
    assert.deepEqual(clock.sleeps, [100]);
  });
});

describe('Retry-After in the pipeline retry', () => {
  const throttled = (retryAfterMillis: number) => () =>
    new ExportFailure('127.0.0.1:4318 answered 503 Service Unavailable', { kind: 'retryable', statusCode: 503, retryAfterMillis });

  it('waits what the backend asked when that is longer than the backoff', async () => {
    const { attempts, sleeps } = await failTwiceThenSucceed(throttled(2_000));
    assert.equal(attempts, 3);
    assert.deepEqual(sleeps, [2_000, 2_000]);
  });

  it('a Retry-After longer than max_interval is still waited in full', async () => {
    const { sleeps } = await failTwiceThenSucceed(throttled(3_000), { maxIntervalMillis: 500 });
    assert.deepEqual(sleeps, [3_000, 3_000]);
  });

  it('keeps its own backoff when the backend asks for less', async () => {
    const { sleeps } = await failTwiceThenSucceed(throttled(50));
    assert.deepEqual(sleeps, [100, 200]);
  });

  it('gives up at once when the Retry-After would end past max_elapsed_time', async () => {
    const { result, attempts, sleeps } = await failTwiceThenSucceed(throttled(120_000), { maxElapsedTimeMillis: 60_000 });
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.equal(isPermanent(result), false);
    assert.equal(attempts, 1);
    assert.deepEqual(sleeps, []);
  });
});

describe('RetryingExporter backoff', () => {
  const unavailable = (): Error => new OTLPExporterError('Service Unavailable', 503);

  it('doubles the interval up to max_interval and stops before max_elapsed_time', async () => {
    const inner = new ScriptedExporter(unavailable);
    const clock = new RecordingClock();
    const result = await run(
      new RetryingExporter(inner, { ...DEFAULT_RETRY, initialIntervalMillis: 100, maxIntervalMillis: 400, maxElapsedTimeMillis: 1_500, clock, random: noJitter }),
    );
    assert.equal(result.code, ExportResultCode.FAILED);
    // 100 + 200 + 400 + 400 = 1,100; one more 400 would end at 1,500 (allowed), the next at 1,900.
    assert.deepEqual(clock.sleeps, [100, 200, 400, 400, 400]);
    assert.equal(inner.calls, 6);
    assert.equal(isPermanent(result), false);
    assert.ok(result.error instanceof ExportFailure);
    assert.equal(result.error.message, 'Service Unavailable');
    assert.ok(result.error.cause instanceof OTLPExporterError, 'the last error is kept as the cause');
  });

  it('retries until it succeeds when max_elapsed_time is 0, as the Collector does', async () => {
    const inner = new ScriptedExporter((call) => (call <= 30 ? unavailable() : 'ok'));
    const clock = new RecordingClock();
    const result = await run(new RetryingExporter(inner, { ...DEFAULT_RETRY, initialIntervalMillis: 100, maxIntervalMillis: 400, maxElapsedTimeMillis: 0, clock, random: noJitter }));
    assert.equal(result.code, ExportResultCode.SUCCESS);
    assert.equal(inner.calls, 31);
    // 100 + 200 + 28 x 400 ms of waits: any max_elapsed_time below 11.5 s would have given up.
    assert.equal(clock.sleeps.reduce((sum, wait) => sum + wait, 0), 11_500);
  });

  it('jitters each wait between half and one and a half times the interval', async () => {
    for (const [random, expected] of [
      [() => 0, [50, 100]],
      [() => 0.75, [125, 250]],
    ] as const) {
      const { sleeps } = await failTwiceThenSucceed(unavailable, { random });
      assert.deepEqual(sleeps, expected);
    }
  });

  it('tries once when retry_on_failure is disabled', async () => {
    const { result, attempts, sleeps } = await failTwiceThenSucceed(unavailable, { enabled: false });
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.equal(attempts, 1);
    assert.deepEqual(sleeps, []);
  });

  it('stops waiting between retries on shutdown (real clock)', async () => {
    const inner = new ScriptedExporter(unavailable);
    const retrying = new RetryingExporter(inner, { ...DEFAULT_RETRY, initialIntervalMillis: 60_000, maxIntervalMillis: 60_000, maxElapsedTimeMillis: 600_000 });
    const pending = run(retrying);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await retrying.shutdown();
    assert.equal((await pending).code, ExportResultCode.FAILED);
    assert.equal(inner.calls, 1);
    assert.equal(inner.shutdownCalls, 1);
  });
});

describe('classifyExportResult', () => {
  it('reads success, and a failure without an error as retryable', () => {
    assert.deepEqual(classifyExportResult({ code: ExportResultCode.SUCCESS }), { kind: 'success' });
    assert.equal(classifyExportResult({ code: ExportResultCode.FAILED }).kind, 'retryable');
  });

  it("hands back an ExportFailure's own outcome, Retry-After included", () => {
    const error = new ExportFailure('throttled', { kind: 'retryable', retryAfterMillis: 1_000, statusCode: 429 });
    assert.deepEqual(classifyExportResult({ code: ExportResultCode.FAILED, error }), { kind: 'retryable', error, retryAfterMillis: 1_000 });
  });
});

describe('parseRetryAfterMillis', () => {
  const now = Date.parse('2015-10-21T07:28:00Z');
  const cases: Array<[string | undefined, number | undefined]> = [
    ['1', 1_000],
    ['0', 0],
    [' 120 ', 120_000],
    ['Wed, 21 Oct 2015 07:28:05 GMT', 5_000],
    ['Wednesday, 21-Oct-15 07:28:05 GMT', 5_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['1.5', undefined],
    ['-1', undefined],
    ['soon', undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} -> ${String(expected)}`, () => assert.equal(parseRetryAfterMillis(value, now), expected));
  }
});
