/**
 * @module The in-process components built into the collector (the store, the span metrics), in the
 * order they take what was accepted, as exporters/index.ts lists the exporters.
 */
import { spanMetricsFactory } from '../exporters/prometheus/span-metrics-component.js';
import type { ConsumerFactory } from './fan-out/consumer-factory.js';
import { traceStoreFactory } from './store/trace-store-component.js';

/** Every built-in in-process component factory. */
export const builtInConsumerFactories: readonly ConsumerFactory[] = [traceStoreFactory, spanMetricsFactory];
