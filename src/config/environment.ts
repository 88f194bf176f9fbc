/**
 * @module Reads the OpenTelemetry SDK environment variables users already set (DESIGN §5) into a
 * config overlay, with the OTel spec's meaning for each.
 */

/** A partial config built from the environment; merged over the file. */
export type ConfigOverlay = Record<string, unknown>;

/** Parses `key1=value1,key2=value2` (percent-encoded values) as OTEL_RESOURCE_ATTRIBUTES and *_HEADERS use. */
export function parseKeyValueList(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of text.split(',')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const key = part.slice(0, index).trim();
    const raw = part.slice(index + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    if (key !== '') result[key] = value;
  }
  return result;
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The overlay that `env` asks for. Unset variables contribute nothing. */
export function configFromEnvironment(env: NodeJS.ProcessEnv): ConfigOverlay {
  const overlay: ConfigOverlay = {};
  const service: Record<string, unknown> = {};
  const serviceName = nonEmpty(env, 'OTEL_SERVICE_NAME');
  const resource = nonEmpty(env, 'OTEL_RESOURCE_ATTRIBUTES');
  if (resource !== undefined) {
    const attributes = parseKeyValueList(resource);
    service['resource_attributes'] = attributes;
    if (serviceName === undefined && attributes['service.name'] !== undefined) service['name'] = attributes['service.name'];
  }
  if (serviceName !== undefined) service['name'] = serviceName;
  if (Object.keys(service).length > 0) overlay['service'] = service;

  const exporters: Record<string, Record<string, unknown>> = {};
  const selected = nonEmpty(env, 'OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const wants = (name: string): boolean => selected === undefined || selected.includes(name);

  // Only the endpoint variables (or OTEL_TRACES_EXPORTER) create the otlp exporter; its other
  // variables apply to it wherever it was configured (otlpSettingsFromEnvironment).
  const endpoint = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesEndpoint = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (wants('otlp') && (endpoint !== undefined || tracesEndpoint !== undefined || selected !== undefined)) {
    const otlp: Record<string, unknown> = {};
    if (endpoint !== undefined) otlp['endpoint'] = endpoint;
    if (tracesEndpoint !== undefined) otlp['traces_endpoint'] = tracesEndpoint;
    exporters['otlp'] = otlp;
  }

  const zipkinEndpoint = nonEmpty(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT');
  if ((zipkinEndpoint !== undefined && wants('zipkin')) || selected?.includes('zipkin') === true) {
    exporters['zipkin'] = zipkinEndpoint === undefined ? {} : { endpoint: zipkinEndpoint };
  }
  if (selected?.includes('console') === true) exporters['debug'] = {};

  if (Object.keys(exporters).length > 0) overlay['exporters'] = exporters;
  return overlay;
}

/**
 * Settings of the `otlp` exporter from OTEL_EXPORTER_OTLP_{,TRACES_}{HEADERS,PROTOCOL,TIMEOUT,COMPRESSION}:
 * applied to the `otlp` exporter however it was configured, never creating one. Headers of the
 * general and the traces variable are merged, the traces one winning per key.
 */
export function otlpSettingsFromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const general = nonEmpty(env, 'OTEL_EXPORTER_OTLP_HEADERS');
  const traces = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS');
  if (general !== undefined || traces !== undefined) {
    settings['headers'] = { ...parseKeyValueList(general ?? ''), ...parseKeyValueList(traces ?? '') };
  }
  const protocol = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined) settings['protocol'] = protocol;
  const timeout = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_TIMEOUT');
  if (timeout !== undefined) settings['timeout_millis'] = Number(timeout);
  const compression = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_COMPRESSION');
  if (compression !== undefined) settings['compression'] = compression;
  return settings;
}
