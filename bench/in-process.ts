/**
 * @module The in-process figures of `npm run bench`, on the compiled code in `dist/` (what
 * `npm start` runs; tsx's transform would add its own cost): each stage of the hot path per step,
 * the OTLP encoder alone next to `@opentelemetry/otlp-transformer`'s, and on `--profile` a CPU profile
 * of the whole path, as the functions that take the most of it per step.
 */
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
// Types only: the code measured is dist/'s, loaded by loadDist.
import type * as ExportersModule from '../exporters/index.js';
import type * as IntakeModule from '../src/accounting/trace-intake.js';
import type * as ConfigModule from '../src/config/load-config.js';
import type * as IdsModule from '../src/mapping/ids.js';
import type * as MappingModule from '../src/mapping/to-readable-spans.js';
import type * as ReadModule from '../src/model/read-trace.js';
import type * as TreeModule from '../src/model/step-tree.js';
import type * as EncodeModule from '../src/otlp/otlp-encode.js';

type Modules = {
  ids: typeof IdsModule;
  mapping: typeof MappingModule;
  tree: typeof TreeModule;
  read: typeof ReadModule;
  encode: typeof EncodeModule;
  config: typeof ConfigModule;
  intake: typeof IntakeModule;
  exporters: typeof ExportersModule;
};

async function loadDist(root: string): Promise<Modules> {
  const load = (path: string): Promise<unknown> => import(pathToFileURL(join(root, 'dist', path)).href);
  return {
    ids: (await load('src/mapping/ids.js')) as Modules['ids'],
    mapping: (await load('src/mapping/to-readable-spans.js')) as Modules['mapping'],
    tree: (await load('src/model/step-tree.js')) as Modules['tree'],
    read: (await load('src/model/read-trace.js')) as Modules['read'],
    encode: (await load('src/otlp/otlp-encode.js')) as Modules['encode'],
    config: (await load('src/config/load-config.js')) as Modules['config'],
    intake: (await load('src/accounting/trace-intake.js')) as Modules['intake'],
    exporters: (await load('exporters/index.js')) as Modules['exporters'],
  };
}

/** Microseconds per step of each stage, and steps per second of them all. */
export interface InProcessFigures {
  readonly stepsPerSecond: number;
  readonly microsPerStep: { readonly parse: number; readonly read: number; readonly tree: number; readonly map: number; readonly encode: number };
  readonly jsonBytesPerStep: number;
  readonly otlpBytesPerStep: number;
  /** The encoder alone, on mapped spans: ours and otlp-transformer's ProtobufTraceSerializer. */
  readonly encoderSpansPerSecond: number;
  readonly libraryEncoderSpansPerSecond: number;
}

/** One profiled function: its self time per step. */
export interface ProfileRow {
  readonly function: string;
  readonly microsPerStep: number;
  readonly share: number;
}

/** The hot path on the compiled code: parse, read, resolve, map, encode. */
export class HotPath {
  private constructor(
    private readonly modules: Modules,
    private readonly body: string,
    private readonly steps: number,
  ) {}

  static async load(root: string, body: string, steps: number): Promise<HotPath> {
    return new HotPath(await loadDist(root), body, steps);
  }

  private parts(): { read: (value: unknown) => ReturnType<Modules['read']['readResponseTrace']>; mapper: InstanceType<Modules['mapping']['SpanMapper']> } {
    const { config, intake, exporters, read, mapping } = this.modules;
    const defaults = config.validateConfig({}, exporters.builtInExporterFactories);
    const limits = intake.intakeOptionsFrom(defaults);
    return { read: (value) => read.readResponseTrace(value, '', limits), mapper: new mapping.SpanMapper(intake.mappingOptionsFrom(defaults)) };
  }

  /** Runs every stage for `seconds`, timing each. */
  measure(seconds: number): InProcessFigures {
    const { ids, tree, encode } = this.modules;
    const { read, mapper } = this.parts();
    const receivedAt = { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false };
    const stages = { parse: 0n, read: 0n, tree: 0n, map: 0n, encode: 0n };
    let steps = 0;
    let encoded = 0;
    let spans: ReadableSpan[] = [];
    const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    for (let now = process.hrtime.bigint(); now < until; ) {
      const value: unknown = JSON.parse(this.body);
      const parsed = process.hrtime.bigint();
      const { trace } = read(value);
      const readAt = process.hrtime.bigint();
      const resolved = tree.buildStepTree(trace, 'bench-agent', 'auto', []);
      const resolvedAt = process.hrtime.bigint();
      spans = mapper.toReadableSpans({ tree: resolved, otelTraceId: ids.toOtelTraceId(trace.traceId), receivedAt });
      const mapped = process.hrtime.bigint();
      encoded += encode.encodeTraceExportRequest(spans).length;
      const done = process.hrtime.bigint();
      stages.parse += parsed - now;
      stages.read += readAt - parsed;
      stages.tree += resolvedAt - readAt;
      stages.map += mapped - resolvedAt;
      stages.encode += done - mapped;
      steps += spans.length;
      now = done;
    }
    const micros = (nanos: bigint): number => Number(nanos) / 1000 / steps;
    const total = stages.parse + stages.read + stages.tree + stages.map + stages.encode;
    return {
      stepsPerSecond: steps / (Number(total) / 1e9),
      microsPerStep: { parse: micros(stages.parse), read: micros(stages.read), tree: micros(stages.tree), map: micros(stages.map), encode: micros(stages.encode) },
      jsonBytesPerStep: this.body.length / this.steps,
      otlpBytesPerStep: encoded / steps,
      encoderSpansPerSecond: spansPerSecond(spans, seconds, (batch) => encode.encodeTraceExportRequest(batch).length),
      libraryEncoderSpansPerSecond: spansPerSecond(spans, seconds, (batch) => ProtobufTraceSerializer.serializeRequest(batch)?.length ?? 0),
    };
  }

  /** A CPU profile of {@link measure}'s loop for `seconds`: the `top` functions by self time, per step. */
  async profile(seconds: number, top: number): Promise<ProfileRow[]> {
    const { ids, tree, encode } = this.modules;
    const { read, mapper } = this.parts();
    const receivedAt = { raw: '', epochSeconds: 1_800_000_000, nanos: 0, zoneAssumed: false };
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    let steps = 0;
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const { trace } = read(JSON.parse(this.body));
      const spans = mapper.toReadableSpans({ tree: tree.buildStepTree(trace, 'bench-agent', 'auto', []), otelTraceId: ids.toOtelTraceId(trace.traceId), receivedAt });
      encode.encodeTraceExportRequest(spans);
      steps += spans.length;
    }
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    let total = 0;
    profile.samples?.forEach((id, index) => {
      const node = byId.get(id);
      const micros = profile.timeDeltas?.[index] ?? 0;
      total += micros;
      if (node === undefined) return;
      const frame = node.callFrame;
      const file = frame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
      // Built-ins called from the loop (JSON.parse above all) are sampled as the loop itself.
      const name = frame.url.endsWith('bench/in-process.ts') ? 'JSON.parse (sampled in the bench loop)' : `${frame.functionName || '(anonymous)'}${file === '' ? '' : ` ${file}`}`;
      self.set(name, (self.get(name) ?? 0) + micros);
    });
    self.delete('(idle)');
    self.delete('(program)');
    return [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ function: name, microsPerStep: micros / steps, share: micros / total }));
  }
}

function spansPerSecond(spans: ReadableSpan[], seconds: number, encode: (spans: ReadableSpan[]) => number): number {
  let count = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until) {
    bytes += encode(spans);
    count += spans.length;
  }
  // Kept so that no engine can call the encoding dead code.
  if (bytes < 0) throw new Error('unreachable');
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}
