/**
 * @module The fan-out between ingest and the exporters, in two steps so that a request is either
 * wholly accepted or changes nothing. Admission checks and stages everything and changes nothing:
 * room (the spool, or without one every queue, else 503), the spool record, what each in-process
 * consumer (the store) would change. The commit, which cannot fail, then appends the record and
 * hands the spans to every exporter (through its spool feed, or straight into its queue) and to
 * every in-process consumer.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpoolFeed, type RecordDecoder } from '../spool/spool-feed.js';
import type { Spool } from '../spool/spool.js';
import { BurstLogger, type Logger } from '../telemetry/logger.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import type { QueuedExporter } from './queued-exporter.js';
import { estimateListBytes, estimateSpanBytes } from './span-size.js';
import * as errors from '../error-catalog.js';

/** What a batch of spans came from, written to the spool as one record so that it can be replayed. */
export interface SpoolSource {
  /** The record's bytes. Called only when a spool is configured, after admission. */
  toRecord(): Buffer;
}

/** Spans admitted and staged, not yet taken. */
export interface Admission {
  /** Takes them: spools, exports and stores. Does not throw. */
  commit(): void;
}

/** Where mapped spans go. */
export interface SpanConsumer {
  /**
   * Checks that the spans of one or more whole traces can be taken, and stages them; `source` is
   * what the spool writes down for them. Changes nothing until the admission is committed.
   * @throws CollectorError `A2A_ERR_QUEUE_FULL` or `A2A_ERR_SPOOL_FULL` when there is no room, or
   * whatever an in-process consumer throws while staging; nothing was taken.
   */
  admit(spans: ReadableSpan[], source?: SpoolSource): Admission;
  /**
   * Resolves once everything consumed so far is durable (in the spool, when there is one). Callers
   * MUST wait for it before answering that a request was accepted.
   */
  durable(): Promise<void>;
}

/** A consumer in this process (the store), by name for metrics and logs. */
export interface InProcessConsumer {
  readonly name: string;
  /**
   * Works out what taking `spans` would change, changing nothing, and returns that change, which is
   * applied once the request is accepted and MUST NOT throw. A throw here refuses the request.
   * `spanBytes`, when given, holds each span's `estimateSpanBytes`.
   */
  stage(spans: readonly ReadableSpan[], spanBytes?: readonly number[]): () => void;
  shutdown(): Promise<void>;
}

/** An in-process consumer that is only an exporter (embedding, tests): it gets the spans once they are accepted. */
export function afterAcceptance(name: string, exporter: SpanExporter): InProcessConsumer {
  return {
    name,
    stage: (spans) => () => exporter.export([...spans], () => {}),
    shutdown: () => exporter.shutdown(),
  };
}

/** What the pipeline runs with besides its exporters. */
export interface PipelineOptions {
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** The durable spool, if there is one. */
  readonly spool?: Spool | undefined;
  /** Whether what is undelivered at shutdown stays in the spool for the next start (false for a temporary spool). */
  readonly keepsUndelivered?: boolean;
  /** `Retry-After` of a 503 when there is no room. Default 5. */
  readonly retryAfterSeconds?: number;
}

/**
 * Runs `effect`, a change that comes after a request was accepted and MUST NOT throw (a staged
 * change, an exporter-only consumer): a throw there is a bug, not a reason to answer that the
 * request was refused, since it was not. So it is logged (once per burst) and counted in
 * `a2a_collector_consumer_errors_total{consumer}`, and the other consumers still get the spans.
 */
export function contain(name: string, effect: () => void, metrics: SelfMetrics, log: BurstLogger): void {
  try {
    effect();
  } catch (error) {
    metrics.consumerErrors.inc({ consumer: name });
    log.log('error', 'a consumer failed on accepted spans; they stay accepted and exported', { consumer: name, error: (error as Error).message });
  }
}

/** The pipeline: queued exporters plus in-process consumers that never block. */
export class Pipeline implements SpanConsumer {
  /** One feed per queued exporter, in the same order, once {@link startFeeds} ran. */
  private feeds: SpoolFeed[] | undefined;
  private readonly spool: Spool | undefined;
  private readonly retryAfterSeconds: number;
  private readonly consumerLog: BurstLogger;

  constructor(
    private readonly queued: readonly QueuedExporter[],
    private readonly inProcess: readonly InProcessConsumer[],
    private readonly options: PipelineOptions,
  ) {
    this.spool = options.spool;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
    this.consumerLog = new BurstLogger(options.logger);
  }

  /**
   * Starts reading the (opened) spool into the exporters' queues, from each one's cursor on.
   * `replayedSpans` gives, per exporter, the spans after its cursor (a restart's backlog).
   */
  startFeeds(decode: RecordDecoder, replayedSpans: ReadonlyMap<string, number>): void {
    const spool = this.spool;
    if (spool === undefined) return;
    this.feeds = this.queued.map((queue) => {
      const feed = new SpoolFeed(queue, spool, decode, this.options.metrics, this.options.logger, replayedSpans.get(queue.name) ?? 0);
      queue.setRoomListener(() => feed.onRoom());
      return feed;
    });
  }

  admit(spans: ReadableSpan[], source?: SpoolSource): Admission {
    // Each span's estimate once, for the queues' total and the store alike.
    const spanBytes = spans.map(estimateSpanBytes);
    const bytes = this.queued.length > 0 ? estimateListBytes(spans.length, spanBytes) : 0;
    const spool = this.spool;
    const feeds = source === undefined ? undefined : this.feeds;
    let record: Buffer | undefined;
    if (feeds !== undefined && source !== undefined && spool !== undefined && this.queued.length > 0) {
      record = source.toRecord();
      if (!spool.hasRoomFor(record.length)) {
        throw errors.spoolFull(spool.capacityBytes, this.retryAfterSeconds);
      }
    } else {
      this.admitToQueues(bytes);
    }
    const staged = this.inProcess.map((consumer) => ({ name: consumer.name, change: consumer.stage(spans, spanBytes) }));
    return {
      commit: () => {
        if (record !== undefined && spool !== undefined && feeds !== undefined) {
          const sequence = spool.append(record);
          for (const feed of feeds) feed.offer(spans, bytes, sequence);
        } else {
          for (const queue of this.queued) queue.enqueue(spans, bytes);
        }
        for (const { name, change } of staged) contain(name, change, this.options.metrics, this.consumerLog);
      },
    };
  }

  /** Without a spool, every queue must have room now: their memory is all there is. */
  private admitToQueues(bytes: number): void {
    for (const queue of this.queued) {
      // More than the queue can ever hold: retrying cannot help, so this is no 503.
      if (bytes > queue.capacityBytes) {
        throw errors.spansOverQueue(bytes, queue.name, queue.capacityBytes);
      }
      if (!queue.hasRoomFor(bytes)) {
        throw errors.queueFull(queue.name, this.retryAfterSeconds);
      }
    }
  }

  /** Hands spans to the in-process consumers only (the store), as a replay from the spool does. */
  deliverInProcess(spans: ReadableSpan[]): void {
    for (const consumer of this.inProcess) contain(consumer.name, () => consumer.stage(spans)(), this.options.metrics, this.consumerLog);
  }

  durable(): Promise<void> {
    return this.spool?.durable() ?? Promise.resolve();
  }

  /** Exports everything queued, and everything the spool holds for an exporter. */
  async forceFlush(timeoutMillis = 30_000): Promise<void> {
    await this.flush(Date.now() + timeoutMillis);
  }

  /** Drains and shuts down every exporter, in-process consumers last. */
  async shutdown(timeoutMillis = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    await this.flush(deadline);
    for (const feed of this.feeds ?? []) feed.stop(this.options.keepsUndelivered ?? false);
    await Promise.all(this.queued.map((queue) => queue.shutdown(Math.max(0, deadline - Date.now()))));
    await Promise.all(this.inProcess.map((consumer) => consumer.shutdown()));
  }

  private async flush(deadline: number): Promise<void> {
    const feeds = this.feeds;
    if (feeds !== undefined) await Promise.all(feeds.map((feed) => feed.flush(deadline)));
    else await Promise.all(this.queued.map((queue) => queue.forceFlush(Math.max(0, deadline - Date.now()))));
  }
}
