/**
 * @module `validate --config FILE`: checks a configuration without starting anything.
 */
import { EXIT_USAGE, loadCommandConfig, type Command } from './command.js';

/** The `validate` command. */
export const validateCommand: Command = async (options) => {
  if (options.config === undefined) {
    options.stderr('validate needs --config FILE\n');
    return EXIT_USAGE;
  }
  await loadCommandConfig(options);
  options.stdout(`config OK: ${options.config}\n`);
  return 0;
};
