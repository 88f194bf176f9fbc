/**
 * @module The fan-out between ingest and the exporters: admission (all queues, and the spool, must
 * have room, else the request is refused with 503 and nothing is half-accepted), the spool record,
 * then every queued exporter and every in-process consumer (the store) gets the spans.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CollectorError } from '../errors.js';
import type { Spool } from '../spool/spool.js';
import type { QueuedExporter } from './queued-exporter.js';
import { estimateSpansBytes } from './span-size.js';

/** What a batch of spans came from, written to the spool as one record so that it can be replayed. */
export interface SpoolSource {
  /** The record's bytes. Called only when a spool is configured, after admission. */
  toRecord(): Buffer;
}

/** Where mapped spans go. */
export interface SpanConsumer {
  /**
   * Takes the spans of one or more whole traces; `source` is what the spool writes down for them.
   * @throws CollectorError `A2A_ERR_QUEUE_FULL` or `A2A_ERR_SPOOL_FULL` when there is no room; nothing was taken.
   */
  consume(spans: ReadableSpan[], source?: SpoolSource): void;
  /**
   * Resolves once everything consumed so far is durable (in the spool, when there is one). Callers
   * MUST wait for it before answering that a request was accepted.
   */
  durable(): Promise<void>;
}

/** The pipeline: queued exporters plus in-process consumers that never block. */
export class Pipeline implements SpanConsumer {
  constructor(
    private readonly queued: readonly QueuedExporter[],
    private readonly inProcess: readonly SpanExporter[],
    private readonly spool: Spool | undefined = undefined,
    private readonly retryAfterSeconds = 5,
  ) {}

  consume(spans: ReadableSpan[], source?: SpoolSource): void {
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
    let sequence: number | undefined;
    if (this.spool !== undefined && source !== undefined && this.queued.length > 0) {
      const record = source.toRecord();
      if (!this.spool.hasRoomFor(record.length)) {
        throw new CollectorError(
          'A2A_ERR_SPOOL_FULL',
          `the spool holds spool.max_bytes (${this.spool.capacityBytes}) of records an exporter has not delivered; retry later`,
          [],
          this.retryAfterSeconds,
        );
      }
      sequence = this.spool.append(record);
    }
    for (const queue of this.queued) queue.enqueue(spans, bytes, sequence);
    this.deliverInProcess(spans);
  }

  /** Hands spans to the in-process consumers only (the store), as a replay from the spool does. */
  deliverInProcess(spans: ReadableSpan[]): void {
    for (const consumer of this.inProcess) consumer.export(spans, () => {});
  }

  durable(): Promise<void> {
    return this.spool?.durable() ?? Promise.resolve();
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
