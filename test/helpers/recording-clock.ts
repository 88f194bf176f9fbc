/** A retry clock for tests: its sleeps return at once and move time forward, and it keeps every wait asked for. */
import type { RetryClock } from '../../src/fan-out/retrying-exporter.js';

export class RecordingClock implements RetryClock {
  readonly sleeps: number[] = [];
  private millis = 0;
  now(): number {
    return this.millis;
  }
  sleep(millis: number): Promise<void> {
    this.sleeps.push(millis);
    this.millis += millis;
    return Promise.resolve();
  }
}
