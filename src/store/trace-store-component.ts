/**
 * @module The embedded trace store as an in-process component (`store:` in the config).
 */
import type { ConsumerFactory } from '../pipeline/consumer-factory.js';
import { TraceStore } from './trace-store.js';

/** Builds the store from `store` (and `mapping.max_steps_per_trace`, so one request's trace fits whole). */
export const traceStoreFactory: ConsumerFactory = {
  name: 'store',
  create(config, context) {
    if (!config.store.enabled) return undefined;
    const store = new TraceStore(
      { maxTraces: config.store.max_traces, maxBytes: config.store.max_bytes, maxSpansPerTrace: config.mapping.max_steps_per_trace },
      context.metrics,
    );
    return { name: 'store', stage: (spans) => store.stage(spans), traceStore: store, shutdown: () => store.shutdown() };
  },
};
