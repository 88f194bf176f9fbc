/**
 * @module The `otlp` receiver (the Collector's `receivers.otlp`): `protocols.http` serves
 * `POST /v1/traces` on the collector's own port, and on an `endpoint` of its own when given (the
 * standard one is 127.0.0.1:4318); `protocols.grpc` serves OTLP/gRPC on its `endpoint` (default
 * 127.0.0.1:4317). A protocol set to `null` is off; with no `receivers` section at all, the collector
 * runs this receiver with its defaults: HTTP on the collector's port, no gRPC.
 */
import type { Server } from 'node:http';
import { z } from 'zod';
import { closeServer, listen } from '../../src/http/http-listener.js';
import type { Receiver, ReceiverContext, ReceiverFactory } from '../../src/receiver-factory.js';
import { OtlpGrpcServer } from './otlp-grpc-server.js';
import { OtlpHttpHandler } from './otlp-http-handler.js';

/** `host:port`, the Collector's endpoint notation (a host name, IPv4 or bracketed IPv6, and a port). */
const Endpoint = z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, as 127.0.0.1:4318');

/** The `otlp` receiver's config. */
export const OtlpReceiverSchema = z.strictObject({
  protocols: z
    .strictObject({
      /** OTLP/HTTP; on by default, on the collector's port. `null` turns it off. */
      http: z
        .strictObject({
          /** Also listen on this `host:port` (the standard is 127.0.0.1:4318). Default: the collector's port only. */
          endpoint: Endpoint.optional(),
        })
        .nullable()
        .default({}),
      /** OTLP/gRPC; off unless given. */
      grpc: z
        .strictObject({
          /** Where to listen. Default 127.0.0.1:4317. */
          endpoint: Endpoint.default('127.0.0.1:4317'),
        })
        .nullable()
        .default(null),
    })
    .prefault({}),
});

/** The parsed config. */
export type OtlpReceiverConfig = z.infer<typeof OtlpReceiverSchema>;

function hostAndPort(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(endpoint.slice(colon + 1)) };
}

class OtlpReceiver implements Receiver {
  readonly routes: readonly OtlpHttpHandler[];
  private httpServer: Server | undefined;
  private readonly grpc: OtlpGrpcServer | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: OtlpReceiverConfig,
    private readonly context: ReceiverContext,
  ) {
    const http = config.protocols.http;
    const handler =
      http === null
        ? undefined
        : new OtlpHttpHandler(context.otlpIntake, context.metrics, context.logger, {
            maxBodyBytes: context.maxBodyBytes,
            authToken: context.authToken,
            bodyBudget: context.bodyBudget,
          });
    this.routes = handler === undefined ? [] : [handler];
    const grpc = config.protocols.grpc;
    this.grpc =
      grpc === null
        ? undefined
        : new OtlpGrpcServer(context.otlpIntake, context.metrics, context.logger, {
            endpoint: grpc.endpoint,
            maxMessageBytes: context.maxBodyBytes,
            authToken: context.authToken,
          });
  }

  async start(): Promise<readonly string[]> {
    const addresses: string[] = [];
    const endpoint = this.config.protocols.http?.endpoint;
    const handler = this.routes[0];
    if (endpoint !== undefined && handler !== undefined) {
      const server = this.context.createHttpServer((request, response) => {
        if (handler.matches(request)) {
          void handler.serve(request, response);
          return;
        }
        request.resume();
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only POST /v1/traces is served here\n');
      });
      const { host, port } = hostAndPort(endpoint);
      this.httpServer = server;
      const address = await listen(server, port, host);
      this.context.logger.log('info', 'OTLP/HTTP receiver listening', { url: address.url });
      addresses.push(address.url);
    }
    if (this.grpc !== undefined) addresses.push(await this.grpc.start());
    return addresses;
  }

  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.httpServer !== undefined) await closeServer(this.httpServer, 5_000);
      await this.grpc?.shutdown();
    })();
    return this.stopping;
  }
}

/** Builds `otlp` receivers. */
export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  type: 'otlp',
  configSchema: OtlpReceiverSchema,
  create: (config, context) => new OtlpReceiver(config, context),
};
