/**
 * @module The time an agent gets to answer: once the whole request reached it, `response` millis to
 * start its answer; then `idle` millis of silence at most between two reads of its body. One timer,
 * restarted by every read.
 */

/** Which of the agent's timeouts fired: before its answer started, or in the middle of its body. */
export type UpstreamTimeout = 'response' | 'idle';

/** The agent's two timeouts. */
export interface UpstreamTimerOptions {
  /** How long the agent may take to start its answer once the whole request reached it, in milliseconds. */
  readonly responseTimeoutMillis: number;
  /** Longest silence inside an answer's body, in milliseconds. */
  readonly idleTimeoutMillis: number;
}

/** Fires `onTimeout` when the agent takes too long: to start its answer, or between two reads of its body. */
export class UpstreamTimer {
  private timer: NodeJS.Timeout | undefined;
  private phase: UpstreamTimeout = 'response';

  constructor(
    private readonly options: UpstreamTimerOptions,
    private readonly onTimeout: (phase: UpstreamTimeout) => void,
  ) {}

  /** Starts the timer for `phase`, or restarts it when it already runs for `phase`. */
  arm(phase: UpstreamTimeout): void {
    if (this.timer !== undefined && this.phase === phase) {
      this.timer.refresh();
      return;
    }
    this.disarm();
    this.phase = phase;
    const millis = phase === 'response' ? this.options.responseTimeoutMillis : this.options.idleTimeoutMillis;
    this.timer = setTimeout(() => this.fire(phase), millis);
    this.timer.unref();
  }

  /** Stops the timer; safe when it does not run. */
  disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(phase: UpstreamTimeout): void {
    this.timer = undefined;
    this.onTimeout(phase);
  }
}
