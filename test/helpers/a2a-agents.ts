/**
 * @module Real A2A agents and clients for tests, built with the official `@a2a-js/sdk`: an express
 * agent speaking JSON-RPC and HTTP+JSON, protocol 1.0 and (through the SDK's compat layer) 0.3, that
 * returns a ResponseTrace the way the reference agents do, and SDK clients for each transport.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard, type AgentCardSignature, type Message, type SendMessageRequest, type StreamResponse } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { TRACEABILITY_EXTENSION_URI, TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';

/**
 * Where the agent puts its ResponseTrace: in the final status-update's metadata (the reference
 * Python agent; the SDK merges it into Task.metadata), in the answer artifact's metadata, or as a
 * data part of that artifact.
 */
export type TracePlacement = 'status-metadata' | 'artifact-metadata' | 'artifact-data-part';

/** How a test agent behaves. */
export interface TestAgentOptions {
  /** Agent name (card name, and the trace's AGENT step name). */
  readonly name: string;
  readonly placement: TracePlacement;
  /** Working status updates sent between the first event and the answer. Default 0. */
  readonly fillerEvents?: number;
  /** Characters of progress text in each filler event. Default 16. */
  readonly fillerTextLength?: number;
  /**
   * Awaited after the first event (the Task) is published and before anything else: a test
   * resolves it once its client has received that first event.
   */
  readonly afterFirstEvent?: () => Promise<void>;
  /**
   * The card served at `/.well-known/agent-card.json`: `1.0` (default) the SDK's, which answers
   * 0.3 clients (`A2A-Version: 0.3`, or none) with a 0.3 card that also lists the 1.0 interfaces;
   * `0.3` a protocol 0.3 card only (`url`, `preferredTransport`, `additionalInterfaces`) whatever
   * the client asks for.
   */
  readonly cardProtocolVersion?: '1.0' | '0.3';
  /** Signatures the 1.0 card carries. Default none. */
  readonly signatures?: readonly AgentCardSignature[];
  /**
   * The card advertises an extended card (`capabilities.extendedAgentCard`), served by every
   * transport, named `<name>-extended`. Default false.
   */
  readonly extendedCard?: boolean;
}

/** One request as the agent saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A running test agent. */
export interface RunningAgent {
  /** Base URL, `http://127.0.0.1:port`. */
  readonly url: string;
  /** Every request the agent received, in order. */
  readonly seen: SeenRequest[];
  /** Base URL the agent card advertises (the proxy in front of it, for example); undefined: {@link url}. */
  setPublicUrl(url: string | undefined): void;
  /** Calls with a gate (see {@link TestAgentOptions.afterFirstEvent}) have all resolved. */
  close(): Promise<void>;
}

/** The fixed moment every status of a test agent carries, so that answers are byte-for-byte repeatable. */
export const AGENT_TIMESTAMP = '2026-03-10T21:23:14.974Z';

/** The ResponseTrace a test agent returns, in the reference Python implementation's shape: an AGENT root with two TOOL children. */
export function agentTrace(name: string, traceId: string): Record<string, unknown> {
  const step = (stepId: string, parent: string | null, callType: string, stepName: string, cost: number, start: string, end: string) => ({
    step_id: stepId,
    trace_id: traceId,
    parent_step_id: parent,
    call_type: callType,
    name: stepName,
    parameters: {},
    requests: null,
    step_type: null,
    cost,
    total_tokens: null,
    additional_attributes: {},
    latency: 0,
    start_time: start,
    end_time: end,
    error: '',
  });
  return {
    trace_id: traceId,
    steps: [
      step(`${traceId}-lookup`, `${traceId}-root`, 'TOOL', 'lookup', 0.25, '2026-03-10T21:23:14.100000+00:00', '2026-03-10T21:23:14.300000+00:00'),
      step(`${traceId}-llm`, `${traceId}-root`, 'TOOL', 'llm_answer', 0.5, '2026-03-10T21:23:14.300000+00:00', '2026-03-10T21:23:14.900000+00:00'),
      step(`${traceId}-root`, null, 'AGENT', name, 0.75, '2026-03-10T21:23:14+00:00', '2026-03-10T21:23:14.950000+00:00'),
    ],
  };
}

/** The producer trace id a test agent gives the trace of a call: one per agent and user text. */
export function agentTraceId(agentName: string, text: string): string {
  return `trace-${agentName}-${text}`;
}

function userText(message: Message): string {
  const content = message.parts[0]?.content;
  return content?.$case === 'text' ? content.value : '';
}

function textPart(text: string): Message['parts'][number] {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

function agentMessage(messageId: string, taskId: string, contextId: string, text: string): Message {
  return { messageId, contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
}

class TracingExecutor implements AgentExecutor {
  constructor(private readonly options: TestAgentOptions) {}

  async execute(requestContext: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = requestContext;
    const call = requestContext.context;
    const traced = (call.requestedExtensions ?? []).includes(TRACEABILITY_EXTENSION_URI);
    if (traced) call.addActivatedExtension(TRACEABILITY_EXTENSION_URI);
    const trace = traced ? agentTrace(this.options.name, agentTraceId(this.options.name, userText(requestContext.userMessage))) : undefined;
    const placement = this.options.placement;

    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId,
        status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: AGENT_TIMESTAMP },
        artifacts: [],
        history: [requestContext.userMessage],
        metadata: undefined,
      }),
    );
    await this.options.afterFirstEvent?.();
    const filler = 'x'.repeat(this.options.fillerTextLength ?? 16);
    for (let index = 0; index < (this.options.fillerEvents ?? 0); index++) {
      // Progress in metadata, not in a status message: the SDK's task store appends every status
      // message to the task's history and copies the task on each event, quadratic over 1,000 events.
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: AGENT_TIMESTAMP },
          metadata: { progress: `${index} ${filler}` },
        }),
      );
    }
    const parts = [textPart(`hello from ${this.options.name}`)];
    if (trace !== undefined && placement === 'artifact-data-part') {
      parts.push({ content: { $case: 'data', value: trace }, metadata: undefined, filename: '', mediaType: 'application/json' });
    }
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: {
          artifactId: 'answer',
          name: 'answer',
          description: '',
          parts,
          metadata: trace !== undefined && placement === 'artifact-metadata' ? { [TRACEABILITY_METADATA_KEY]: trace } : undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        status: { state: TaskState.TASK_STATE_COMPLETED, message: agentMessage('done', taskId, contextId, 'done'), timestamp: AGENT_TIMESTAMP },
        metadata: trace !== undefined && placement === 'status-metadata' ? { [TRACEABILITY_METADATA_KEY]: trace } : undefined,
      }),
    );
    bus.finished();
  }

  async cancelTask(): Promise<void> {}
}

interface CardOptions {
  readonly signatures?: readonly AgentCardSignature[] | undefined;
  readonly extendedCard?: boolean | undefined;
}

function agentCard(name: string, baseUrl: string, options: CardOptions = {}): AgentCard {
  return {
    name,
    description: `test agent ${name}`,
    supportedInterfaces: [
      { url: `${baseUrl}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
      { url: `${baseUrl}/a2a/rest`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: '1.0' },
      { url: `${baseUrl}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
      { url: `${baseUrl}/a2a/rest`, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: '0.3' },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extensions: [{ uri: TRACEABILITY_EXTENSION_URI, description: 'returns a ResponseTrace', required: false, params: undefined }],
      extendedAgentCard: options.extendedCard ?? false,
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills: [{ id: 'answer', name: 'answer', description: 'answers', tags: ['test'], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [...(options.signatures ?? [])],
  };
}

/** A protocol 0.3 card (the 0.3 JSON schema: one `url`, the other transports in `additionalInterfaces`). */
function legacyAgentCard(name: string, baseUrl: string): Record<string, unknown> {
  return {
    name,
    description: `test agent ${name}`,
    version: '1.0.0',
    protocolVersion: '0.3',
    url: `${baseUrl}/a2a/jsonrpc`,
    preferredTransport: 'JSONRPC',
    additionalInterfaces: [{ url: `${baseUrl}/a2a/rest`, transport: 'HTTP+JSON' }],
    capabilities: { streaming: true, pushNotifications: false, extensions: [{ uri: TRACEABILITY_EXTENSION_URI, description: 'returns a ResponseTrace', required: false }] },
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills: [{ id: 'answer', name: 'answer', description: 'answers', tags: ['test'] }],
  };
}

/**
 * Starts an SDK agent on 127.0.0.1 (a free port) with JSON-RPC at `/a2a/jsonrpc` and HTTP+JSON at
 * `/a2a/rest`, both also accepting protocol 0.3 (the SDK's `legacyCompat`), and its card at
 * `/.well-known/agent-card.json`.
 */
export async function startTestAgent(options: TestAgentOptions): Promise<RunningAgent> {
  const seen: SeenRequest[] = [];
  let publicUrl: string | undefined;
  let ownUrl = '';
  const cardOptions: CardOptions = { signatures: options.signatures, extendedCard: options.extendedCard };
  const handler = new DefaultRequestHandler(
    agentCard(options.name, 'http://127.0.0.1', cardOptions),
    new InMemoryTaskStore(),
    new TracingExecutor(options),
    undefined,
    undefined,
    undefined,
    options.extendedCard === true ? () => Promise.resolve(agentCard(`${options.name}-extended`, publicUrl ?? ownUrl, cardOptions)) : undefined,
  );
  const app = express();
  app.use((req, _res, next) => {
    seen.push({ method: req.method, path: req.originalUrl, headers: { ...req.headers } });
    next();
  });
  if (options.cardProtocolVersion === '0.3') {
    app.get(`/${AGENT_CARD_PATH}`, (_req, res) => {
      res.json(legacyAgentCard(options.name, publicUrl ?? ownUrl));
    });
  }
  app.use(
    `/${AGENT_CARD_PATH}`,
    agentCardHandler({ agentCardProvider: () => Promise.resolve(agentCard(options.name, publicUrl ?? ownUrl, cardOptions)), legacyCompat: { enabled: true } }),
  );
  app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
  app.use('/a2a/rest', restHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  ownUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: ownUrl,
    seen,
    setPublicUrl(url) {
      publicUrl = url;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A protocol version and transport the SDK 1.3.0 client speaks over HTTP. */
export interface ClientFlavour {
  readonly name: string;
  readonly protocolVersion: '0.3' | '1.0';
  readonly binding: 'JSONRPC' | 'HTTP+JSON';
}

/** Every flavour the SDK 1.3.0 speaks over HTTP (gRPC is not HTTP/1.1 and not proxied). */
export const CLIENT_FLAVOURS: readonly ClientFlavour[] = [
  { name: 'JSON-RPC 1.0', protocolVersion: '1.0', binding: 'JSONRPC' },
  { name: 'JSON-RPC 0.3', protocolVersion: '0.3', binding: 'JSONRPC' },
  { name: 'HTTP+JSON 1.0', protocolVersion: '1.0', binding: 'HTTP+JSON' },
  { name: 'HTTP+JSON 0.3', protocolVersion: '0.3', binding: 'HTTP+JSON' },
];

/** What an SDK client received on the wire, next to what it decoded. */
export interface RecordedExchange {
  readonly url: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly status: number;
  readonly contentType: string;
  /** The raw response body as the client's fetch read it; resolves once the body has ended. */
  readonly body: Promise<string>;
}

/** An SDK client and the raw wire exchanges it made. */
export interface RecordingClient {
  readonly client: Client;
  readonly exchanges: RecordedExchange[];
}

/**
 * Builds an SDK client of `flavour` for the agent whose card is at `baseUrl` (fetched with the SDK's
 * own resolver, through whatever `baseUrl` points at), keeping only the card's interfaces of that
 * binding and protocol version so the SDK picks that transport. Every response body is recorded as
 * the client's fetch received it.
 */
export async function createRecordingClient(baseUrl: string, flavour: ClientFlavour, extraHeaders: Record<string, string> = {}): Promise<RecordingClient> {
  const exchanges: RecordedExchange[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [key, value] of Object.entries(extraHeaders)) headers.set(key, value);
    const response = await fetch(input, { ...init, headers });
    const [forClient, forRecord] = (response.body ?? new ReadableStream<Uint8Array>()).tee();
    const url = input instanceof Request ? input.url : String(input);
    const body = new Response(forRecord).text();
    // A body cut mid-way rejects; the client sees that on its own branch.
    body.catch(() => undefined);
    exchanges.push({ url, requestHeaders: Object.fromEntries(headers.entries()), status: response.status, contentType: response.headers.get('content-type') ?? '', body });
    return new Response(response.status === 204 || response.status === 304 ? null : forClient, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const resolver = new DefaultAgentCardResolver({ fetchImpl, legacyCompat: { enabled: true } });
  const card = await resolver.resolve(baseUrl);
  const interfaces = card.supportedInterfaces.filter((entry) => entry.protocolBinding === flavour.binding && entry.protocolVersion === flavour.protocolVersion);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } }), new RestTransportFactory({ fetchImpl, legacyCompat: { enabled: true } })],
      preferredTransports: [flavour.binding],
    }),
  );
  const client = await factory.createFromAgentCard({ ...card, supportedInterfaces: interfaces });
  return { client, exchanges };
}

/** A user message with fixed ids (the agent generates only the task id). */
export function userRequest(text: string, contextId = 'ctx-proxy-test'): SendMessageRequest {
  return {
    tenant: '',
    metadata: undefined,
    message: { messageId: `user-${text}`, contextId, taskId: '', role: Role.ROLE_USER, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] },
    configuration: undefined,
  };
}

/** Collects a stream the SDK client yields. */
export async function collectStream(stream: AsyncGenerator<StreamResponse, void, undefined>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}
