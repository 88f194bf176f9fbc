/**
 * @module The span metrics as an in-process component (`metrics:` in the config): they count what
 * the counted-once ledger reports, on the collector's `/metrics`.
 */
import type { CollectorConfig } from '../../src/config/load-config.js';
import type { ConsumerFactory } from '../../src/fan-out/consumer-factory.js';
import { SpanMetrics, type SpanMetricsOptions } from './span-metrics.js';

/** The span metrics' settings in `config`: `metrics`, and `mapping.currency` for traces without a cost. */
export function spanMetricsOptionsFrom(config: CollectorConfig): SpanMetricsOptions {
  return { maxLabelValues: config.metrics.max_label_values, maxSeries: config.metrics.max_series, currency: config.mapping.currency };
}

/** Builds the span metrics, unless `metrics.enabled` is false. */
export const spanMetricsFactory: ConsumerFactory = {
  name: 'span_metrics',
  create(config, context) {
    if (!config.metrics.enabled) return undefined;
    const metrics = new SpanMetrics(context.registry, spanMetricsOptionsFrom(config));
    return { name: 'span_metrics', record: (batch) => metrics.record(batch), shutdown: () => Promise.resolve() };
  },
};
