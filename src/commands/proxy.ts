/**
 * @module `proxy --upstream URL [--host HOST] [--port PORT]`: runs the collector together with the
 * A2A reverse proxy in front of one agent until SIGINT, SIGTERM or SIGHUP. `--host`/`--port` place the
 * proxy; the collector's API stays on `server.host`/`server.port` (config file). Once both listen,
 * prints their URLs to stdout, whatever the log level (`--port 0` picks a free port):
 *
 * ```
 * proxy: http://127.0.0.1:4321
 * collector: http://127.0.0.1:4320
 * ```
 */
import { ProxySidecar } from '../../receivers/a2a-proxy/proxy-sidecar.js';
import { createJsonLogger } from '../telemetry/logger.js';
import { EXIT_USAGE, loadCommandConfig, type Command } from './command.js';
import { untilSignal } from './serve.js';

/** The `proxy` command. */
export const proxyCommand: Command = async (options) => {
  if (options.args.length > 0) {
    options.stderr(`proxy takes no FILE arguments (got ${options.args.join(' ')})\n`);
    return EXIT_USAGE;
  }
  const proxy: Record<string, unknown> = {};
  if (options.upstream !== undefined) proxy['upstream'] = options.upstream;
  if (options.host !== undefined) proxy['host'] = options.host;
  if (options.port !== undefined) proxy['port'] = /^\d+$/.test(options.port) ? Number(options.port) : options.port;
  const config = await loadCommandConfig(
    { ...options, host: undefined, port: undefined },
    Object.keys(proxy).length > 0 ? { proxy } : {},
  );
  const logger = createJsonLogger(config.log_level);
  const sidecar = new ProxySidecar(config, { logger });
  try {
    const addresses = await sidecar.start();
    options.stdout(`proxy: ${addresses.proxy.url}\ncollector: ${addresses.collector.url}\n`);
  } catch (error) {
    options.stderr(`cannot listen: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const signal = await untilSignal();
  logger.log('info', 'shutting down', { signal });
  await sidecar.shutdown();
  return 0;
};
