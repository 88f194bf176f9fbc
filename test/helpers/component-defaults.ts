/**
 * The settings a config with nothing set gives the collector's parts, taken from the config schema
 * (its only source of defaults), for tests that build a queue, a retry layer, a mapper or a reader by hand.
 */
import { z } from 'zod';
import { builtInExporterFactories } from '../../exporters/index.js';
import { validateConfig } from '../../src/config/load-config.js';
import { intakeOptionsFrom, mappingOptionsFrom } from '../../src/accounting/trace-intake.js';
import { readResponseTrace, type ReadLimits, type ReadResult } from '../../src/model/read-trace.js';
import { ExporterHelperShape } from '../../src/fan-out/exporter-factory.js';
import { queueOptionsFrom } from '../../src/fan-out/queued-exporter.js';
import { retryOptionsFrom } from '../../src/fan-out/retrying-exporter.js';

const helperSettings = z.strictObject(ExporterHelperShape).parse({});

/** `retry_on_failure` with nothing set. */
export const DEFAULT_RETRY = retryOptionsFrom(helperSettings.retry_on_failure);

/** `sending_queue` and `batch` with nothing set, for an exporter named `queue`. */
export const DEFAULT_QUEUE = queueOptionsFrom('queue', helperSettings);

const defaultConfig = validateConfig({}, builtInExporterFactories);

/** `mapping` and `service` with nothing set, as the span mapper takes them. */
export const DEFAULT_MAPPING = mappingOptionsFrom(defaultConfig);

/** The reading limits of `mapping` with nothing set. */
export const DEFAULT_READ_LIMITS: ReadLimits = intakeOptionsFrom(defaultConfig);

/** {@link readResponseTrace} with the default limits, but `limits`. */
export function readWithDefaultLimits(value: unknown, basePath = '', limits: Partial<ReadLimits> = {}): ReadResult {
  return readResponseTrace(value, basePath, { ...DEFAULT_READ_LIMITS, ...limits });
}
