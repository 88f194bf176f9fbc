/**
 * @module Feeds one exporter's in-memory queue from the spool, as the Collector's persistent queue
 * does: while the queue has room, an accepted record goes straight to it; once the queue is full
 * (a slow or down backend), records wait on disk only, and are read back, oldest first, whenever the
 * queue has drained to half its size. So the queue bounds memory and the spool (`spool.max_bytes`)
 * bounds the backlog; after a restart, what the exporter had not delivered is read back the same way.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { QueuedExporter } from '../fan-out/queued-exporter.js';
import { estimateSpansBytes } from '../fan-out/span-size.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import type { Spool } from './spool.js';

/** Turns a spool record's payload back into the spans it was accepted with. */
export type RecordDecoder = (payload: Buffer) => ReadableSpan[];

/** Records decoded in one turn of the event loop before a refill lets other work run. */
const RECORDS_PER_TURN = 64;

/** One exporter's reader of the spool. */
export class SpoolFeed {
  /** The newest record handed to the queue (or skipped as unreadable). */
  private inMemoryThrough: number;
  /** Spans accepted for this exporter that are on disk only. */
  private backlogSpans: number;
  private refilling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly queue: QueuedExporter,
    private readonly spool: Spool,
    private readonly decode: RecordDecoder,
    private readonly metrics: SelfMetrics,
    private readonly logger: Logger,
    /** Spans of the records after the exporter's cursor when the spool was opened (a restart's backlog). */
    replayedSpans = 0,
  ) {
    this.inMemoryThrough = spool.deliveredThrough(queue.name);
    this.backlogSpans = replayedSpans;
    this.setGauge();
    this.kick();
  }

  /** Whether records accepted for this exporter wait on disk only. */
  get hasBacklog(): boolean {
    return this.inMemoryThrough < this.spool.lastSequence;
  }

  /** Takes the spans of record `sequence`, just appended: into the queue if it has room and nothing older waits on disk. */
  offer(spans: readonly ReadableSpan[], bytes: number, sequence: number): void {
    if (!this.hasBacklogBefore(sequence) && this.queue.hasRoomFor(bytes)) {
      this.queue.enqueue(spans, bytes, sequence);
      this.inMemoryThrough = sequence;
      return;
    }
    this.backlogSpans += spans.length;
    this.setGauge();
    this.kick();
  }

  /** Called when an export finished: refills once the queue is down to half its size. */
  onRoom(): void {
    this.kick();
  }

  /**
   * Sends what waits on disk and in the queue, until both are empty or `deadline` (epoch
   * milliseconds) passes.
   */
  async flush(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      await this.refill();
      if (!this.hasBacklog && this.queue.idle) return;
      await this.queue.forceFlush(deadline - Date.now());
    }
  }

  /**
   * Stops reading. What is still on disk only is kept for the next start (a durable spool), or
   * counted as dropped (a temporary one, removed at shutdown).
   */
  stop(keeps: boolean): void {
    this.stopped = true;
    if (this.backlogSpans === 0) return;
    if (keeps) {
      this.logger.log('warn', 'spans not yet read from the spool are kept there for the next start', { exporter: this.queue.name, spans: this.backlogSpans });
    } else {
      this.metrics.droppedSpans.inc({ exporter: this.queue.name, reason: 'shutdown' }, this.backlogSpans);
      this.logger.log('error', 'spans left in the spool at shutdown', { exporter: this.queue.name, spans: this.backlogSpans });
    }
  }

  private hasBacklogBefore(sequence: number): boolean {
    return this.inMemoryThrough < sequence - 1;
  }

  /** Starts a refill if records wait on disk, none is running, and the queue is down to half. */
  private kick(): void {
    if (this.stopped || this.refilling !== undefined || !this.hasBacklog) return;
    if (this.queue.bytes > this.queue.capacityBytes / 2) return;
    void this.refill();
  }

  /** Reads records after the queue's newest into the queue until it is full or they run out. */
  private refill(): Promise<void> {
    this.refilling ??= this.readIntoQueue().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async readIntoQueue(): Promise<void> {
    while (!this.stopped && this.hasBacklog) {
      // Only what is written can be read back; appends of this turn are written with the next one.
      await this.spool.durable().catch(() => undefined);
      const from = this.inMemoryThrough + 1;
      let full = false;
      let decoded = 0;
      for (const record of this.spool.read(from)) {
        let spans: ReadableSpan[];
        try {
          spans = this.decode(record.payload);
        } catch (error) {
          this.metrics.spoolCorruptRecords.inc();
          this.logger.log('error', 'spool record unreadable; skipped', { exporter: this.queue.name, sequence: record.sequence, error: (error as Error).message });
          this.inMemoryThrough = record.sequence;
          continue;
        }
        const bytes = estimateSpansBytes(spans);
        // An empty queue takes any record, so one larger than the whole queue cannot stall it.
        if (!this.queue.idle && !this.queue.hasRoomFor(bytes)) {
          full = true;
          break;
        }
        this.queue.enqueue(spans, bytes, record.sequence);
        this.inMemoryThrough = record.sequence;
        this.backlogSpans = Math.max(0, this.backlogSpans - spans.length);
        if (++decoded % RECORDS_PER_TURN === 0) {
          this.setGauge();
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopped) break;
        }
      }
      this.setGauge();
      // Full: the next finished export calls again. Nothing new read: what is missing is not on disk
      // (the spool is closing, or its segment is gone), so stop rather than spin.
      if (full || this.inMemoryThrough < from) break;
    }
    if (!this.hasBacklog) this.backlogSpans = 0;
    this.setGauge();
  }

  private setGauge(): void {
    this.metrics.spoolBacklogSpans.set({ exporter: this.queue.name }, this.backlogSpans);
  }
}
