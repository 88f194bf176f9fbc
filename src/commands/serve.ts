/**
 * @module `serve`: runs the collector until SIGINT, SIGTERM or SIGHUP, then stops intake, drains the
 * exporter queues and closes them.
 */
import { Collector } from '../collector.js';
import { createJsonLogger } from '../telemetry/logger.js';
import { EXIT_USAGE, loadCommandConfig, type Command } from './command.js';

/** The signals that stop the collector the same way: stop intake, drain the queues, exit 0. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Waits for SIGINT, SIGTERM or SIGHUP; resolves with the signal's name. SIGHUP (the terminal or
 * session went away; a supervisor's "reload") drains like SIGTERM: there is no reload, and Node's
 * default for it is to exit at once, losing every queued span. After the first signal a second
 * SIGINT or SIGTERM ends the process at once (Node's default again), while a later SIGHUP is
 * ignored, so that a closing terminal cannot cut the drain short.
 */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      for (const name of STOP_SIGNALS) process.off(name, stop);
      process.on('SIGHUP', () => {});
      resolve(signal);
    };
    for (const name of STOP_SIGNALS) process.on(name, stop);
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
    options.stderr(`cannot listen: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const signal = await untilSignal();
  logger.log('info', 'shutting down', { signal });
  await collector.shutdown();
  return 0;
};
