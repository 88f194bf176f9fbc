/**
 * @module The exporter component contract (after the Collector's factories): a type name, a config
 * schema and a constructor. Queueing, batching and retry are added around every exporter by the
 * collector from the shared settings below, so an exporter is only "map and send".
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import type { Logger } from '../telemetry/logger.js';

/** The Collector's `sending_queue`, sized in bytes. */
export const SendingQueueSchema = z
  .strictObject({
    /** Most bytes (estimated) waiting for this exporter in memory; with a spool, more waits on disk. Default 64 MiB. */
    queue_size_bytes: z.number().int().positive().default(64 * 1024 * 1024),
    /** Most exports in flight at once. Default 10, as in the Collector. */
    num_consumers: z.number().int().positive().max(1000).default(10),
  })
  .prefault({});

/** The Collector's `retry_on_failure`. */
export const RetryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval_millis: z.number().int().positive().default(500),
    max_interval_millis: z.number().int().positive().default(5_000),
    /** Give up on a batch this long after its first attempt, in milliseconds; 0 retries until shutdown. Default 60,000. */
    max_elapsed_time_millis: z.number().int().nonnegative().default(60_000),
  })
  .prefault({});

/** Batching of exports. */
export const BatchSchema = z
  .strictObject({
    max_export_batch_size: z.number().int().positive().default(512),
    scheduled_delay_millis: z.number().int().nonnegative().default(200),
  })
  .prefault({});

/** Settings every exporter has, whatever its type. */
export const ExporterHelperShape = {
  sending_queue: SendingQueueSchema,
  retry_on_failure: RetryOnFailureSchema,
  batch: BatchSchema,
};

/** The shared settings, parsed. */
export interface ExporterHelperSettings {
  readonly sending_queue: z.infer<typeof SendingQueueSchema>;
  readonly retry_on_failure: z.infer<typeof RetryOnFailureSchema>;
  readonly batch: z.infer<typeof BatchSchema>;
}

/** What a factory may use when it builds an exporter. */
export interface ExporterContext {
  /** The exporter id (`otlp`, `otlp/jaeger`). */
  readonly id: string;
  readonly logger: Logger;
  /**
   * Where exporters that print text (`debug`) send each line, without its trailing newline.
   * Optional; when absent they write to `process.stdout`.
   */
  readonly writeLine?: (line: string) => void;
}

/** An exporter component: a type, its config schema and how to build one. */
export interface ExporterFactory<Config extends ExporterHelperSettings = ExporterHelperSettings> {
  /** Type name used in config ids (`otlp` in `otlp/jaeger`). */
  readonly type: string;
  /** Schema of this type's config; MUST reject unknown keys and include {@link ExporterHelperShape}. */
  readonly configSchema: z.ZodType<Config, unknown>;
  /** Builds the exporter. MUST NOT open sockets before the first export. */
  create(config: Config, context: ExporterContext): SpanExporter;
  /** Milliseconds after which one export attempt counts as failed, for exporters that set no timeout of their own. */
  attemptTimeoutMillis?(config: Config): number | undefined;
}
