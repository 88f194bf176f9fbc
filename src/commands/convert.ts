/**
 * @module `convert FILE`: prints the OTLP/JSON export request the collector would send for a file,
 * without any server, through the same intake and mapping as ingest. For debugging an agent's output.
 */
import { readFile } from 'node:fs/promises';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { PricingSource } from '../accounting/pricing/pricing-source.js';
import { traceIntakeFromConfig } from '../accounting/trace-intake.js';
import { silentLogger } from '../telemetry/logger.js';
import { SelfMetrics } from '../telemetry/self-metrics.js';
import { EXIT_USAGE, loadCommandConfig, type Command } from './command.js';
import { mediaTypeOfFile } from './send.js';

/** Largest export printed indented; larger ones are printed compact. */
export const PRETTY_PRINT_MAX_SPANS = 10_000;

/** The `convert` command. */
export const convertCommand: Command = async (options) => {
  const file = options.args[0];
  if (file === undefined || options.args.length > 1) {
    options.stderr('convert needs exactly one FILE\n');
    return EXIT_USAGE;
  }
  const config = await loadCommandConfig(options);
  const text = await readFile(file, 'utf8');
  const prices = new PricingSource({ file: config.pricing.file, logger: silentLogger }).current();
  const spans: ReadableSpan[] = [];
  const intake = traceIntakeFromConfig(
    config,
    {
      consume: (batch) => {
        // A loop, not push(...batch): a spread of 100,000s of spans overflows the stack.
        for (const span of batch) spans.push(span);
      },
      durable: () => Promise.resolve(),
    },
    new SelfMetrics(new Registry()),
    () => prices,
  );
  const accepted = intake.ingestText(text, mediaTypeOfFile(file, text));
  for (const trace of accepted) {
    for (const warning of trace.warnings) options.stderr(`warning ${warning.path === '' ? '(root)' : warning.path}: ${warning.message}\n`);
  }
  const request = Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array());
  // Pretty-printed for reading; past PRETTY_PRINT_MAX_SPANS as the serializer wrote it, because an
  // indented copy of a very large export can pass the longest string V8 can build.
  const output = spans.length <= PRETTY_PRINT_MAX_SPANS ? JSON.stringify(JSON.parse(request.toString('utf8')), null, 2) : request.toString('utf8');
  options.stdout(`${output}\n`);
  return 0;
};
