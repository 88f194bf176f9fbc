/**
 * @module Builds the collector from a validated config: exporters (each behind its own queue and
 * retry), the in-process components (the store, the span metrics; src/components.ts), the
 * counted-once ledger that feeds them, the intakes (A2A, OTLP) with the price table, the receivers
 * (receivers/index.ts) and the HTTP API. Starts in order and shuts down
 * in reverse: stop intake, drain queues, close exporters, settle the ledger, close the components.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Hono } from 'hono';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { builtInExporterFactories } from '../exporters/index.js';
import { builtInReceiverFactories } from '../receivers/index.js';
import { OtlpIntake } from './accounting/otlp-intake.js';
import { PricingSource } from './accounting/pricing/pricing-source.js';
import { isA2ARecord } from './accounting/spool-records.js';
import type { Receiver, ReceiverFactory } from './receiver-factory.js';
import { CountedOnceConsumer, CountedOnceLedger, type UsageConsumer } from './accounting/counted-once-ledger.js';
import { builtInConsumerFactories } from './components.js';
import type { CollectorConfig } from './config/load-config.js';
import { createHttpApp } from './http/http-app.js';
import { IngestEndpoint } from '../receivers/a2a-http/ingest-endpoint.js';
import { ByteBudget } from './http/byte-budget.js';
import { httpServerOptions, limitConnections, serverLimitsFromConfig } from './http/http-server-limits.js';
import { closeServer, listen, type ListenAddress } from './http/http-listener.js';
import { createNodeListener } from '../receivers/a2a-http/node-listener.js';
import { traceIntakeFromConfig, type TraceIntake } from './accounting/trace-intake.js';
import type { ConsumerComponent, ConsumerFactory } from './fan-out/consumer-factory.js';
import type { ExporterFactory } from './fan-out/exporter-factory.js';
import { afterAcceptance, Pipeline, type InProcessConsumer } from './fan-out/pipeline.js';
import { QueuedExporter, queueOptionsFrom } from './fan-out/queued-exporter.js';
import { RetryingExporter, retryOptionsFrom } from './fan-out/retrying-exporter.js';
import { Spool } from './spool/spool.js';
import type { TraceStore } from './store/trace-store.js';
import { silentLogger, type Logger } from './telemetry/logger.js';
import { SelfMetrics } from './telemetry/self-metrics.js';

/** What a collector is built with besides its config. */
export interface CollectorDependencies {
  readonly logger?: Logger;
  /** Exporter factories by type. Default: the built-in ones. */
  readonly factories?: ReadonlyMap<string, ExporterFactory>;
  /** Extra in-process span consumers (tests use a sink here). */
  readonly extraConsumers?: readonly SpanExporter[];
  /** Register Node.js process metrics (event loop lag, memory) on /metrics. Default true. */
  readonly processMetrics?: boolean;
  /** In-process component factories (the store, the span metrics). Default: the built-in ones. */
  readonly consumerFactories?: readonly ConsumerFactory[];
  /** Receiver factories by type. Default: the built-in ones. */
  readonly receiverFactories?: ReadonlyMap<string, ReceiverFactory>;
}

/**
 * What the ledger reports goes to every component that counts usage, in order. A batch one of them
 * refuses is taken back by the ledger, so only the first may refuse without leaving the others' counts.
 */
function usageOf(components: readonly ConsumerComponent[]): UsageConsumer {
  const recorders = components.flatMap((component) => (component.record === undefined ? [] : [component.record.bind(component)]));
  return { record: (batch) => recorders.forEach((record) => record(batch)) };
}

/** Where a started collector listens. */
export type { ListenAddress } from './http/http-listener.js';

/**
 * The spool directory: `spool.directory`, else one per port under the user's state directory
 * (`$XDG_STATE_HOME`, default `~/.local/state`), else, with port 0, a new temporary directory.
 */
function spoolDirectory(config: CollectorConfig): string {
  if (config.spool.directory !== undefined) return config.spool.directory;
  if (config.server.port === 0) return mkdtempSync(join(tmpdir(), 'a2a-trace-collector-spool-'));
  const state = process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return join(state, 'a2a-trace-collector', `spool-${config.server.port}`);
}

/** A runnable collector. */
export class Collector {
  readonly app: Hono;
  readonly intake: TraceIntake;
  /** Where OTLP spans from agents that run OpenTelemetry go (receivers/otlp). */
  readonly otlpIntake: OtlpIntake;
  readonly store: TraceStore | undefined;
  readonly registry: Registry;
  private readonly endpoint: IngestEndpoint;
  private readonly pipeline: Pipeline;
  private readonly ledger: CountedOnceLedger;
  private readonly components: readonly ConsumerComponent[];
  private readonly spool: Spool | undefined;
  private readonly receivers: readonly Receiver[];
  private readonly pricing: PricingSource;
  private readonly logger: Logger;
  private server: Server | undefined;
  /** Bound of the ingest bodies being read at once (`server.max_in_flight_body_bytes`). */
  private readonly bodyBudget: ByteBudget;
  private readonly onConnectionRefused: () => void;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: CollectorConfig,
    dependencies: CollectorDependencies = {},
  ) {
    this.logger = dependencies.logger ?? silentLogger;
    const factories = dependencies.factories ?? builtInExporterFactories;
    this.registry = new Registry();
    if (dependencies.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const metrics = new SelfMetrics(this.registry);
    this.spool =
      config.exporters.length > 0 && config.spool.enabled
        ? new Spool({
            directory: spoolDirectory(config),
            fsync: config.spool.fsync,
            maxBytes: config.spool.max_bytes,
            segmentBytes: config.spool.segment_bytes,
            exporterIds: config.exporters.map((exporter) => exporter.id),
            onBytesChanged: (bytes) => metrics.spoolBytes.set(bytes),
          })
        : undefined;
    const spool = this.spool;
    const temporarySpool = config.spool.directory === undefined && config.server.port === 0;

    const queued = config.exporters.map((exporter) => {
      const factory = factories.get(exporter.type);
      if (factory === undefined) throw new Error(`no factory for exporter type ${exporter.type}`);
      const inner = factory.create(exporter.settings, { id: exporter.id, logger: this.logger });
      const retrying = new RetryingExporter(inner, {
        ...retryOptionsFrom(exporter.settings.retry_on_failure),
        attemptTimeoutMillis: factory.attemptTimeoutMillis?.(exporter.settings),
        onFailure: () => metrics.exportFailures.inc({ exporter: exporter.id }),
      });
      return new QueuedExporter(
        retrying,
        {
          ...queueOptionsFrom(exporter.id, exporter.settings),
          onDelivered: spool === undefined ? undefined : (sequence) => spool.markDelivered(exporter.id, sequence),
          // A temporary spool (port 0, no spool.directory) is gone after shutdown: nothing is kept in it.
          keepsUndeliveredAtShutdown: spool !== undefined && !temporarySpool,
        },
        metrics,
        this.logger,
      );
    });

    const consumerFactories = dependencies.consumerFactories ?? builtInConsumerFactories;
    this.components = consumerFactories.flatMap((factory) => factory.create(config, { registry: this.registry, metrics, logger: this.logger }) ?? []);
    this.store = this.components.find((component) => component.traceStore !== undefined)?.traceStore;
    const inProcess: InProcessConsumer[] = this.components.flatMap((component) => {
      const stage = component.stage?.bind(component);
      return stage === undefined ? [] : [{ name: component.name, stage, shutdown: () => Promise.resolve() }];
    });
    (dependencies.extraConsumers ?? []).forEach((consumer, index) => inProcess.push(afterAcceptance(`extra/${index}`, consumer)));
    this.pipeline = new Pipeline(queued, inProcess, {
      metrics,
      logger: this.logger,
      spool,
      // A temporary spool (port 0, no spool.directory) is gone after shutdown: nothing is kept in it.
      keepsUndelivered: !temporarySpool,
    });
    const usage = usageOf(this.components);
    this.ledger = new CountedOnceLedger(
      { maxBytes: config.accounting.ledger_max_bytes, settleMillis: config.accounting.trace_settle_millis },
      usage,
      metrics,
    );

    const accounting = new CountedOnceConsumer(this.ledger, this.pipeline);
    this.pricing = new PricingSource({ file: config.pricing.file, logger: this.logger });
    const pricing = this.pricing;
    this.intake = traceIntakeFromConfig(config, accounting, metrics, () => pricing.current());
    this.otlpIntake = new OtlpIntake(accounting, { costMode: config.mapping.cost_mode, currency: config.mapping.currency, prices: () => pricing.current() }, metrics);
    if (spool !== undefined) this.replaySpool(spool, queued, accounting, metrics);
    this.endpoint = new IngestEndpoint(this.intake, metrics, this.logger, {
      maxBodyBytes: config.server.max_body_bytes,
      authToken: config.server.auth_token,
    });
    this.bodyBudget = new ByteBudget(config.server.max_in_flight_body_bytes, (usedBytes) => metrics.inFlightBodyBytes.set(usedBytes));
    this.onConnectionRefused = () => metrics.refusedConnections.inc();
    const receiverFactories = dependencies.receiverFactories ?? builtInReceiverFactories;
    this.receivers = config.receivers.map((receiver) => {
      const factory = receiverFactories.get(receiver.type);
      if (factory === undefined) throw new Error(`no factory for receiver type ${receiver.type}`);
      return factory.create(receiver.settings, {
        id: receiver.id,
        otlpIntake: this.otlpIntake,
        metrics,
        logger: this.logger,
        maxBodyBytes: config.server.max_body_bytes,
        authToken: config.server.auth_token,
        bodyBudget: this.bodyBudget,
        createHttpServer: (listener) => this.createHttpServer(listener),
      });
    });
    this.app = createHttpApp({ endpoint: this.endpoint, store: this.store, registry: this.registry, logger: this.logger, bodyBudget: this.bodyBudget });
  }

  /** The spans of a spool record, whichever intake wrote it (spool-records.ts). */
  private spansOfRecord(payload: Buffer): ReadableSpan[] {
    return isA2ARecord(payload) ? this.intake.spansOfRecord(payload) : this.otlpIntake.spansOfRecord(payload);
  }

  /** A node:http server with the collector's limits (`server.*`). */
  private createHttpServer(listener: RequestListener): Server {
    const limits = serverLimitsFromConfig(this.config);
    const server = createServer(httpServerOptions(limits), listener);
    limitConnections(server, limits, this.onConnectionRefused);
    return server;
  }

  /**
   * Opens the spool and takes back what it holds: every record rebuilds the ledger (remembered,
   * not counted again) and the store; each exporter's feed then reads, from its cursor on, what it
   * had not delivered, as its queue has room.
   */
  private replaySpool(spool: Spool, queued: readonly QueuedExporter[], accounting: CountedOnceConsumer, metrics: SelfMetrics): void {
    const report = spool.open();
    if (report.tornTailBytes > 0) metrics.spoolTruncatedBytes.inc(report.tornTailBytes);
    if (report.corruptRecords > 0) metrics.spoolCorruptRecords.inc(report.corruptRecords);
    if (report.tornTailBytes > 0 || report.corruptRecords > 0) {
      this.logger.log('warn', 'spool damaged by a crash: cut or skipped what could not be read', {
        directory: spool.directory,
        tornTailBytes: report.tornTailBytes,
        corruptRecords: report.corruptRecords,
      });
    }
    const replayed = new Map<string, number>();
    for (const record of spool.unsent()) {
      let spans: ReadableSpan[];
      try {
        spans = this.spansOfRecord(record.payload);
      } catch (error) {
        metrics.spoolCorruptRecords.inc();
        this.logger.log('error', 'spool record unreadable; skipped', { sequence: record.sequence, error: (error as Error).message });
        continue;
      }
      accounting.replay(spans);
      this.pipeline.deliverInProcess(spans);
      for (const queue of queued) {
        if (record.sequence > spool.deliveredThrough(queue.name)) replayed.set(queue.name, (replayed.get(queue.name) ?? 0) + spans.length);
      }
    }
    for (const [exporter, spans] of replayed) metrics.spoolReplayedSpans.inc({ exporter }, spans);
    metrics.spoolCapacityBytes.set(spool.capacityBytes);
    if (replayed.size > 0) this.logger.log('info', 'spool replayed to exporters', { directory: spool.directory, spans: Object.fromEntries(replayed) });
    this.pipeline.startFeeds((payload) => this.spansOfRecord(payload), replayed);
  }

  /**
   * Opens the HTTP listener, then the receivers' own (OTLP/gRPC, a dedicated OTLP/HTTP port).
   * Resolves with the collector's bound address (useful with port 0); {@link receiverAddresses} has the others.
   */
  async start(): Promise<ListenAddress> {
    this.ledger.start();
    this.pricing.start();
    const routes = this.receivers.flatMap((receiver) => receiver.routes);
    const server = this.createHttpServer(createNodeListener(this.app, this.endpoint, { bodyBudget: this.bodyBudget, routes }));
    this.server = server;
    const address = await listen(server, this.config.server.port, this.config.server.host);
    const receiverAddresses: string[] = [];
    for (const [index, receiver] of this.receivers.entries()) {
      try {
        receiverAddresses.push(...(await receiver.start()));
      } catch (error) {
        // Nothing half-started stays open: the caller exits, or tries again with another config.
        await Promise.all([closeServer(server, 0), ...this.receivers.map((started) => started.shutdown())]);
        throw new Error(`receiver ${this.config.receivers[index]?.id ?? index}: ${(error as Error).message}`, { cause: error });
      }
    }
    this.listeningReceivers = receiverAddresses;
    this.logger.log('info', 'collector listening', {
      url: address.url,
      receivers: this.config.receivers.map((r) => r.id),
      exporters: this.config.exporters.map((e) => e.id),
    });
    return address;
  }

  private listeningReceivers: readonly string[] = [];

  /** Addresses the receivers listen on besides the collector's port (`host:port` for gRPC, a URL for HTTP), once started. */
  get receiverAddresses(): readonly string[] {
    return this.listeningReceivers;
  }

  /** Sends everything queued to the exporters now. */
  async forceFlush(timeoutMillis?: number): Promise<void> {
    await this.pipeline.forceFlush(timeoutMillis);
  }

  /** Stop intake, drain the queues (bounded by `timeoutMillis`), close the exporters. Safe to call twice. */
  shutdown(timeoutMillis = 30_000): Promise<void> {
    this.stopping ??= (async () => {
      const server = this.server;
      // Stop intake first; a request still arriving gets a bounded grace period.
      const grace = Math.min(5_000, timeoutMillis / 3);
      await Promise.all([server === undefined ? undefined : closeServer(server, grace), ...this.receivers.map((receiver) => receiver.shutdown())]);
      this.pricing.close();
      await this.pipeline.shutdown(timeoutMillis);
      this.ledger.shutdown();
      for (const component of this.components) await component.shutdown();
      await this.spool?.close();
      if (this.spool !== undefined && this.config.spool.directory === undefined && this.config.server.port === 0) {
        rmSync(this.spool.directory, { recursive: true, force: true });
      }
      this.logger.log('info', 'collector stopped');
    })();
    return this.stopping;
  }
}
