import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT_USAGE } from '../../src/commands/command.js';
import * as catalog from '../../src/error-catalog.js';
import { CollectorError, ConfigErrorCodes, HttpErrorStatuses } from '../../src/errors.js';
import { COLLECTOR_VERSION } from '../../src/version.js';

describe('catalogs kept in sync', () => {
  it('documents every error code in docs/errors.md with its HTTP status, and no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((match) => [match[1], match[2]?.trim()]);
    const expected = [
      ...Object.entries(HttpErrorStatuses).map(([code, status]) => [code, String(status)]),
      ...ConfigErrorCodes.map((code) => [code, `(exit ${EXIT_USAGE})`]),
    ];
    assert.deepEqual(rows, expected);
  });

  it('words every error in src/error-catalog.ts: no other module builds a CollectorError', () => {
    const root = new URL('../../', import.meta.url);
    const sources = ['src', 'receivers', 'exporters'].flatMap((dir) =>
      (readdirSync(new URL(dir, root), { recursive: true }) as string[]).filter((file) => file.endsWith('.ts')).map((file) => `${dir}/${file}`),
    );
    const builders = sources.filter((file) => readFileSync(new URL(file, root), 'utf8').includes('new CollectorError('));
    assert.deepEqual(builders, ['src/error-catalog.ts']);
  });

  it('gives every code of the catalog at least one message, each naming a documented code', () => {
    const codes = new Set<string>([...Object.keys(HttpErrorStatuses), ...ConfigErrorCodes]);
    const worded = new Set<string>();
    const samples: Record<string, unknown[]> = {
      invalidJson: ['Unexpected end of JSON input'],
      invalidEvents: [[]],
      invalidTrace: [[]],
      invalidTraces: [[]],
      notATrace: ['expected a ResponseTrace'],
      noTraceToIngest: ['array'],
      onlyErrorResponses: ['JSON-RPC error -32000: boom', 3, []],
      nestingTooDeep: [32, 'steps[0]'],
      nestedTooDeeplyToRead: [],
      noTraceInEnvelope: ['"trace"', []],
      upstreamUnreachable: ['http://127.0.0.1:9999/', 'ECONNREFUSED: connect ECONNREFUSED'],
      upstreamTimedOut: ['http://127.0.0.1:9999/', 'response', 120000],
      unsupportedMediaType: ['application/xml'],
      unsupportedOtlpMediaType: ['text/plain'],
      unsupportedContentEncoding: ['br'],
      decodedBodyTooLarge: [8388608],
      undecodableBody: ['gzip', 'incorrect header check'],
      invalidOtlp: [[]],
      bodyTooLarge: [8388608],
      bodyOverInFlightBudget: [67108864],
      spansOverQueue: [2000, 'otlp', 1000],
      unauthorized: [],
      queueFull: ['otlp', 5],
      inFlightBudgetFull: [67108864, 1],
      spoolFull: [1073741824, 5],
      spoolUnavailable: [5],
      noRoute: ['GET', '/nope'],
      storeDisabled: [],
      noSuchTrace: ['t-1'],
      internal: [],
      invalidConfig: [[{ path: 'server.port', reason: 'too big' }]],
      configUnreadable: ['collector.yaml', 'ENOENT'],
      configNotYaml: ['collector.yaml', 'bad indentation'],
      spoolLocked: ['/var/spool', 4242],
    };
    assert.deepEqual(Object.keys(catalog).sort(), Object.keys(samples).sort(), 'a sample for every entry');
    for (const [name, build] of Object.entries(catalog) as Array<[string, (...args: unknown[]) => CollectorError]>) {
      const error = build(...(samples[name] ?? []));
      assert.ok(error instanceof CollectorError, name);
      assert.ok(codes.has(error.code), `${name}: ${error.code}`);
      assert.notEqual(error.message, '', name);
      worded.add(error.code);
    }
    assert.deepEqual([...codes].filter((code) => !worded.has(code)), [], 'every code has a message');
    assert.equal(catalog.spoolLocked('/var/spool', 4242).message, 'spool directory /var/spool is in use by process 4242; give each collector its own spool.directory');
    assert.equal(catalog.onlyErrorResponses('JSON-RPC error -32000: boom', 3, []).message, 'no trace in an error response: JSON-RPC error -32000: boom (and 2 more error responses)');
  });

  it('keeps COLLECTOR_VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(COLLECTOR_VERSION, pkg.version);
  });
});
