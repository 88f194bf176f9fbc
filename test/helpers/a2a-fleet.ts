/**
 * @module A fleet of real `@a2a-js/sdk` agents that call one another, each behind its own `proxy`
 * sidecar (the real CLI, a child process), for end-to-end accounting tests. Every agent returns a
 * ResponseTrace the way the reference Python agents write it, and nests each callee's trace in the
 * AGENT step that called it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard, type Message, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { TRACEABILITY_EXTENSION_URI, TRACEABILITY_METADATA_KEY } from '../../src/a2a/extension-keys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One tool an agent runs: its name, what it costs, and how long it takes in milliseconds. */
export interface FleetTool {
  readonly name: string;
  readonly cost: number;
  readonly millis: number;
}

/** What one agent of the fleet does for every message. */
export interface FleetAgentSpec {
  /** Agent name: card name, root step name, and its sidecar's `service.name`. */
  readonly name: string;
  /** Its own tool steps, run before it calls anyone. */
  readonly tools: readonly FleetTool[];
  /**
   * Run the tools at once (`asyncio.gather`): they are listed in completion order, while the root
   * sums them in call order. Default false: one after another.
   */
  readonly parallelTools?: boolean;
  /** Agents it calls, one after another, after its tools. Default none. */
  readonly callees?: readonly string[];
}

/** A running fleet agent. */
export interface FleetAgent {
  readonly name: string;
  /** The agent's own base URL (its sidecar's upstream). */
  readonly url: string;
  /** The A2A trace id of every trace it returned, in order. */
  readonly traceIds: string[];
  /** Headers of every JSON-RPC call it received, in order. */
  readonly rpcHeaders: Array<Readonly<Record<string, string | string[] | undefined>>>;
  /** Every URL its SDK client fetched while calling other agents. */
  readonly outboundUrls: string[];
  close(): Promise<void>;
}

/** Python's `datetime.isoformat()` of a UTC time: `+00:00`, 6 fraction digits, none when they are all 0. */
export function pythonIsoformat(time: Date): string {
  const iso = time.toISOString();
  const millis = time.getUTCMilliseconds();
  return `${iso.slice(0, 19)}${millis === 0 ? '' : `.${String(millis).padStart(3, '0')}000`}+00:00`;
}

/** Costs as an agent bills them: summed in call order and rounded to micro-units. */
function billedSum(costs: readonly number[]): number {
  return Math.round(costs.reduce((sum, cost) => sum + cost, 0) * 1e6) / 1e6;
}

interface StepFields {
  readonly stepId: string;
  readonly traceId: string;
  readonly parentStepId: string | null;
  readonly callType: 'AGENT' | 'TOOL';
  readonly name: string;
  readonly parameters: Record<string, unknown>;
  readonly cost: number;
  readonly start: Date;
  readonly end: Date;
  readonly agentInvocation?: { agent_name: string; agent_url: string; response_trace: unknown };
}

/** A step in the reference Python implementation's shape: snake_case, every key present. */
function pythonStep(fields: StepFields): Record<string, unknown> {
  const step: Record<string, unknown> = {
    step_id: fields.stepId,
    trace_id: fields.traceId,
    parent_step_id: fields.parentStepId,
    call_type: fields.callType,
    name: fields.name,
    parameters: fields.parameters,
    requests: null,
    step_type: null,
    cost: fields.cost,
    total_tokens: null,
    additional_attributes: {},
    latency: fields.end.getTime() - fields.start.getTime(),
    start_time: pythonIsoformat(fields.start),
    end_time: pythonIsoformat(fields.end),
    error: '',
  };
  if (fields.agentInvocation !== undefined) step['step_action'] = { agent_invocation: fields.agentInvocation };
  return step;
}

function textPart(text: string): Message['parts'][number] {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

/** A user message; the receiving agent picks the task id. */
export function fleetRequest(text: string, contextId: string = randomUUID()): SendMessageRequest {
  return {
    tenant: '',
    metadata: undefined,
    message: { messageId: `msg-${randomUUID()}`, contextId, taskId: '', role: Role.ROLE_USER, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] },
    configuration: undefined,
  };
}

/** An SDK client and every URL it fetched. */
export interface FleetClient {
  readonly client: Client;
  readonly urls: string[];
}

/**
 * An SDK JSON-RPC (protocol 1.0) client for the agent whose card is at `baseUrl`, resolved with the
 * SDK's own card resolver: behind a sidecar, the card it gets names the sidecar. `polling` is the
 * SDK's `ClientConfig.polling`: `sendMessage` answers at once and the caller polls `getTask`.
 */
export async function createFleetClient(baseUrl: string, options: { polling?: boolean; urls?: string[] } = {}): Promise<FleetClient> {
  const urls = options.urls ?? [];
  const fetchImpl: typeof fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(baseUrl);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      preferredTransports: ['JSONRPC'],
      clientConfig: { polling: options.polling ?? false },
    }),
  );
  const interfaces = card.supportedInterfaces.filter((entry) => entry.protocolBinding === 'JSONRPC' && entry.protocolVersion === '1.0');
  return { client: await factory.createFromAgentCard({ ...card, supportedInterfaces: interfaces }), urls };
}

/** The sum of a ResponseTrace's root-step costs: what the agent that returned it spent in all. */
function traceTotal(trace: unknown): number {
  const steps = (trace as { steps?: Array<{ parent_step_id?: unknown; cost?: unknown }> } | undefined)?.steps ?? [];
  return billedSum(steps.filter((step) => step.parent_step_id === null).map((step) => (typeof step.cost === 'number' ? step.cost : 0)));
}

const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));

class FleetExecutor implements AgentExecutor {
  private calls = 0;
  private readonly clients = new Map<string, Promise<FleetClient>>();

  constructor(
    private readonly spec: FleetAgentSpec,
    private readonly calleeUrl: (name: string) => string,
    private readonly traceIds: string[],
    private readonly outboundUrls: string[],
  ) {}

  async execute(requestContext: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = requestContext;
    const call = requestContext.context;
    const traced = (call.requestedExtensions ?? []).includes(TRACEABILITY_EXTENSION_URI);
    if (traced) call.addActivatedExtension(TRACEABILITY_EXTENSION_URI);
    const status = (state: TaskState, text?: string): Task['status'] => ({
      state,
      message: text === undefined ? undefined : { messageId: `status-${randomUUID()}`, contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] },
      timestamp: new Date().toISOString(),
    });
    bus.publish(AgentEvent.task({ id: taskId, contextId, status: status(TaskState.TASK_STATE_SUBMITTED), artifacts: [], history: [requestContext.userMessage], metadata: undefined }));
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), metadata: undefined }));
    try {
      const trace = await this.run();
      bus.publish(
        AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: { artifactId: 'answer', name: 'answer', description: '', parts: [textPart(`answer from ${this.spec.name}`)], metadata: undefined, extensions: [] },
          append: false,
          lastChunk: true,
          metadata: undefined,
        }),
      );
      bus.publish(
        AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_COMPLETED, 'done'), metadata: traced ? { [TRACEABILITY_METADATA_KEY]: trace } : undefined }),
      );
    } catch (error) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(TaskState.TASK_STATE_FAILED, String(error)), metadata: undefined }));
    }
    bus.finished();
  }

  async cancelTask(): Promise<void> {}

  /** Does the work and returns its ResponseTrace; children are appended as they finish, the root last. */
  private async run(): Promise<Record<string, unknown>> {
    this.calls += 1;
    const traceId = `trace-${this.spec.name}-${this.calls}`;
    this.traceIds.push(traceId);
    const rootId = `step-${randomUUID()}`;
    const rootStart = new Date();
    const steps: Array<Record<string, unknown>> = [];
    const callOrderCosts: number[] = [];

    const runTool = async (tool: FleetTool): Promise<void> => {
      const start = new Date();
      await sleep(tool.millis);
      steps.push(pythonStep({ stepId: `step-${randomUUID()}`, traceId, parentStepId: rootId, callType: 'TOOL', name: tool.name, parameters: { agent: this.spec.name }, cost: tool.cost, start, end: new Date() }));
    };
    if (this.spec.parallelTools === true) await Promise.all(this.spec.tools.map(runTool));
    else for (const tool of this.spec.tools) await runTool(tool);
    callOrderCosts.push(...this.spec.tools.map((tool) => tool.cost));

    for (const callee of this.spec.callees ?? []) {
      const start = new Date();
      const { client } = await this.clientFor(callee);
      const answer = await client.sendMessage(fleetRequest(`${this.spec.name} asks ${callee}`));
      if (!('id' in answer) || answer.status?.state !== TaskState.TASK_STATE_COMPLETED) throw new Error(`${callee} did not complete: ${JSON.stringify(answer)}`);
      const calleeTrace: unknown = answer.metadata?.[TRACEABILITY_METADATA_KEY];
      if (calleeTrace === undefined) throw new Error(`${callee} answered without a ResponseTrace`);
      // The parent reports inclusively, as the extension's examples do: the callee's total.
      const cost = traceTotal(calleeTrace);
      callOrderCosts.push(cost);
      steps.push(
        pythonStep({
          stepId: `step-${randomUUID()}`,
          traceId,
          parentStepId: rootId,
          callType: 'AGENT',
          name: callee,
          parameters: {},
          cost,
          start,
          end: new Date(),
          agentInvocation: { agent_name: callee, agent_url: this.calleeUrl(callee), response_trace: calleeTrace },
        }),
      );
    }
    steps.push(pythonStep({ stepId: rootId, traceId, parentStepId: null, callType: 'AGENT', name: this.spec.name, parameters: {}, cost: billedSum(callOrderCosts), start: rootStart, end: new Date() }));
    return { trace_id: traceId, steps };
  }

  private clientFor(callee: string): Promise<FleetClient> {
    let client = this.clients.get(callee);
    if (client === undefined) {
      client = createFleetClient(this.calleeUrl(callee), { urls: this.outboundUrls });
      this.clients.set(callee, client);
    }
    return client;
  }
}

function fleetCard(name: string, baseUrl: string): AgentCard {
  return {
    name,
    description: `fleet agent ${name}`,
    supportedInterfaces: [
      { url: `${baseUrl}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
      { url: `${baseUrl}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extensions: [{ uri: TRACEABILITY_EXTENSION_URI, description: 'returns a ResponseTrace', required: false, params: undefined }],
      extendedAgentCard: false,
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: 'answer', name: 'answer', description: 'answers', tags: ['test'], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
}

/**
 * Starts one fleet agent on 127.0.0.1 (a free port): JSON-RPC at `/a2a/jsonrpc`, its card (naming
 * the agent itself) at `/.well-known/agent-card.json`. `calleeUrl` gives the base URL to call a
 * callee at (its sidecar); it is asked at call time.
 */
export async function startFleetAgent(spec: FleetAgentSpec, calleeUrl: (name: string) => string): Promise<FleetAgent> {
  const traceIds: string[] = [];
  const outboundUrls: string[] = [];
  const rpcHeaders: FleetAgent['rpcHeaders'] = [];
  let ownUrl = '';
  const handler = new DefaultRequestHandler(fleetCard(spec.name, 'http://127.0.0.1'), new InMemoryTaskStore(), new FleetExecutor(spec, calleeUrl, traceIds, outboundUrls));
  const app = express();
  app.use('/a2a/jsonrpc', (req, _res, next) => {
    rpcHeaders.push({ ...req.headers });
    next();
  });
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: () => Promise.resolve(fleetCard(spec.name, ownUrl)), legacyCompat: { enabled: true } }));
  app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  ownUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    name: spec.name,
    url: ownUrl,
    traceIds,
    rpcHeaders,
    outboundUrls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `proxy` command (the real CLI) running as a child process in front of one agent. */
export interface SidecarProcess {
  readonly proxyUrl: string;
  /** The collector API of the sidecar: ingest, `/api/traces`, `/metrics`. */
  readonly collectorUrl: string;
  readonly stderr: () => string;
  /** SIGTERM, then resolves with the exit code; removes its config directory. */
  stop(): Promise<number | null>;
}

/** How one sidecar is configured. */
export interface SidecarOptions {
  /** The agent's base URL. */
  readonly upstream: string;
  /** `service.name`: the agent's name. */
  readonly service: string;
  /** `accounting.sidecar_agents`. */
  readonly sidecarAgents: readonly string[];
  /** OTLP/HTTP base URL of the trace backend (`exporters.otlp/jaeger.endpoint`). */
  readonly otlpUrl: string;
}

/**
 * Starts `src/cli.ts proxy --config FILE` (through tsx, as a2a-proxy.test.ts does) with its collector
 * and its proxy on free ports; resolves once it has printed both URLs.
 */
export async function startSidecar(options: SidecarOptions): Promise<SidecarProcess> {
  const dir = mkdtempSync(join(tmpdir(), `a2a-fleet-${options.service}-`));
  const config = join(dir, 'collector.yaml');
  writeFileSync(
    config,
    [
      'server:',
      '  port: 0',
      'service:',
      `  name: ${options.service}`,
      'accounting:',
      `  sidecar_agents: ${JSON.stringify(options.sidecarAgents)}`,
      'proxy:',
      `  upstream: ${options.upstream}`,
      '  port: 0',
      'exporters:',
      '  otlp/jaeger:',
      `    endpoint: ${options.otlpUrl}`,
      '    batch:',
      '      scheduled_delay_millis: 50',
      '',
    ].join('\n'),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'proxy', '--config', config], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    rmSync(dir, { recursive: true, force: true });
    return code;
  };
  try {
    const urls = await new Promise<{ proxyUrl: string; collectorUrl: string }>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const proxyUrl = /^proxy: (\S+)$/m.exec(stdout)?.[1];
        const collectorUrl = /^collector: (\S+)$/m.exec(stdout)?.[1];
        if (proxyUrl !== undefined && collectorUrl !== undefined) resolve({ proxyUrl, collectorUrl });
      });
      void exited.then((code) => reject(new Error(`proxy for ${options.service} exited ${code}: ${stderr}`)));
    });
    return { ...urls, stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One agent of a running fleet and its sidecar. */
export interface FleetMember {
  readonly agent: FleetAgent;
  readonly sidecar: SidecarProcess;
}

/** A running fleet; `stop()` ends every sidecar and agent, and is safe to call more than once. */
export interface RunningFleet {
  readonly members: ReadonlyMap<string, FleetMember>;
  /** Exit codes of the sidecars, by agent name, once stopped. */
  stop(): Promise<Map<string, number | null>>;
}

/**
 * Starts every agent of `specs`, each behind its own sidecar with the same `sidecarAgents` list,
 * all exporting to `otlpUrl`. Agents call each other through the callee's sidecar.
 */
export async function startFleet(specs: readonly FleetAgentSpec[], sidecarAgents: readonly string[], otlpUrl: string): Promise<RunningFleet> {
  const sidecarUrls = new Map<string, string>();
  const calleeUrl = (name: string): string => {
    const url = sidecarUrls.get(name);
    if (url === undefined) throw new Error(`no sidecar for ${name}`);
    return url;
  };
  const agents: FleetAgent[] = [];
  const sidecars = new Map<string, SidecarProcess>();
  const stopAll = async (): Promise<Map<string, number | null>> => {
    const codes = new Map<string, number | null>();
    for (const [name, sidecar] of sidecars) codes.set(name, await sidecar.stop());
    for (const agent of agents) await agent.close();
    return codes;
  };
  try {
    for (const spec of specs) agents.push(await startFleetAgent(spec, calleeUrl));
    const started = await Promise.allSettled(agents.map((agent) => startSidecar({ upstream: agent.url, service: agent.name, sidecarAgents, otlpUrl })));
    started.forEach((result, index) => {
      if (result.status === 'fulfilled') sidecars.set(agents[index]?.name ?? '', result.value);
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    await stopAll();
    throw error;
  }
  for (const [name, sidecar] of sidecars) sidecarUrls.set(name, sidecar.proxyUrl);
  const members = new Map(agents.map((agent) => [agent.name, { agent, sidecar: sidecars.get(agent.name) as SidecarProcess }]));
  let stopped: Promise<Map<string, number | null>> | undefined;
  return { members, stop: () => (stopped ??= stopAll()) };
}
