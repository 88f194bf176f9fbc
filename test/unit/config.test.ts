import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { builtInExporterFactories } from '../../exporters/index.js';
import { configFromEnvironment, otlpSettingsFromEnvironment, parseKeyValueList } from '../../src/config/environment.js';
import { loadConfig, validateConfig } from '../../src/config/load-config.js';
import { CollectorError } from '../../src/errors.js';

function problems(raw: unknown): Array<{ path: string; reason: string }> {
  try {
    validateConfig(raw, builtInExporterFactories);
  } catch (error) {
    assert.ok(error instanceof CollectorError);
    assert.equal(error.code, 'CFG_ERR_INVALID');
    return [...error.issues];
  }
  assert.fail('expected the config to be refused');
}

describe('validateConfig', () => {
  it('freezes the whole config, nested objects, lists and exporter settings included', () => {
    const config = validateConfig({ accounting: { sidecar_agents: ['a'] }, exporters: { otlp: { endpoint: 'http://127.0.0.1:4318' } } }, builtInExporterFactories);
    const writable = config as unknown as { server: { port: number }; accounting: { sidecar_agents: string[] }; exporters: Array<{ settings: { sending_queue: { queue_size_bytes: number } } }> };
    assert.throws(() => (writable.server.port = 1), TypeError);
    assert.throws(() => writable.accounting.sidecar_agents.push('b'), TypeError);
    const settings = writable.exporters[0]?.settings;
    assert.ok(settings !== undefined);
    assert.throws(() => (settings.sending_queue.queue_size_bytes = 1), TypeError);
    assert.deepEqual([config.server.port, config.accounting.sidecar_agents], [4320, ['a']]);
  });

  it('gives the embedded default with no config at all', () => {
    const config = validateConfig({}, builtInExporterFactories);
    assert.deepEqual(
      { server: config.server, store: config.store, exporters: config.exporters, service: config.service.name },
      {
        server: {
          host: '127.0.0.1',
          port: 4320,
          max_body_bytes: 8 * 1024 * 1024,
          max_in_flight_body_bytes: 64 * 1024 * 1024,
          headers_timeout_millis: 10_000,
          request_timeout_millis: 60_000,
          keep_alive_timeout_millis: 5_000,
          max_connections: 1024,
        },
        store: { enabled: true, max_traces: 1000, max_bytes: 64 * 1024 * 1024 },
        exporters: [],
        service: 'a2a-agent',
      },
    );
    assert.ok(Object.isFrozen(config));
  });

  it('reports every problem with its key path, exporters included', () => {
    assert.deepEqual(
      problems({
        server: { port: 70000, hots: 'x' },
        mapping: { cost_mode: 'sometimes' },
        exporters: {
          'otlp/jaeger': { endpoint: 'not a url', sending_queue: { queue_size_bytes: -1 } },
          otlp: {},
          kafka: {},
          'Bad Id': {},
        },
      }).map((issue) => issue.path),
      [
        'server.port',
        'server',
        'mapping.cost_mode',
        'exporters["Bad Id"]',
        'exporters["otlp/jaeger"].endpoint',
        'exporters["otlp/jaeger"].sending_queue.queue_size_bytes',
        'exporters.kafka',
        'exporters["Bad Id"]',
      ],
    );
    assert.deepEqual(problems({ accounting: { sidecar_agents: ['a', ''] } }).map((issue) => issue.path), ['accounting.sidecar_agents[1]']);
    const unknownKey = problems({ server: { hots: 'x' } });
    assert.deepEqual(unknownKey, [{ path: 'server', reason: 'unknown key(s): hots' }]);
  });

  it('runs the otlp receiver with its defaults when no receivers section is given, and none for {}', () => {
    assert.deepEqual(validateConfig({}, builtInExporterFactories).receivers, [
      { id: 'otlp', type: 'otlp', settings: { protocols: { http: {}, grpc: null } } },
    ]);
    assert.deepEqual(validateConfig({ receivers: {} }, builtInExporterFactories).receivers, []);
    assert.deepEqual(validateConfig({ receivers: { otlp: { protocols: { grpc: {} } } } }, builtInExporterFactories).receivers[0]?.settings, {
      protocols: { http: {}, grpc: { endpoint: '127.0.0.1:4317' } },
    });
  });

  it('reports receiver problems with their key paths', () => {
    assert.deepEqual(problems({ receivers: { otlp: { protocols: { grpc: { endpoint: 'localhost' } } }, kafka: {} } }), [
      { path: 'receivers.otlp.protocols.grpc.endpoint', reason: 'expected host:port, as 127.0.0.1:4318' },
      { path: 'receivers.kafka', reason: 'unknown receiver type "kafka" (known: otlp)' },
    ]);
  });

  it('keeps an explicit 0 (port 0 picks a free port)', () => {
    assert.equal(validateConfig({ server: { port: 0 } }, builtInExporterFactories).server.port, 0);
  });
});

describe('configFromEnvironment', () => {
  it('reads the OpenTelemetry SDK variables', () => {
    const env = {
      OTEL_SERVICE_NAME: 'planner',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=a%20b',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc,x-tenant=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    };
    assert.deepEqual(configFromEnvironment(env), {
      service: { name: 'planner', resource_attributes: { 'deployment.environment': 'prod', team: 'a b' } },
      exporters: { otlp: { endpoint: 'http://127.0.0.1:4318' } },
    });
    assert.deepEqual(otlpSettingsFromEnvironment(env), {
      headers: { 'x-token': 'abc', 'x-tenant': 'b' },
      protocol: 'http/json',
      timeout_millis: 2500,
    });
  });

  it('honours OTEL_TRACES_EXPORTER', () => {
    assert.deepEqual(configFromEnvironment({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' }), {});
    assert.deepEqual(configFromEnvironment({ OTEL_TRACES_EXPORTER: 'otlp,console' }), { exporters: { otlp: {}, debug: {} } });
    assert.deepEqual(configFromEnvironment({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://h:1/v1/traces' }), {
      exporters: { otlp: { traces_endpoint: 'http://h:1/v1/traces' } },
    });
  });

  it('parses key=value lists, skipping malformed parts', () => {
    assert.deepEqual(parseKeyValueList('a=1, b = 2 ,broken,=x,c=%E2%82%AC'), { a: '1', b: '2', c: '€' });
  });
});

describe('loadConfig', () => {
  it('layers defaults < file < environment < flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a2a-config-'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(
      file,
      ['server:', '  port: 5000', '  host: 127.0.0.2', 'service:', '  name: from-file', 'exporters:', '  otlp:', '    endpoint: http://file:4318', '    timeout_millis: 1000'].join('\n'),
    );
    const config = await loadConfig(
      { file, env: { OTEL_SERVICE_NAME: 'from-env', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }, overrides: { server: { port: 6000 } } },
      builtInExporterFactories,
    );
    assert.equal(config.server.port, 6000);
    assert.equal(config.server.host, '127.0.0.2');
    assert.equal(config.service.name, 'from-env');
    assert.deepEqual(
      config.exporters.map((e) => [e.id, (e.settings as unknown as { endpoint: string; timeout_millis: number }).endpoint, (e.settings as unknown as { timeout_millis: number }).timeout_millis]),
      [['otlp', 'http://env:4318', 1000]],
    );
  });

  it('lets OTLP variables refine the file\'s otlp exporter without replacing its endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'a2a-config-'));
    const file = join(dir, 'collector.yaml');
    writeFileSync(file, 'exporters:\n  otlp:\n    endpoint: http://jaeger.internal:4318\n');
    const endpointOf = (config: Awaited<ReturnType<typeof loadConfig>>) => (config.exporters[0]?.settings as unknown as { endpoint: string; headers: Record<string, string> });
    const selected = await loadConfig({ file, env: { OTEL_TRACES_EXPORTER: 'otlp' } }, builtInExporterFactories);
    assert.equal(endpointOf(selected).endpoint, 'http://jaeger.internal:4318');
    const withHeaders = await loadConfig({ file, env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a' } }, builtInExporterFactories);
    assert.deepEqual(endpointOf(withHeaders), { ...endpointOf(withHeaders), endpoint: 'http://jaeger.internal:4318', headers: { 'x-tenant': 'a' } });
    const noExporter = await loadConfig({ env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a' } }, builtInExporterFactories);
    assert.deepEqual(noExporter.exporters, [], 'OTLP settings alone do not create an exporter');
    const defaulted = await loadConfig({ env: { OTEL_TRACES_EXPORTER: 'otlp' } }, builtInExporterFactories);
    assert.equal(endpointOf(defaulted).endpoint, 'http://localhost:4318');
  });

  it('reports an unreadable or malformed file', async () => {
    await assert.rejects(loadConfig({ file: '/nonexistent/collector.yaml' }, builtInExporterFactories), (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_FILE');
    const dir = mkdtempSync(join(tmpdir(), 'a2a-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server: [unclosed');
    await assert.rejects(loadConfig({ file }, builtInExporterFactories), (error: unknown) => error instanceof CollectorError && error.code === 'CFG_ERR_FILE');
  });
});

describe('docs/collector.example.yaml', () => {
  it('is a valid config whose commented defaults are the real defaults', async () => {
    const file = new URL('../../docs/collector.example.yaml', import.meta.url).pathname;
    const config = await loadConfig({ file }, builtInExporterFactories);
    const defaults = validateConfig({}, builtInExporterFactories);
    assert.deepEqual(config.server, defaults.server);
    assert.deepEqual(config.mapping, defaults.mapping);
    assert.deepEqual(config.store, defaults.store);
    assert.deepEqual(config.metrics, defaults.metrics);
    const jaeger = config.exporters.find((exporter) => exporter.id === 'otlp/jaeger');
    const explicitDefaults = validateConfig({ exporters: { otlp: { endpoint: 'http://127.0.0.1:4318' } } }, builtInExporterFactories).exporters[0];
    assert.deepEqual(jaeger?.settings, explicitDefaults?.settings);
    assert.deepEqual(config.exporters.map((exporter) => exporter.id), ['otlp/jaeger', 'debug']);
    const proxyDefaults = validateConfig({ proxy: { upstream: 'http://127.0.0.1:9999' } }, builtInExporterFactories).proxy;
    assert.deepEqual(config.proxy, proxyDefaults);
    assert.deepEqual(config.receivers, defaults.receivers);
    assert.deepEqual(config.pricing, defaults.pricing);
  });
});
