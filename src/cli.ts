#!/usr/bin/env node
/**
 * @module The command line: `serve` (default) and `validate`. The only place that exits the process.
 */
import { parseArgs } from 'node:util';
import { builtInExporterFactories } from '../exporters/index.js';
import { Collector } from './collector.js';
import { loadConfig, type CollectorConfig } from './config/load-config.js';
import { CollectorError, formatIssues } from './errors.js';
import { createJsonLogger } from './telemetry/logger.js';
import { COLLECTOR_VERSION } from './version.js';

const USAGE = `a2a-trace-collector ${COLLECTOR_VERSION}

Usage:
  a2a-trace-collector [serve] [--config FILE] [--host HOST] [--port PORT] [--log-level LEVEL]
  a2a-trace-collector validate --config FILE
  a2a-trace-collector --help | --version

With no config, serve listens on 127.0.0.1:4320 with the in-memory store, the query API and
/metrics. OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_* variables) add an OTLP exporter.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function load(values: Record<string, string | boolean | undefined>): Promise<CollectorConfig> {
  const overrides: Record<string, unknown> = {};
  const server: Record<string, unknown> = {};
  if (typeof values['host'] === 'string') server['host'] = values['host'];
  if (typeof values['port'] === 'string') {
    const port = Number(values['port']);
    if (!Number.isInteger(port)) fail(`--port: expected a whole number, got ${values['port']}`);
    server['port'] = port;
  }
  if (Object.keys(server).length > 0) overrides['server'] = server;
  if (typeof values['log-level'] === 'string') overrides['log_level'] = values['log-level'];
  const file = typeof values['config'] === 'string' ? values['config'] : undefined;
  return loadConfig({ file, env: process.env, overrides }, builtInExporterFactories);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version === true) {
    process.stdout.write(`${COLLECTOR_VERSION}\n`);
    return;
  }
  const command = positionals[0] ?? 'serve';

  let config: CollectorConfig;
  try {
    if (command === 'validate' && values.config === undefined) fail('validate needs --config FILE');
    config = await load(values);
  } catch (error) {
    if (error instanceof CollectorError) fail(`${error.code}: ${error.message}\n${formatIssues(error.issues)}`);
    throw error;
  }

  if (command === 'validate') {
    process.stdout.write(`config OK: ${values.config}\n`);
    return;
  }
  if (command !== 'serve') fail(`unknown command ${command}\n\n${USAGE}`);

  const logger = createJsonLogger(config.log_level);
  const collector = new Collector(config, { logger });
  try {
    await collector.start();
  } catch (error) {
    fail(`cannot listen on ${config.server.host}:${config.server.port}: ${(error as Error).message}`, 1);
  }
  const stop = (signal: string): void => {
    logger.log('info', 'shutting down', { signal });
    collector.shutdown().then(
      () => process.exit(0),
      (error: unknown) => fail(`shutdown failed: ${String(error)}`, 1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => fail(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 1));
