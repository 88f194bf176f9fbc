/**
 * @module The price table in force: the shipped one, or the user's `pricing.file` (JSON or YAML, the
 * same shape), which replaces it and is read again when it changes. The file is watched by polling
 * its stat on a timer that does not keep the process alive, not by `fs.watch`: editors save by
 * writing a new file and renaming it over the old one, which an inode watch stops following, and
 * `fs.watch` reports nothing on some network and container file systems; a stat of one small file
 * every few seconds costs nothing. Each poll compares the stat with that of the version last read,
 * not with the previous poll as `fs.watchFile` does: `fs.watchFile` takes its baseline at its own
 * first poll, so a save between reading the file and that poll would never be seen. A file that stops
 * being valid keeps the last good table in force and is logged once (again only when the problem
 * changes); at start, an unreadable or invalid file is a configuration error.
 */
import { readFileSync, stat, statSync, type Stats } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CollectorError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { PriceTable } from './price-table.js';
import * as errors from '../../error-catalog.js';

/** Where the prices come from. */
export interface PricingSourceOptions {
  /** `pricing.file`: a table that replaces the shipped one. Default: the shipped table, never re-read. */
  readonly file?: string | undefined;
  /** Where a reload, or a file that turned invalid, is logged. */
  readonly logger: Logger;
  /** How often the file's stat is polled, in milliseconds. Default 2,000. */
  readonly pollMillis?: number;
  /** Called with each table read again after a change (not with the first). */
  readonly onReload?: (table: PriceTable) => void;
}

/** The config key the file is named by, and the path its issues start with. */
const ORIGIN = 'pricing.file';

/**
 * Reads and validates the table in `file`.
 * @throws CollectorError `CFG_ERR_FILE` when it cannot be read or parsed, `CFG_ERR_INVALID` when it is not a valid table.
 */
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
  return PriceTable.parse(value, ORIGIN);
}

/** What tells one version of the file from another: a save changes its mtime or size, a rename over it its inode. */
function versionOf(stats: Stats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

/** The version of `file` now; undefined when it cannot be stat'ed (reading it will say why). */
function versionNow(file: string): string | undefined {
  try {
    return versionOf(statSync(file));
  } catch {
    return undefined;
  }
}

/** What a failed reload is logged with: the message and, for a table that is not valid, its issues. */
function describeFailure(error: unknown): Readonly<Record<string, unknown>> {
  if (error instanceof CollectorError) return { code: error.code, error: error.message, issues: error.issues };
  return { error: error instanceof Error ? error.message : String(error) };
}

/** The table in force, kept up to date with `pricing.file`; see the module description. */
export class PricingSource {
  private readonly file: string | undefined;
  private table: PriceTable;
  /** The version of the file {@link table} was read from, or last tried. */
  private version: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** The failure last logged, so that a file that stays broken the same way is logged once. */
  private lastFailure: string | undefined;

  /** @throws CollectorError `CFG_ERR_FILE` or `CFG_ERR_INVALID` when `file` cannot be read or is not a valid table. */
  constructor(private readonly options: PricingSourceOptions) {
    this.file = options.file;
    // Stat before reading: a save in between is then seen as a change by the first poll.
    this.version = this.file === undefined ? undefined : versionNow(this.file);
    this.table = this.file === undefined ? PriceTable.shipped() : readTable(this.file);
  }

  /** The table in force now. Callers MUST ask again for each pricing rather than keep the table. */
  current(): PriceTable {
    return this.table;
  }

  /** Starts polling `pricing.file` every `pollMillis` (nothing to do for the shipped table). The timer does not keep the process alive. */
  start(): void {
    if (this.file === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => this.poll(), this.options.pollMillis ?? 2_000);
    this.timer.unref();
  }

  /** Stops polling. Safe to call twice, or without {@link start}. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    const file = this.file;
    if (file === undefined || this.polling) return;
    this.polling = true;
    stat(file, (error, stats) => {
      this.polling = false;
      if (this.timer === undefined) return;
      const version = error === null ? versionOf(stats) : `unreadable:${error.code ?? error.message}`;
      if (version === this.version) return;
      this.version = version;
      this.reload(file);
    });
  }

  private reload(file: string): void {
    let table: PriceTable;
    try {
      table = readTable(file);
    } catch (error) {
      const fields = describeFailure(error);
      const failure = JSON.stringify(fields);
      if (failure !== this.lastFailure) this.options.logger.log('warn', 'price table not valid; the last good one stays in force', { file, ...fields });
      this.lastFailure = failure;
      return;
    }
    this.table = table;
    this.lastFailure = undefined;
    this.options.logger.log('info', 'price table read again', { file, asOf: table.asOf });
    this.options.onReload?.(table);
  }
}
