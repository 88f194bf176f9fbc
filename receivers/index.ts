/**
 * @module The receiver components built into the collector, by type name. The A2A ways in
 * (receivers/a2a-http, receivers/a2a-proxy) are the collector's own endpoint and the `proxy` command.
 */
import type { ReceiverFactory } from '../src/receiver-factory.js';
import { otlpReceiverFactory } from './otlp/otlp-receiver-factory.js';

/** Every built-in receiver factory, keyed by type. */
export const builtInReceiverFactories: ReadonlyMap<string, ReceiverFactory> = new Map<string, ReceiverFactory>([
  [otlpReceiverFactory.type, otlpReceiverFactory],
]);
