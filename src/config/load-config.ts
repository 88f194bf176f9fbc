/**
 * @module Loads the configuration: defaults < YAML file < environment < CLI flags, then validates
 * the whole of it, exporters included, and reports every problem with its key path at once.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import type { FieldIssue } from '../errors.js';
import type { ExporterFactory, ExporterHelperSettings } from '../fan-out/exporter-factory.js';
import type { ReceiverFactory } from '../receiver-factory.js';
import { builtInReceiverFactories } from '../../receivers/index.js';
import { configFromEnvironment, otlpSettingsFromEnvironment, type ConfigOverlay } from './environment.js';
import { ConfigSchema, type ParsedConfig } from './schema.js';
import { zodIssues } from './zod-issues.js';
import { propertyPath } from '../model/field-path.js';
import { isObject } from '../model/json-value.js';
import * as errors from '../error-catalog.js';

/** One exporter after validation. */
export interface ExporterConfig {
  /** Its id (`otlp/jaeger`). */
  readonly id: string;
  /** Its type (`otlp`). */
  readonly type: string;
  /** Its settings, parsed by the type's schema. */
  readonly settings: ExporterHelperSettings;
}

/** One receiver after validation. */
export interface ReceiverConfig {
  /** Its id (`otlp`). */
  readonly id: string;
  /** Its type (`otlp`). */
  readonly type: string;
  /** Its settings, parsed by the type's schema. */
  readonly settings: unknown;
}

/** The validated, frozen configuration. */
export interface CollectorConfig extends Omit<ParsedConfig, 'exporters' | 'receivers'> {
  readonly exporters: readonly ExporterConfig[];
  readonly receivers: readonly ReceiverConfig[];
}

/** Where configuration comes from. */
export interface ConfigSources {
  /** Path of a YAML (or JSON) config file. */
  readonly file?: string | undefined;
  /** Environment to read the OTel variables from. Default: none. */
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides from CLI flags, in config shape (`{server: {port: 0}}`). */
  readonly overrides?: ConfigOverlay;
}

/** Deep-merges `overlay` into `base`: objects merge, everything else replaces. */
export function mergeConfig(base: unknown, overlay: unknown): unknown {
  if (!isObject(base) || !isObject(overlay)) return overlay === undefined ? base : overlay;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = mergeConfig(base[key], value);
  return merged;
}

/**
 * Validates one section of components by id (`exporters`, `receivers`): each id's type must have a
 * factory, and its settings (`null` for the defaults) must pass that factory's schema. Problems go
 * to `issues` with their key paths.
 */
function validateComponents<Settings>(
  kind: 'exporter' | 'receiver',
  section: unknown,
  factories: ReadonlyMap<string, { readonly configSchema: z.ZodType<Settings, unknown> }>,
  issues: FieldIssue[],
): Array<{ id: string; type: string; settings: Settings }> {
  const components: Array<{ id: string; type: string; settings: Settings }> = [];
  for (const [id, settings] of Object.entries(isObject(section) ? section : {})) {
    const type = id.split('/')[0] ?? id;
    const factory = factories.get(type);
    const path = propertyPath(`${kind}s`, id);
    if (factory === undefined) {
      issues.push({ path, reason: `unknown ${kind} type "${type}" (known: ${[...factories.keys()].join(', ')})` });
      continue;
    }
    const result = factory.configSchema.safeParse(settings ?? {});
    if (!result.success) issues.push(...zodIssues(result.error, path));
    else components.push({ id, type, settings: result.data });
  }
  return components;
}

/**
 * Validates a raw config object (already merged from its sources).
 * @throws CollectorError `CFG_ERR_INVALID` listing every problem with its key path.
 */
export function validateConfig(
  raw: unknown,
  factories: ReadonlyMap<string, ExporterFactory>,
  receiverFactories: ReadonlyMap<string, ReceiverFactory> = builtInReceiverFactories,
): CollectorConfig {
  const issues: FieldIssue[] = [];
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) issues.push(...zodIssues(parsed.error));

  const exporters = validateComponents('exporter', isObject(raw) ? raw['exporters'] : undefined, factories, issues);
  // No receivers section: the OTLP receiver with its defaults, so that OTel agents need no set-up.
  const rawReceivers = isObject(raw) && raw['receivers'] !== undefined ? raw['receivers'] : { otlp: null };
  const receivers: ReceiverConfig[] = validateComponents('receiver', rawReceivers, receiverFactories, issues);

  if (issues.length > 0 || !parsed.success) {
    throw errors.invalidConfig(issues);
  }
  return deepFreeze({ ...parsed.data, exporters, receivers });
}

/** Freezes `value` and every object and array in it, so that no part of a validated config can change after the check. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** Reads a YAML/JSON config file into a plain object. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw errors.configUnreadable(path, (error as Error).message);
  }
  try {
    const value: unknown = parseYaml(text);
    return value ?? {};
  } catch (error) {
    throw errors.configNotYaml(path, (error as Error).message);
  }
}

/** Loads and validates the configuration from all its sources. */
export async function loadConfig(sources: ConfigSources, factories: ReadonlyMap<string, ExporterFactory>): Promise<CollectorConfig> {
  const fromFile = sources.file === undefined ? {} : await readConfigFile(sources.file);
  const env = sources.env ?? {};
  let merged = mergeConfig(fromFile, configFromEnvironment(env));
  const otlpSettings = otlpSettingsFromEnvironment(env);
  if (Object.keys(otlpSettings).length > 0 && isObject(merged) && isObject(merged['exporters']) && 'otlp' in merged['exporters']) {
    merged = mergeConfig(merged, { exporters: { otlp: mergeConfig(merged['exporters']['otlp'] ?? {}, otlpSettings) } });
  }
  return validateConfig(mergeConfig(merged, sources.overrides ?? {}), factories);
}
