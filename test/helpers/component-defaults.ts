/**
 * The settings a config with nothing set gives the pipeline's parts, taken from the config schema
 * (its only source of defaults), for tests that build a queue or a retry layer by hand.
 */
import { z } from 'zod';
import { ExporterHelperShape } from '../../src/pipeline/exporter-factory.js';
import { queueOptionsFrom } from '../../src/pipeline/queued-exporter.js';
import { retryOptionsFrom } from '../../src/pipeline/retrying-exporter.js';

const helperSettings = z.strictObject(ExporterHelperShape).parse({});

/** `retry_on_failure` with nothing set. */
export const DEFAULT_RETRY = retryOptionsFrom(helperSettings.retry_on_failure);

/** `sending_queue` and `batch` with nothing set, for an exporter named `queue`. */
export const DEFAULT_QUEUE = queueOptionsFrom('queue', helperSettings);
