/**
 * @module The embedded trace store as an in-process component (`store:` in the config).
 */
import type { CollectorConfig } from '../config/load-config.js';
import type { ConsumerFactory } from '../fan-out/consumer-factory.js';
import { TraceStore, type TraceStoreOptions } from './trace-store.js';

/** The store's bounds in `config`: `store`, and `mapping.max_steps_per_trace` so that one request's trace fits whole. */
export function traceStoreOptionsFrom(config: CollectorConfig): TraceStoreOptions {
  return { maxTraces: config.store.max_traces, maxBytes: config.store.max_bytes, maxSpansPerTrace: config.mapping.max_steps_per_trace };
}

/** Builds the store, unless `store.enabled` is false. */
export const traceStoreFactory: ConsumerFactory = {
  name: 'store',
  create(config, context) {
    if (!config.store.enabled) return undefined;
    const store = new TraceStore(traceStoreOptionsFrom(config), context.metrics);
    return { name: 'store', stage: (spans, spanBytes) => store.stage(spans, spanBytes), traceStore: store, shutdown: () => store.shutdown() };
  },
};
