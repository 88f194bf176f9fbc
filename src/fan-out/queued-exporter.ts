/**
 * @module One exporter's bounded queue (sized in bytes, the Collector's `sending_queue`) with
 * batching and up to `num_consumers` exports in flight, so that a slow backend only ever fills its
 * own queue. Batches may finish out of order; the spool cursor moves only past a record once every
 * batch that held one of its spans (and every batch taken before them) has finished.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { BurstLogger, type Logger } from '../telemetry/logger.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import { exportOnce } from './export-promise.js';
import type { ExporterHelperSettings } from './exporter-factory.js';
import { isPermanent } from './retrying-exporter.js';

/** How long shutdown waits for a batch in flight to settle after the exporter was shut down. */
const SHUTDOWN_SETTLE_MILLIS = 5_000;

/** Waits for `promise`, at most `millis`; never leaves a timer behind. */
async function within(promise: Promise<void> | undefined, millis: number): Promise<void> {
  if (promise === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, millis))))]);
  clearTimeout(timer);
}

/** Queue and batching settings of one exporter. */
export interface QueueOptions {
  /** Exporter id (`otlp`, `otlp/jaeger`), used in metrics and logs. */
  readonly name: string;
  /** Most bytes (estimated) the queue holds, in-flight batch included. */
  readonly queueSizeBytes: number;
  /** Most spans sent in one export call. */
  readonly maxExportBatchSize: number;
  /** How long a partial batch waits for more spans, in milliseconds. */
  readonly scheduledDelayMillis: number;
  /** Most exports in flight at once (the Collector's `sending_queue.num_consumers`). */
  readonly numConsumers: number;
  /** Called with a spool sequence once every span enqueued with it (and before it) was exported or given up on. */
  readonly onDelivered?: ((sequence: number) => void) | undefined;
  /**
   * What is still queued at shutdown stays in a spool that outlives the process, so it is kept, not
   * dropped. Default false.
   */
  readonly keepsUndeliveredAtShutdown?: boolean;
}

/** The queue and batch settings of an exporter's config as {@link QueueOptions}; its defaults are the schema's. */
export function queueOptionsFrom(name: string, settings: ExporterHelperSettings): Pick<QueueOptions, 'name' | 'queueSizeBytes' | 'maxExportBatchSize' | 'scheduledDelayMillis' | 'numConsumers'> {
  return {
    name,
    queueSizeBytes: settings.sending_queue.queue_size_bytes,
    maxExportBatchSize: settings.batch.max_export_batch_size,
    scheduledDelayMillis: settings.batch.scheduled_delay_millis,
    numConsumers: settings.sending_queue.num_consumers,
  };
}

interface QueuedBatch {
  /** The caller's list; never modified, because other queues and consumers hold the same one. */
  readonly spans: readonly ReadableSpan[];
  /** How many of `spans` were already taken by an earlier export. */
  taken: number;
  /** Estimated bytes of the spans not yet taken. */
  bytes: number;
  /** The spool record the spans came from. */
  readonly sequence: number | undefined;
}

/** One export call's share of the queue. */
interface TakenBatch {
  readonly spans: ReadableSpan[];
  readonly bytes: number;
  /** The spool record whose last span this batch holds, if any. */
  readonly completedSequence: number | undefined;
  /** Order in which batches were taken, so that completions are confirmed in that order. */
  readonly ticket: number;
}

/** An exporter behind a bounded byte queue. Callers MUST check {@link hasRoomFor} before {@link enqueue}. */
export class QueuedExporter {
  readonly name: string;
  /** Most bytes (estimated) the queue holds. */
  readonly capacityBytes: number;
  private readonly maxBatch: number;
  private readonly delayMillis: number;
  private readonly numConsumers: number;
  private onRoom: (() => void) | undefined;
  private readonly batches: QueuedBatch[] = [];
  /** Bytes queued, the batches in flight included. */
  private queuedBytes = 0;
  /** Spans queued and not yet taken by an export. */
  private waitingSpans = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly workers = new Set<Promise<void>>();
  private nextTicket = 0;
  /** The ticket whose completion is confirmed next; finished later tickets wait in `finished`. */
  private confirmTicket = 0;
  private readonly finished = new Map<number, number | undefined>();
  private closed = false;
  private readonly dropLog: BurstLogger;
  private readonly onDelivered: ((sequence: number) => void) | undefined;
  private readonly keepsUndelivered: boolean;
  private keptAtShutdown = 0;

  constructor(
    private readonly exporter: SpanExporter,
    options: QueueOptions,
    private readonly metrics: SelfMetrics,
    private readonly logger: Logger,
  ) {
    this.name = options.name;
    this.capacityBytes = options.queueSizeBytes;
    this.maxBatch = options.maxExportBatchSize;
    this.delayMillis = options.scheduledDelayMillis;
    this.numConsumers = options.numConsumers;
    this.dropLog = new BurstLogger(logger);
    this.onDelivered = options.onDelivered;
    this.keepsUndelivered = options.keepsUndeliveredAtShutdown ?? false;
    metrics.queueCapacityBytes.set({ exporter: this.name }, this.capacityBytes);
    metrics.queueBytes.set({ exporter: this.name }, 0);
  }

  /** Whether nothing is queued or being exported. */
  get idle(): boolean {
    return this.batches.length === 0 && this.workers.size === 0;
  }

  /** Bytes (estimated) queued now, the batches in flight included. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Calls `listener` whenever an export finished and so made room in the queue (one listener: the spool's feed). */
  setRoomListener(listener: () => void): void {
    this.onRoom = listener;
  }

  /** Whether `bytes` more fit in the queue now. */
  hasRoomFor(bytes: number): boolean {
    return !this.closed && this.queuedBytes + bytes <= this.capacityBytes;
  }

  /**
   * Adds spans to the queue; an export starts when a batch is full or the delay has passed.
   * `sequence` is the spool record they came from (sequences MUST be enqueued in increasing order).
   */
  enqueue(spans: readonly ReadableSpan[], bytes: number, sequence?: number): void {
    if (spans.length === 0) {
      if (sequence !== undefined && this.idle) this.onDelivered?.(sequence);
      return;
    }
    this.batches.push({ spans, taken: 0, bytes, sequence });
    this.queuedBytes += bytes;
    this.waitingSpans += spans.length;
    this.metrics.queueBytes.set({ exporter: this.name }, this.queuedBytes);
    if (this.workers.size >= this.numConsumers) return;
    if (this.waitingSpans >= this.maxBatch) this.startDrain();
    else this.timer ??= setTimeout(() => this.startDrain(), this.delayMillis);
  }

  /** Starts exports until `num_consumers` are in flight or nothing is left to take. */
  private startDrain(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.workers.size < this.numConsumers && this.waitingSpans > 0) {
      const worker: Promise<void> = this.exportBatch(this.takeBatch()).finally(() => {
        this.workers.delete(worker);
        if (this.closed) return;
        // A full batch goes at once; a partial one waits for more spans, as a first one does.
        if (this.waitingSpans >= this.maxBatch) this.startDrain();
        else if (this.waitingSpans > 0) this.timer ??= setTimeout(() => this.startDrain(), this.delayMillis);
        this.onRoom?.();
      });
      this.workers.add(worker);
    }
  }

  private async exportBatch(batch: TakenBatch): Promise<void> {
    const { spans, bytes } = batch;
    const result = await exportOnce(this.exporter, spans);
    this.queuedBytes -= bytes;
    this.metrics.queueBytes.set({ exporter: this.name }, this.queuedBytes);
    if (result.code !== ExportResultCode.SUCCESS && this.closed && this.keepsUndelivered) {
      // Cut short by shutdown: the spans stay in the spool for the next start, neither sent nor
      // dropped, and the cursor never moves past them (their ticket is never confirmed).
      this.keptAtShutdown += spans.length;
      return;
    }
    if (result.code === ExportResultCode.SUCCESS) {
      this.metrics.exportedSpans.inc({ exporter: this.name }, spans.length);
    } else {
      const reason = isPermanent(result) ? 'permanent_error' : 'retries_exhausted';
      this.metrics.droppedSpans.inc({ exporter: this.name, reason }, spans.length);
      this.dropLog.log('error', 'exporter dropped spans', {
        exporter: this.name,
        reason,
        spans: spans.length,
        error: result.error?.message,
      });
    }
    this.confirm(batch);
  }

  /** Confirms a finished batch; tells the spool the newest record every batch up to it completed. */
  private confirm(batch: TakenBatch): void {
    this.finished.set(batch.ticket, batch.completedSequence);
    let delivered: number | undefined;
    while (this.finished.has(this.confirmTicket)) {
      delivered = this.finished.get(this.confirmTicket) ?? delivered;
      this.finished.delete(this.confirmTicket);
      this.confirmTicket++;
    }
    if (delivered !== undefined) this.onDelivered?.(delivered);
  }

  /** Takes up to `maxBatch` spans off the front of the queue, splitting a queued batch if needed. */
  private takeBatch(): TakenBatch {
    const spans: ReadableSpan[] = [];
    let bytes = 0;
    let completedSequence: number | undefined;
    while (spans.length < this.maxBatch && this.batches.length > 0) {
      const head = this.batches[0] as QueuedBatch;
      const left = head.spans.length - head.taken;
      const count = Math.min(left, this.maxBatch - spans.length);
      const share = count === left ? head.bytes : Math.round((head.bytes * count) / left);
      for (let i = head.taken; i < head.taken + count; i++) spans.push(head.spans[i] as ReadableSpan);
      head.taken += count;
      head.bytes -= share;
      bytes += share;
      if (head.taken === head.spans.length) {
        this.batches.shift();
        completedSequence = head.sequence ?? completedSequence;
      }
    }
    this.waitingSpans -= spans.length;
    return { spans, bytes, completedSequence, ticket: this.nextTicket++ };
  }

  /** Resolves once every export in flight now has finished. */
  private inFlight(): Promise<void> | undefined {
    return this.workers.size === 0 ? undefined : Promise.all(this.workers).then(() => undefined);
  }

  /** Sends everything queued now and resolves when the queue is empty (or `timeoutMillis` passed). */
  async forceFlush(timeoutMillis = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    while (!this.idle && Date.now() < deadline) {
      this.startDrain();
      await within(this.inFlight(), deadline - Date.now());
    }
  }

  /**
   * Stops intake, drains what is queued (bounded by `timeoutMillis`), shuts the exporter down, and
   * counts what is left as dropped; with a spool, what is left stays there for the next start.
   */
  async shutdown(timeoutMillis = 30_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.forceFlush(timeoutMillis);
    if (this.timer !== undefined) clearTimeout(this.timer);
    // What is still queued is dropped here and counted once (kept, with a spool); a batch in flight is
    // counted by its own result, which the exporter's shutdown hastens (the retry decorator stops waiting).
    let left = 0;
    for (const batch of this.batches) {
      left += batch.spans.length - batch.taken;
      this.queuedBytes -= batch.bytes;
    }
    this.batches.length = 0;
    this.waitingSpans -= left;
    this.metrics.queueBytes.set({ exporter: this.name }, this.queuedBytes);
    await this.exporter.shutdown();
    await within(this.inFlight(), SHUTDOWN_SETTLE_MILLIS);
    if (this.keepsUndelivered) {
      left += this.keptAtShutdown;
      if (left > 0) this.logger.log('warn', 'spans not yet exported are kept in the spool for the next start', { exporter: this.name, spans: left });
    } else if (left > 0) {
      this.metrics.droppedSpans.inc({ exporter: this.name, reason: 'shutdown' }, left);
      this.logger.log('error', 'spans left in queue at shutdown', { exporter: this.name, spans: left });
    }
  }
}
