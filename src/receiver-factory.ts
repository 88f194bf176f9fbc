/**
 * @module The receiver component contract (DESIGN §10, after the Collector's factories, beside the
 * exporters' in src/fan-out/exporter-factory.ts): a type name, a config schema and a constructor. A
 * receiver knows its wire format and nothing downstream: it hands what it reads to an intake, which
 * settles cost and hands the spans to the counted-once consumer.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { OtlpIntake } from './accounting/otlp-intake.js';
import type { ByteBudget } from './http/byte-budget.js';
import type { Logger } from './telemetry/logger.js';
import type { SelfMetrics } from './telemetry/self-metrics.js';

/** What a factory may use when it builds a receiver. */
export interface ReceiverContext {
  /** The receiver id (`otlp`, `otlp/agents`). */
  readonly id: string;
  /** Where OTLP spans go. */
  readonly otlpIntake: OtlpIntake;
  readonly metrics: SelfMetrics;
  readonly logger: Logger;
  /** `server.max_body_bytes`: the largest request, as sent and once decoded. */
  readonly maxBodyBytes: number;
  /** `server.auth_token`: the bearer token every ingest requires, when set. */
  readonly authToken: string | undefined;
  /** `server.max_in_flight_body_bytes`, shared with every listener of the collector. */
  readonly bodyBudget: ByteBudget;
  /** A node:http server with the collector's limits (`server.*_timeout_millis`, `max_connections`), for a listener of the receiver's own. */
  readonly createHttpServer: (listener: RequestListener) => Server;
}

/** A route a receiver serves on the collector's own HTTP listener. */
export interface ReceiverRoute {
  matches(request: IncomingMessage): boolean;
  /** Answers the request; never throws. */
  serve(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

/** A receiver: routes on the collector's port, and listeners of its own. */
export interface Receiver {
  /** Routes served on the collector's port (`server.port`). */
  readonly routes: readonly ReceiverRoute[];
  /** Opens its own listeners, if any; resolves with their addresses (`host:port` or URL). */
  start(): Promise<readonly string[]>;
  /** Closes its own listeners; calls in progress get a bounded grace. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** A receiver component: a type, its config schema and how to build one. */
export interface ReceiverFactory<Config = unknown> {
  /** Type name used in config ids (`otlp` in `otlp/agents`). */
  readonly type: string;
  /** Schema of this type's config; MUST reject unknown keys. */
  readonly configSchema: z.ZodType<Config, unknown>;
  /** Builds the receiver. MUST NOT open sockets before {@link Receiver.start}. */
  create(config: Config, context: ReceiverContext): Receiver;
}
