/**
 * @module One proxied exchange, from the client's request to the last byte of the answer (or the
 * cut): sends the request to the agent, relays the answer to the client (as the agent sent it, or as
 * an inspector rewrote it), reads it for traces on the way, and settles on one outcome.
 */
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { TRACEABILITY_EXTENSION_URI } from '../../src/a2a/extension-keys.js';
import type { Extraction } from '../../src/a2a/extract-traces.js';
import type { ByteBudget } from '../../src/http/byte-budget.js';
import type { IngestContext } from '../../src/accounting/trace-intake.js';
import { AgentCardInspector, type CardOutcome } from './agent-card-inspector.js';
import { JsonRpcMethodSniffer, type CardRequest } from './agent-card-requests.js';
import { ClientResponseWriter } from './client-response-writer.js';
import { contentCodings, createDecoder, type Decoder } from './content-codings.js';
import { GuardedDecoder } from './decompression-guard.js';
import { withoutExtension } from './extension-activation.js';
import { bodyKindOf, hasBody, withVia, type BodyKind } from './http-messages.js';
import type { ProxyIntake } from './proxy-intake.js';
import type { ProxyMetrics, ProxyOutcome, StripSkipReason } from './proxy-metrics.js';
import type { A2AProxyOptions } from './proxy-options.js';
import { headerListMembers, withoutHeader, withoutHopByHop, type RawHeaders } from './raw-headers.js';
import { EventStreamInspector, JsonBodyInspector, type InspectionResult, type ResponseInspector } from './response-inspectors.js';
import { responseOutcome, withSegment, type SegmentsOutcome } from './response-outcome.js';
import { UpstreamTimer, type UpstreamTimeout } from './upstream-timer.js';

/** How the answer to a request that may ask for an agent card is rewritten. */
export interface CardPlan {
  /** How the request asks for a card. */
  readonly requested: CardRequest;
  /** The rewritten card depends on `X-Forwarded-Host` / `X-Forwarded-Proto`. */
  readonly varyOnForwarded: boolean;
  /** The proxy's URL for an endpoint URL of the agent (undefined: not the agent's). */
  readonly move: (url: string) => string | undefined;
}

/** How one exchange is handled. */
export interface ExchangePlan {
  /** Strip traces from the response (the proxy activated the extension, the client did not). */
  readonly strip: boolean;
  /** Rewrite the answer if it is an agent card; undefined: the request asks for none, or rewriting is off. */
  readonly card: CardPlan | undefined;
  /** What the traces read from the answer are ingested with. */
  readonly context: IngestContext;
}

/** The proxy's limits an exchange keeps to (see {@link A2AProxyOptions}). */
export type ExchangeLimits = Pick<A2AProxyOptions, 'maxEventBytes' | 'maxBodyBytes' | 'maxBufferedBytes' | 'responseTimeoutMillis' | 'idleTimeoutMillis'>;

/** What an exchange is made of, and whom it tells what happened. */
export interface ExchangeOptions {
  /** The client's request. */
  readonly request: IncomingMessage;
  /** The answer to the client. */
  readonly response: ServerResponse;
  readonly plan: ExchangePlan;
  readonly limits: ExchangeLimits;
  /** Shared bound of the bytes all in-flight responses hold for reading. */
  readonly budget: ByteBudget;
  readonly intake: ProxyIntake;
  readonly metrics: ProxyMetrics;
  /** Opens the request to the agent (the exchange ends or pipes it); throws when node refuses what it cannot encode. */
  readonly openUpstream: () => ClientRequest;
  /** What became of the exchange; called once. */
  readonly onSettled: (outcome: ProxyOutcome) => void;
  /** The agent cannot be reached: answer 502, or cut an answer already started. */
  readonly onUnreachable: (error: unknown) => void;
  /** The agent took too long: answer 504, or cut an answer already started. */
  readonly onTimeout: (phase: UpstreamTimeout) => void;
  /** strip_trace left (part of) the answer as it was. */
  readonly onStripSkipped: (reason: StripSkipReason) => void;
  /** What became of an agent card the exchange read to rewrite. */
  readonly onCard: (outcome: CardOutcome) => void;
}

/**
 * Where an exchange stands: `requesting` until the agent starts its answer, `relaying` while it
 * streams to the client. `timed_out` (the agent took too long) and `client_gone` (the client closed
 * its connection before the whole answer reached it) are final, except that the client may still go
 * after a timeout.
 */
type ExchangePhase = 'requesting' | 'relaying' | 'timed_out' | 'client_gone';

/** One request and its answer. {@link forward} starts it. */
export class ProxyExchange {
  private phase: ExchangePhase = 'requesting';
  /** What became of the exchange; undefined until it settled. */
  private outcome: ProxyOutcome | undefined;
  /** Reads the answer for traces; undefined when it passes through unread, or once reading it failed. */
  private inspector: ResponseInspector | undefined;
  /** True once what the inspector read was ingested (or given up): that happens once. */
  private inspectionFinished = false;
  /** The client gets what the inspector returns (strip mode, a card rewrite), not the agent's bytes. */
  private transform = false;
  /** Inflates a coded answer for the inspector; undefined when the answer is read uncoded (or not at all). */
  private decoding: GuardedDecoder | undefined;
  /** What the segments of a long stream ingested before its end came to. */
  private segments: SegmentsOutcome = undefined;
  private upstreamRequest: ClientRequest | undefined;
  private upstreamResponse: IncomingMessage | undefined;
  private readonly timer: UpstreamTimer;
  /** Reads the JSON-RPC method of a request that may be an extended-card call. */
  private readonly sniffer: JsonRpcMethodSniffer | undefined;

  constructor(private readonly options: ExchangeOptions) {
    this.timer = new UpstreamTimer(options.limits, (phase) => this.timeOut(phase));
    this.sniffer = options.plan.card?.requested === 'by_method' ? new JsonRpcMethodSniffer() : undefined;
  }

  /** Sends the request to the agent and relays its answer. Call once. */
  forward(): void {
    const { request, response } = this.options;
    response.on('error', () => {});
    request.on('error', () => {});
    const upstreamRequest = this.openUpstream();
    if (upstreamRequest === undefined) return;
    this.upstreamRequest = upstreamRequest;
    response.on('close', () => this.onClientClose(upstreamRequest));
    // The agent has the whole request: from now on it has responseTimeoutMillis to start answering.
    upstreamRequest.on('finish', () => {
      if (this.phase === 'requesting') this.timer.arm('response');
    });
    upstreamRequest.on('error', (error) => this.onUpstreamError(error));
    upstreamRequest.on('response', (upstreamResponse) => this.onUpstreamResponse(upstreamResponse));
    this.sendBody(upstreamRequest);
  }

  /** The request to the agent; undefined (answered 502) when node refuses to send it. */
  private openUpstream(): ClientRequest | undefined {
    try {
      return this.options.openUpstream();
    } catch (error) {
      // node refuses to send what it cannot encode (a header value it considers invalid).
      this.options.onUnreachable(error);
      this.settle('upstream_unavailable');
      this.options.request.resume();
      return undefined;
    }
  }

  /** Streams the client's body to the agent (and to the sniffer), or ends the agent's request when there is none. */
  private sendBody(upstreamRequest: ClientRequest): void {
    const { request } = this.options;
    if (!hasBody(request.rawHeaders)) {
      upstreamRequest.end();
      request.resume();
      return;
    }
    const sniffer = this.sniffer;
    if (sniffer !== undefined) {
      request.on('data', (chunk: Buffer) => sniffer.push(chunk));
      request.once('end', () => sniffer.end());
    }
    request.pipe(upstreamRequest);
  }

  /** The client's connection closed: unless its answer was complete, the call to the agent is aborted. */
  private onClientClose(upstreamRequest: ClientRequest): void {
    this.timer.disarm();
    if (this.options.response.writableFinished) return;
    this.phase = 'client_gone';
    upstreamRequest.destroy();
    this.stopDecoding();
    this.guarded(() => this.finishInspection(true));
    this.settle('client_aborted');
  }

  private onUpstreamError(error: Error): void {
    this.timer.disarm();
    if (this.phase !== 'requesting') return;
    this.options.onUnreachable(error);
    this.settle('upstream_unavailable');
  }

  private onUpstreamResponse(upstreamResponse: IncomingMessage): void {
    if (this.phase === 'requesting') this.phase = 'relaying';
    this.upstreamResponse = upstreamResponse;
    upstreamResponse.on('error', () => {});
    if (this.phase === 'client_gone') {
      this.timer.disarm();
      upstreamResponse.resume();
      return;
    }
    this.timer.arm('idle');
    try {
      this.relay(upstreamResponse);
    } catch (error) {
      // A bug, not the agent's doing: answer what can still be answered, never take the process down.
      this.guarded(() => {
        throw error;
      });
      upstreamResponse.destroy();
      if (this.options.response.headersSent) this.options.response.destroy();
      else this.options.onUnreachable(error);
    }
  }

  /** True once the exchange ended early: the agent took too long, or the client went away. */
  private get cutShort(): boolean {
    return this.phase === 'timed_out' || this.phase === 'client_gone';
  }

  /** The agent took too long: keep what complete events said, answer 504 or cut, abort the call to the agent. */
  private timeOut(phase: UpstreamTimeout): void {
    if (this.cutShort) return;
    this.phase = 'timed_out';
    this.stopDecoding();
    this.guarded(() => this.finishInspection(true));
    this.settle('upstream_timeout');
    this.options.onTimeout(phase);
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
  }

  /** Runs `work`; a throw (a bug) ends the reading of this response, never the process. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.options.intake.recordFailure('internal', 'unexpected error while reading a proxied response; it is no longer read', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      this.dropInspection();
      this.settle('ingest_failed');
      // In strip mode the inspector held bytes the client has not had: cut rather than send a hole.
      if (this.transform) {
        this.upstreamRequest?.destroy();
        this.options.response.destroy();
      }
    }
  }

  /** Stops reading the answer and releases what the inspector held; the answer itself goes on. */
  private dropInspection(): void {
    const inspector = this.inspector;
    this.inspector = undefined;
    this.inspectionFinished = true;
    this.stopDecoding();
    try {
      inspector?.abort();
      inspector?.result();
    } catch {
      // Releasing what it held is all that is left to do with it.
    }
  }

  private settle(outcome: ProxyOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.options.onSettled(outcome);
  }

  /** Relays the agent's answer: picks how it is read, writes its head (unless held), and follows its body. */
  private relay(upstreamResponse: IncomingMessage): void {
    const status = upstreamResponse.statusCode ?? 502;
    let headers = withVia(withoutHopByHop(upstreamResponse.rawHeaders), upstreamResponse.httpVersion);
    const kind = bodyKindOf(this.options.request.method ?? 'GET', status, headers);
    const codings = contentCodings(headers);
    const strip = this.options.plan.strip && kind !== undefined;
    if (strip) headers = withoutExtension(headers, TRACEABILITY_EXTENSION_URI);
    const card = this.cardInspectorFor(status, kind, headers, codings);
    // transform: the client gets what the inspector returns; otherwise the agent's bytes as they come.
    this.transform = card !== undefined || (strip && codings.length === 0);
    if (strip && !this.transform) this.options.onStripSkipped('encoded');
    const decoder = this.chooseInspector(card, kind, codings);
    if (this.transform && kind === 'event-stream') headers = withoutHeader(headers, 'Content-Length');
    const writer = this.writerFor(upstreamResponse, status, headers);
    // A transformed JSON body goes out whole at its end, with its new length.
    if (!(this.transform && kind === 'json')) writer.writeHead();
    if (decoder !== undefined && this.inspector !== undefined) this.startDecoding(decoder, this.inspector);
    upstreamResponse.on('data', (chunk: Buffer) => this.onUpstreamData(writer, chunk));
    upstreamResponse.on('end', () => this.onUpstreamEnd(upstreamResponse, writer, card));
    upstreamResponse.on('close', () => this.onUpstreamClose(upstreamResponse));
  }

  /** Writes the answer to the client; a client that reads slowly pauses the agent's answer. */
  private writerFor(upstreamResponse: IncomingMessage, status: number, headers: string[]): ClientResponseWriter {
    return new ClientResponseWriter(this.options.response, { status, statusMessage: upstreamResponse.statusMessage }, headers, {
      pause: () => {
        upstreamResponse.pause();
        // Waiting for a slow client is not the agent's silence.
        this.timer.disarm();
      },
      resume: () => {
        if (this.phase === 'relaying') this.timer.arm('idle');
        upstreamResponse.resume();
      },
    });
  }

  /**
   * Sets the inspector that reads the answer, if any: the card inspector, or one for its kind of
   * body. Returns the decoder a coded body is read through; the client still gets the coded bytes.
   */
  private chooseInspector(card: AgentCardInspector | undefined, kind: BodyKind | undefined, codings: readonly string[]): Decoder | undefined {
    if (card !== undefined) {
      // A card has no trace to strip: the card inspector reads it, decoded or not.
      this.inspector = card;
      return undefined;
    }
    if (kind === undefined) return undefined;
    const decoder = codings.length > 0 ? createDecoder(codings) : undefined;
    if (codings.length > 0 && decoder === undefined) {
      this.options.intake.recordFailure('undecodable', 'a response has a content coding the proxy cannot read; passed through unread', { contentEncoding: codings.join(', ') });
      return undefined;
    }
    this.inspector = this.createInspector(kind, this.transform);
    return decoder;
  }

  /**
   * The inspector that rewrites this answer, when it is the JSON of a 200 answer to a card request
   * (for a JSON-RPC call, once its body shows an extended-card method).
   */
  private cardInspectorFor(status: number, kind: BodyKind | undefined, headers: RawHeaders, codings: readonly string[]): AgentCardInspector | undefined {
    const card = this.options.plan.card;
    if (card === undefined || status !== 200 || kind !== 'json') return undefined;
    if (card.requested === 'by_method' && this.sniffer?.isCardCall() !== true) return undefined;
    return new AgentCardInspector({
      budget: this.options.budget,
      maxBodyBytes: this.options.limits.maxBodyBytes,
      codings,
      noTransform: headerListMembers(headers, 'cache-control').some((directive) => directive.toLowerCase() === 'no-transform'),
      varyOnForwarded: card.varyOnForwarded,
      move: card.move,
    });
  }

  private createInspector(kind: BodyKind, strip: boolean): ResponseInspector {
    const { budget, limits } = this.options;
    const common = { budget, strip };
    return kind === 'json'
      ? new JsonBodyInspector({ ...common, maxBodyBytes: limits.maxBodyBytes })
      : new EventStreamInspector({
          ...common,
          maxEventBytes: limits.maxEventBytes,
          maxRetainedBytes: limits.maxBodyBytes,
          onSegment: (extraction) => this.ingestSegment(extraction),
        });
  }

  private onUpstreamData(writer: ClientResponseWriter, chunk: Buffer): void {
    if (!writer.paused) this.timer.arm('idle');
    const inspector = this.inspector;
    if (this.transform && inspector !== undefined) {
      this.guarded(() => this.send(writer, inspector.push(chunk)));
      return;
    }
    this.send(writer, [chunk]);
    if (inspector === undefined || inspector.stopped) return;
    if (this.decoding !== undefined) this.decoding.write(chunk);
    else this.guarded(() => inspector.push(chunk));
  }

  private onUpstreamEnd(upstreamResponse: IncomingMessage, writer: ClientResponseWriter, card: AgentCardInspector | undefined): void {
    this.timer.disarm();
    if (this.cutShort) return;
    const inspector = this.inspector;
    if (this.transform && inspector !== undefined) {
      this.guarded(() => this.endTransformed(writer, inspector, card));
      if (this.options.response.destroyed) return;
    }
    writer.finish(upstreamResponse.rawTrailers);
    if (this.decoding?.decoding === true) this.decoding.end();
    else this.guarded(() => this.finishInspection(false));
  }

  /** Sends what the inspector returns at the body's end, with the head (and a rewritten card's headers) if still held. */
  private endTransformed(writer: ClientResponseWriter, inspector: ResponseInspector, card: AgentCardInspector | undefined): void {
    const rest = inspector.end();
    if (card?.outcome !== undefined) {
      writer.editHeaders((headers) => card.headersFor(headers));
      this.options.metrics.decodedBytes.inc(card.decodedBytes);
      this.options.onCard(card.outcome);
    }
    writer.writeHead(rest.reduce((sum, chunk) => sum + chunk.length, 0));
    this.send(writer, rest);
  }

  private onUpstreamClose(upstreamResponse: IncomingMessage): void {
    this.timer.disarm();
    if (upstreamResponse.complete || this.cutShort) return;
    // The agent cut its response: the client's is cut too, never completed with something else.
    this.stopDecoding();
    this.guarded(() => this.finishInspection(true));
    this.settle('upstream_aborted');
    this.options.response.destroy();
  }

  /** Writes `chunks` to the client, unless it went away. */
  private send(writer: ClientResponseWriter, chunks: readonly Buffer[]): void {
    if (this.phase === 'client_gone') return;
    writer.send(chunks);
  }

  /** Reads a coded body through `decoder`, bounded by the decompression-bomb guard. */
  private startDecoding(decoder: Decoder, inspector: ResponseInspector): void {
    const { intake, metrics, limits, request } = this.options;
    this.decoding = new GuardedDecoder(decoder, limits.maxBufferedBytes, {
      onDecodedBytes: (bytes) => metrics.decodedBytes.inc(bytes),
      onData: (chunk) => this.guarded(() => this.inspectDecoded(inspector, chunk)),
      onInflatedTooFar: (codedBytes, decodedBytes) =>
        this.guarded(() => {
          intake.recordFailure('decoded_too_large', 'a coded response inflates far past its coded size; the rest passed through unread', { path: request.url, codedBytes, decodedBytes });
          this.finishInspection(true);
          this.settle('ingest_failed');
        }),
      onEnd: () => this.guarded(() => this.finishInspection(false)),
      onError: () => {
        intake.recordFailure('undecodable', 'a coded response body could not be decoded; passed through unread');
        this.guarded(() => this.finishInspection(true));
        this.settle('ingest_failed');
      },
    });
  }

  private inspectDecoded(inspector: ResponseInspector, chunk: Buffer): void {
    inspector.push(chunk);
    // Nothing more is read: stop decoding rather than inflate what nobody looks at.
    if (inspector.stopped) {
      this.stopDecoding();
      this.finishInspection(false);
    }
  }

  private stopDecoding(): void {
    this.decoding?.stop();
  }

  /** Ingests one segment of a long stream (response-inspectors.ts) and remembers what it came to. */
  private ingestSegment(extraction: Extraction): void {
    this.segments = withSegment(this.segments, this.options.intake.take(extraction, this.options.plan.context));
  }

  /** Ingests what the inspector read (once) and, unless `cut` (the body did not arrive whole), settles. */
  private finishInspection(cut: boolean): void {
    if (this.inspectionFinished) return;
    this.inspectionFinished = true;
    const inspector = this.inspector;
    if (inspector === undefined) {
      if (!cut) this.settle('not_inspected');
      return;
    }
    if (cut) inspector.abort();
    else inspector.end();
    const result = inspector.result();
    this.recordInspection(result);
    const ingested = result.extraction === undefined ? undefined : this.options.intake.take(result.extraction, this.options.plan.context);
    if (!cut) this.settle(responseOutcome(result, ingested, this.segments));
  }

  /** Counts what reading the answer came to, besides its traces. */
  private recordInspection(result: InspectionResult): void {
    const { intake, metrics, request } = this.options;
    metrics.responsePeakBufferedBytes.observe(result.peakBufferedBytes);
    for (const reason of result.failures) {
      intake.recordFailure(reason, 'part of a response was not read for traces; it passed through unchanged', { path: request.url });
    }
    for (const reason of result.stripSkipped) this.options.onStripSkipped(reason);
    if (result.strippedPlacements > 0) metrics.strippedResponses.inc();
  }
}
