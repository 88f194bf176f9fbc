/**
 * @module The in-process component contract, beside the exporters' (exporter-factory.ts): the
 * embedded store and the span metrics are built from the config by a factory, run under the
 * collector's one lifecycle, and are listed, like the exporters, in one registry (src/components.ts).
 * A component takes accepted spans, the usage the counted-once ledger reports, or both.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Registry } from 'prom-client';
import type { UsageBatch } from '../accounting/counted-once-ledger.js';
import type { CollectorConfig } from '../config/load-config.js';
import type { TraceStore } from '../store/trace-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';

/** What a factory may use when it builds a component. */
export interface ConsumerContext {
  /** Where the component registers its Prometheus metrics (`/metrics`). */
  readonly registry: Registry;
  /** The collector's own metrics. */
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
}

/** An in-process component. */
export interface ConsumerComponent {
  /** Its name in logs and in `a2a_collector_consumer_errors_total`. */
  readonly name: string;
  /**
   * Takes accepted spans in two steps: works out what taking them would change, changing nothing,
   * and returns that change, applied once the request is accepted, which MUST NOT throw. A throw
   * while staging refuses the request. `spanBytes`, when given, holds each span's
   * `estimateSpanBytes` (src/fan-out/span-size.ts), worked out once for every consumer.
   */
  stage?(spans: readonly ReadableSpan[], spanBytes?: readonly number[]): () => void;
  /** Counts what the ledger reports: a batch whole, or a throw having counted none of it. */
  record?(batch: UsageBatch): void;
  /** The traces it keeps, which the query API reads. */
  readonly traceStore?: TraceStore;
  /** Releases what it holds. Safe to call twice; the component still answers afterwards. */
  shutdown(): Promise<void>;
}

/** An in-process component type: its name and how the config builds one. */
export interface ConsumerFactory {
  readonly name: string;
  /** Builds the component from the config (its defaults come from the config schema); undefined when the config turns it off. */
  create(config: CollectorConfig, context: ConsumerContext): ConsumerComponent | undefined;
}
