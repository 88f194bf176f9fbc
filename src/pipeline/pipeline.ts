/**
 * @module The fan-out between ingest and the exporters: admission (all queues must have room, else
 * the request is refused with 503 and nothing is half-accepted), then every queued exporter and
 * every in-process consumer (store, span metrics) gets the spans.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CollectorError } from '../errors.js';
import type { QueuedExporter } from './queued-exporter.js';
import { estimateSpansBytes } from './span-size.js';

/** Where mapped spans go. */
export interface SpanConsumer {
  /**
   * Takes the spans of one or more whole traces.
   * @throws CollectorError `A2A_ERR_QUEUE_FULL` when an exporter queue has no room; nothing was taken.
   */
  consume(spans: ReadableSpan[]): void;
}

/** The pipeline: queued exporters plus in-process consumers that never block. */
export class Pipeline implements SpanConsumer {
  constructor(
    private readonly queued: readonly QueuedExporter[],
    private readonly inProcess: readonly SpanExporter[],
    private readonly retryAfterSeconds = 5,
  ) {}

  consume(spans: ReadableSpan[]): void {
    const bytes = this.queued.length > 0 ? estimateSpansBytes(spans) : 0;
    for (const queue of this.queued) {
      // More than the queue can ever hold: retrying cannot help, so this is no 503.
      if (bytes > queue.capacityBytes) {
        throw new CollectorError(
          'A2A_ERR_BODY_TOO_LARGE',
          `the request's spans (about ${bytes} bytes) exceed exporter ${queue.name}'s queue (sending_queue.queue_size_bytes ${queue.capacityBytes}); send fewer traces per request`,
        );
      }
      if (!queue.hasRoomFor(bytes)) {
        throw new CollectorError(
          'A2A_ERR_QUEUE_FULL',
          `exporter ${queue.name} is behind and its queue is full; retry later`,
          [],
          this.retryAfterSeconds,
        );
      }
    }
    for (const queue of this.queued) queue.enqueue(spans, bytes);
    for (const consumer of this.inProcess) consumer.export(spans, () => {});
  }

  /** Exports everything queued. */
  async forceFlush(timeoutMillis?: number): Promise<void> {
    await Promise.all(this.queued.map((queue) => queue.forceFlush(timeoutMillis)));
  }

  /** Drains and shuts down every exporter, in-process consumers last. */
  async shutdown(timeoutMillis?: number): Promise<void> {
    await Promise.all(this.queued.map((queue) => queue.shutdown(timeoutMillis)));
    await Promise.all(this.inProcess.map((consumer) => consumer.shutdown()));
  }
}
