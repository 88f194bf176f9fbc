/**
 * @module The price table in force: the shipped one, or the user's `pricing.file` (JSON or YAML, the
 * same shape), which replaces it and is read again when it changes. The file is watched by polling
 * its stat (`fs.watchFile`), not by `fs.watch`: editors save by writing a new file and renaming it
 * over the old one, which an inode watch stops following, and polling works the same on every file
 * system. A file that stops being valid keeps the last good table in force and is logged once per
 * change; at start, an unreadable or invalid file is a configuration error.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../../telemetry/logger.js';
import { PriceTable } from './price-table.js';
import * as errors from '../../error-catalog.js';

/** Where the prices come from. */
export interface PricingSourceOptions {
  /** `pricing.file`; the shipped table when undefined. */
  readonly file?: string | undefined;
  readonly logger: Logger;
  /** How often the file's stat is polled, in milliseconds. Default 2,000. */
  readonly pollMillis?: number;
  /** Called with each table read again after a change. */
  readonly onReload?: (table: PriceTable) => void;
}

function readTable(file: string): PriceTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw errors.configUnreadable(file, (error as Error).message);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw errors.configNotYaml(file, (error as Error).message);
  }
  return PriceTable.parse(value, 'pricing.file');
}

/** The table in force, kept up to date with `pricing.file`. */
export class PricingSource {
  private table: PriceTable;
  private watching = false;
  private readonly onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino) return;
    this.reload();
  };

  /** @throws CollectorError when `file` cannot be read or is not a valid table. */
  constructor(private readonly options: PricingSourceOptions) {
    this.table = options.file === undefined ? PriceTable.shipped() : readTable(options.file);
  }

  /** The table in force now. */
  current(): PriceTable {
    return this.table;
  }

  /** Starts watching `pricing.file` (nothing to do for the shipped table). The poll does not keep the process alive. */
  start(): void {
    const file = this.options.file;
    if (file === undefined || this.watching) return;
    this.watching = true;
    watchFile(file, { interval: this.options.pollMillis ?? 2_000, persistent: false }, this.onChange);
  }

  /** Stops watching. Safe to call twice. */
  close(): void {
    if (this.options.file !== undefined && this.watching) unwatchFile(this.options.file, this.onChange);
    this.watching = false;
  }

  private reload(): void {
    const file = this.options.file as string;
    try {
      this.table = readTable(file);
      this.options.logger.log('info', 'price table read again', { file, asOf: this.table.asOf });
      this.options.onReload?.(this.table);
    } catch (error) {
      this.options.logger.log('warn', 'price table not valid; the last good one stays in force', { file, error: (error as Error).message });
    }
  }
}
