/**
 * @module `serve`: runs the collector until SIGINT or SIGTERM, then stops intake, drains the
 * exporter queues and closes them.
 */
import { Collector } from '../collector.js';
import { createJsonLogger } from '../telemetry/logger.js';
import { EXIT_USAGE, loadCommandConfig, type Command } from './command.js';

/** Waits for SIGINT or SIGTERM; resolves with the signal's name. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/** The `serve` command. */
export const serveCommand: Command = async (options) => {
  const config = await loadCommandConfig(options);
  const logger = createJsonLogger(config.log_level);
  const collector = new Collector(config, { logger });
  try {
    await collector.start();
  } catch (error) {
    options.stderr(`cannot listen on ${config.server.host}:${config.server.port}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const signal = await untilSignal();
  logger.log('info', 'shutting down', { signal });
  await collector.shutdown();
  return 0;
};
