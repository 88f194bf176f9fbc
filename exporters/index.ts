/**
 * @module The exporter components built into the collector, by type name.
 */
import type { ExporterFactory, ExporterHelperSettings } from '../src/fan-out/exporter-factory.js';
import { debugExporterFactory } from './debug/debug-exporter.js';
import { otlpExporterFactory } from './otlp/otlp-exporter-factory.js';
import { zipkinExporterFactory } from './zipkin/zipkin-exporter-factory.js';

/** Every built-in exporter factory, keyed by type. */
export const builtInExporterFactories: ReadonlyMap<string, ExporterFactory<ExporterHelperSettings>> = new Map<
  string,
  ExporterFactory<ExporterHelperSettings>
>([
  [otlpExporterFactory.type, otlpExporterFactory],
  [debugExporterFactory.type, debugExporterFactory],
  [zipkinExporterFactory.type, zipkinExporterFactory],
]);
