/**
 * @module Structured logging: one JSON object per line on stderr, so that log shippers read it as is.
 */

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** What components log through. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Logger writing JSON lines to a stream (stderr by default), dropping lines below `minLevel`. */
export function createJsonLogger(minLevel: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  return {
    log(level, message, fields) {
      if (ORDER[level] < ORDER[minLevel]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`);
    },
  };
}

/** A logger that discards everything (tests that do not look at logs). */
export const silentLogger: Logger = { log() {} };

/**
 * Logs a recurring problem once per burst: the first occurrence at once, then at most one summary
 * line per `windowMillis` with how many more happened.
 */
export class BurstLogger {
  private suppressed = 0;
  private windowEndsAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly windowMillis = 10_000,
  ) {}

  /** Records one occurrence; logs it when the previous burst's window is over. */
  log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    const now = Date.now();
    if (now < this.windowEndsAt) {
      this.suppressed++;
      return;
    }
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.windowEndsAt = now + this.windowMillis;
    this.logger.log(level, message, suppressed > 0 ? { ...fields, suppressedSinceLastLog: suppressed } : fields);
  }
}
