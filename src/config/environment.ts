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

  const otlp: Record<string, unknown> = {};
  const endpoint = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesEndpoint = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (endpoint !== undefined) otlp['endpoint'] = endpoint;
  if (tracesEndpoint !== undefined) otlp['traces_endpoint'] = tracesEndpoint;
  const headers = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_HEADERS');
  if (headers !== undefined) otlp['headers'] = parseKeyValueList(headers);
  const protocol = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined) otlp['protocol'] = protocol;
  const timeout = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_TIMEOUT');
  if (timeout !== undefined) otlp['timeout_millis'] = Number(timeout);
  const compression = nonEmpty(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ?? nonEmpty(env, 'OTEL_EXPORTER_OTLP_COMPRESSION');
  if (compression !== undefined) otlp['compression'] = compression;
  if (wants('otlp') && (endpoint !== undefined || tracesEndpoint !== undefined || selected !== undefined)) {
    // OTEL_TRACES_EXPORTER=otlp with no endpoint means the spec's default endpoint.
    if (endpoint === undefined && tracesEndpoint === undefined) otlp['endpoint'] = 'http://localhost:4318';
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
