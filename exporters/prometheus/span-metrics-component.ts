/**
 * @module The span metrics as an in-process component (`metrics:` in the config): they count what
 * the counted-once ledger reports, on the collector's `/metrics`.
 */
import type { ConsumerFactory } from '../../src/pipeline/consumer-factory.js';
import { SpanMetrics } from './span-metrics.js';

/** Builds the span metrics from `metrics` and `mapping.currency`. */
export const spanMetricsFactory: ConsumerFactory = {
  name: 'span_metrics',
  create(config, context) {
    if (!config.metrics.enabled) return undefined;
    const metrics = new SpanMetrics(context.registry, {
      maxLabelValues: config.metrics.max_label_values,
      maxSeries: config.metrics.max_series,
      currency: config.mapping.currency,
    });
    return { name: 'span_metrics', record: (batch) => metrics.record(batch), shutdown: () => Promise.resolve() };
  },
};
