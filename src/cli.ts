#!/usr/bin/env node
/**
 * @module The command line: parses arguments and runs one command from src/commands. The only
 * place that exits the process.
 */
import { parseArgs } from 'node:util';
import { convertCommand } from './commands/convert.js';
import type { Command, CommandOptions } from './commands/command.js';
import { EXIT_USAGE } from './commands/command.js';
import { proxyCommand } from './commands/proxy.js';
import { sendCommand } from './commands/send.js';
import { serveCommand } from './commands/serve.js';
import { validateCommand } from './commands/validate.js';
import { CollectorError, formatIssues } from './errors.js';
import { COLLECTOR_VERSION } from './version.js';

const USAGE = `a2a-trace-collector ${COLLECTOR_VERSION}

Usage:
  a2a-trace-collector [serve] [--config FILE] [--host HOST] [--port PORT] [--log-level LEVEL]
  a2a-trace-collector validate --config FILE
  a2a-trace-collector send FILE... [--to URL]
  a2a-trace-collector convert FILE [--config FILE]
  a2a-trace-collector proxy --upstream URL [--host HOST] [--port PORT] [--config FILE]
  a2a-trace-collector --help | --version

With no config, serve listens on 127.0.0.1:4320 with the in-memory store, the query API and
/metrics. OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_* variables) add an OTLP exporter.
send posts captured files (JSON, or SSE transcripts) to a running collector (default
http://127.0.0.1:4320). convert prints the OTLP JSON the collector would export for a file.
`;

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  validate: validateCommand,
  send: sendCommand,
  convert: convertCommand,
  proxy: proxyCommand,
};

async function main(argv: readonly string[]): Promise<number> {
  const stdout = (text: string): void => void process.stdout.write(text);
  const stderr = (text: string): void => void process.stderr.write(text);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        'log-level': { type: 'string' },
        to: { type: 'string' },
        upstream: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    stderr(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    stdout(USAGE);
    return 0;
  }
  if (values.version === true) {
    stdout(`${COLLECTOR_VERSION}\n`);
    return 0;
  }
  const name = positionals[0] ?? 'serve';
  const command = COMMANDS[name];
  if (command === undefined) {
    stderr(`unknown command ${name}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const options: CommandOptions = {
    config: values.config,
    host: values.host,
    port: values.port,
    logLevel: values['log-level'],
    to: values.to,
    upstream: values.upstream,
    args: positionals.slice(1),
    env: process.env,
    stdout,
    stderr,
  };
  try {
    return await command(options);
  } catch (error) {
    if (error instanceof CollectorError) {
      stderr(`${error.code}: ${error.message}\n${formatIssues(error.issues)}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  // Exit once stdout has drained: a pipe may still hold the end of a long `convert` output.
  (code) => void process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
