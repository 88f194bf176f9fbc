/**
 * @module What every CLI command is: a function of its parsed options that returns an exit code.
 * Commands never exit the process themselves; src/cli.ts does.
 */
import { builtInExporterFactories } from '../../exporters/index.js';
import { loadConfig, type CollectorConfig } from '../config/load-config.js';

/** Options every command may get from the command line. */
export interface CommandOptions {
  readonly config?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly logLevel?: string | undefined;
  /** `send`: the collector to post to. */
  readonly to?: string | undefined;
  /** `proxy`: the A2A agent to forward to. */
  readonly upstream?: string | undefined;
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** A CLI command: resolves with the process exit code. */
export type Command = (options: CommandOptions) => Promise<number>;

/** Exit code for usage and configuration errors (every `CFG_ERR_*`). */
export const EXIT_USAGE = 2;

/**
 * Loads the configuration from the config file, the environment and the server flags.
 * @throws CollectorError with every problem (the CLI prints them).
 */
export async function loadCommandConfig(options: CommandOptions, extraOverrides: Record<string, unknown> = {}): Promise<CollectorConfig> {
  const overrides: Record<string, unknown> = { ...extraOverrides };
  const server: Record<string, unknown> = {};
  if (options.host !== undefined) server['host'] = options.host;
  if (options.port !== undefined) server['port'] = /^\d+$/.test(options.port) ? Number(options.port) : options.port;
  if (Object.keys(server).length > 0) overrides['server'] = server;
  if (options.logLevel !== undefined) overrides['log_level'] = options.logLevel;
  return loadConfig({ file: options.config, env: options.env, overrides }, builtInExporterFactories);
}
