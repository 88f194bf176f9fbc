/**
 * @module The fan-out between ingest and the exporters: admission (the spool, or without one every
 * queue, must have room, else the request is refused with 503 and nothing is half-accepted), the
 * spool record, then every exporter (through its spool feed, or straight into its queue) and every
 * in-process consumer (the store) gets the spans.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CollectorError } from '../errors.js';
import { SpoolFeed, type RecordDecoder } from '../spool/spool-feed.js';
import type { Spool } from '../spool/spool.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
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

/** A spool and what its feeds report to. */
export interface PipelineSpool {
  readonly spool: Spool;
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** Whether what is undelivered at shutdown stays for the next start (false for a temporary spool). */
  readonly keepsUndelivered: boolean;
}

/** The pipeline: queued exporters plus in-process consumers that never block. */
export class Pipeline implements SpanConsumer {
  /** One feed per queued exporter, in the same order, once {@link startFeeds} ran. */
  private feeds: SpoolFeed[] | undefined;

  constructor(
    private readonly queued: readonly QueuedExporter[],
    private readonly inProcess: readonly SpanExporter[],
    private readonly spooled: PipelineSpool | undefined = undefined,
    private readonly retryAfterSeconds = 5,
  ) {}

  /**
   * Starts reading the (opened) spool into the exporters' queues, from each one's cursor on.
   * `replayedSpans` gives, per exporter, the spans after its cursor (a restart's backlog).
   */
  startFeeds(decode: RecordDecoder, replayedSpans: ReadonlyMap<string, number>): void {
    const spooled = this.spooled;
    if (spooled === undefined) return;
    this.feeds = this.queued.map((queue) => {
      const feed = new SpoolFeed(queue, spooled.spool, decode, spooled.metrics, spooled.logger, replayedSpans.get(queue.name) ?? 0);
      queue.setRoomListener(() => feed.onRoom());
      return feed;
    });
  }

  consume(spans: ReadableSpan[], source?: SpoolSource): void {
    const bytes = this.queued.length > 0 ? estimateSpansBytes(spans) : 0;
    const feeds = source === undefined ? undefined : this.feeds;
    if (feeds === undefined) this.admitToQueues(bytes);
    let sequence: number | undefined;
    if (feeds !== undefined && source !== undefined && this.spooled !== undefined && this.queued.length > 0) {
      const spool = this.spooled.spool;
      const record = source.toRecord();
      if (!spool.hasRoomFor(record.length)) {
        throw new CollectorError(
          'A2A_ERR_SPOOL_FULL',
          `the spool holds spool.max_bytes (${spool.capacityBytes}) of records an exporter has not delivered; retry later`,
          [],
          this.retryAfterSeconds,
        );
      }
      sequence = spool.append(record);
    }
    if (feeds !== undefined && sequence !== undefined) for (const feed of feeds) feed.offer(spans, bytes, sequence);
    else for (const queue of this.queued) queue.enqueue(spans, bytes);
    this.deliverInProcess(spans);
  }

  /** Without a spool, every queue must have room now: their memory is all there is. */
  private admitToQueues(bytes: number): void {
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
  }

  /** Hands spans to the in-process consumers only (the store), as a replay from the spool does. */
  deliverInProcess(spans: ReadableSpan[]): void {
    for (const consumer of this.inProcess) consumer.export(spans, () => {});
  }

  durable(): Promise<void> {
    return this.spooled?.spool.durable() ?? Promise.resolve();
  }

  /** Exports everything queued, and everything the spool holds for an exporter. */
  async forceFlush(timeoutMillis = 30_000): Promise<void> {
    await this.flush(Date.now() + timeoutMillis);
  }

  /** Drains and shuts down every exporter, in-process consumers last. */
  async shutdown(timeoutMillis = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    await this.flush(deadline);
    for (const feed of this.feeds ?? []) feed.stop(this.spooled?.keepsUndelivered ?? false);
    await Promise.all(this.queued.map((queue) => queue.shutdown(Math.max(0, deadline - Date.now()))));
    await Promise.all(this.inProcess.map((consumer) => consumer.shutdown()));
  }

  private async flush(deadline: number): Promise<void> {
    const feeds = this.feeds;
    if (feeds !== undefined) await Promise.all(feeds.map((feed) => feed.flush(deadline)));
    else await Promise.all(this.queued.map((queue) => queue.forceFlush(Math.max(0, deadline - Date.now()))));
  }
}
