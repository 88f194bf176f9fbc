/**
 * @module Reads the traces of a response body while it streams through the proxy: a JSON body
 * (held up to a bound, then parsed once) or an event stream (one event at a time, with the SSE parser
 * and one envelope extractor for the whole stream). In `strip` mode an inspector also returns the
 * bytes to send, without the traces; otherwise the proxy forwards the original bytes itself.
 *
 * Stripping re-serializes the body (or the event's data) it edits: its whitespace and string
 * escapes may change, its numbers may not. A body or event holding a number that would not come back
 * as written (`JSON.stringify(Number(token)) !== token`: an integer past 2^53 such as a JSON-RPC
 * `id`, `1.10`, `1e3`) is left as it came, traces included, and counted as `lossy_numbers`. An
 * artifact-update event that held nothing but traces is dropped whole, whatever its numbers.
 */
import { EnvelopeExtractor, extractTraces, type Extraction } from '../../src/a2a/extract-traces.js';
import { indexPath } from '../../src/model/field-path.js';
import { SseParser, type SseEvent } from '../../src/a2a/sse-parser.js';
import { BudgetedHolding, type ByteBudget } from '../../src/http/byte-budget.js';
import { HeldBody, type HoldRefusal } from './held-body.js';
import { isStackOverflow } from '../../src/model/json-value.js';
import { firstLossyNumber } from './json-number-fidelity.js';
import type { IngestFailureReason, StripSkipReason } from './proxy-metrics.js';
import { SseEventFramer } from './sse-event-framer.js';
import { stripTraces } from './strip-trace.js';


/** What an inspector learnt of a body. */
export interface InspectionResult {
  /** The traces and context found; undefined when nothing could be read. */
  readonly extraction: Extraction | undefined;
  /** Why parts of the body were not read, each reason once. */
  readonly failures: readonly IngestFailureReason[];
  /** Most bytes held at once. */
  readonly peakBufferedBytes: number;
  /** Placements `strip` removed. */
  readonly strippedPlacements: number;
  /** Why `strip` left (part of) the body as it was, each reason once. */
  readonly stripSkipped: readonly StripSkipReason[];
}

/** Reads one response body. */
export interface ResponseInspector {
  /** Takes the next chunk of the body; in strip mode returns the bytes to send now. */
  push(chunk: Buffer): Buffer[];
  /** The body ended; in strip mode returns the bytes still to send. */
  end(): Buffer[];
  /** The body was cut: keeps what complete events said, drops the rest. */
  abort(): void;
  /** True once the inspector stopped reading (it only passes bytes on). */
  readonly stopped: boolean;
  /** What was found; complete after {@link end} or {@link abort}. Releases every byte held. */
  result(): InspectionResult;
}

/** Settings shared by the inspectors. */
export interface InspectorOptions {
  /** Shared bound of bytes held by all responses. */
  readonly budget: ByteBudget;
  /** Return the body without traces (the client did not ask for them). */
  readonly strip: boolean;
}

/** Bound of the JSON inspector. */
export interface JsonInspectorOptions extends InspectorOptions {
  /** Largest body read, in bytes (`server.max_body_bytes`). */
  readonly maxBodyBytes: number;
}

/** Reads a JSON body: holds it (bounded), parses it at the end. */
export class JsonBodyInspector implements ResponseInspector {
  private readonly body: HeldBody;
  private failure: 'body_too_large' | 'over_budget' | 'invalid_json' | 'nesting_too_deep' | undefined;
  private stripFailure: StripSkipReason | undefined;
  private extraction: Extraction | undefined;
  private strippedPlacements = 0;
  private isStopped = false;

  constructor(private readonly options: JsonInspectorOptions) {
    this.body = new HeldBody(options.budget, options.maxBodyBytes);
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.isStopped) return this.options.strip ? [chunk] : [];
    const refusal = this.body.hold(chunk);
    return refusal === undefined ? [] : this.stop(refusal, chunk);
  }

  end(): Buffer[] {
    if (this.isStopped) return [];
    this.isStopped = true;
    const body = this.body.take();
    const text = body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.failure = 'invalid_json';
      return this.options.strip ? [body] : [];
    }
    try {
      this.extraction = extractTraces(value);
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.failure = 'nesting_too_deep';
    }
    if (!this.options.strip) return [];
    try {
      const stripped = stripTraces(value);
      if (stripped.removed === 0) return [body];
      if (firstLossyNumber(text) !== undefined) {
        this.stripFailure = 'lossy_numbers';
        return [body];
      }
      this.strippedPlacements = stripped.removed;
      return [Buffer.from(JSON.stringify(stripped.value), 'utf8')];
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.stripFailure = 'nesting_too_deep';
      return [body];
    }
  }

  abort(): void {
    this.isStopped = true;
    this.body.discard();
  }

  result(): InspectionResult {
    this.body.release();
    const failures = this.failure === undefined ? [] : [this.failure];
    // Reading the traces failing does not keep strip from removing them, unless the body never parsed or was never held.
    const stripFailure = this.stripFailure ?? (this.failure === 'nesting_too_deep' ? undefined : this.failure);
    return {
      extraction: this.extraction,
      failures,
      peakBufferedBytes: this.body.peakBytes,
      strippedPlacements: this.strippedPlacements,
      stripSkipped: this.options.strip && stripFailure !== undefined ? [stripFailure] : [],
    };
  }

  private stop(reason: HoldRefusal, chunk: Buffer): Buffer[] {
    this.isStopped = true;
    this.failure = reason;
    const held = this.body.letGo();
    return this.options.strip ? [...held, chunk] : [];
  }
}

/** Bounds of the event-stream inspector. */
export interface EventStreamInspectorOptions extends InspectorOptions {
  /** Largest event read, in bytes (`proxy.max_event_bytes`); a longer one passes through unread. */
  readonly maxEventBytes: number;
  /**
   * Most bytes of trace-bearing events one stream keeps at once (`server.max_body_bytes`, as for a
   * transcript posted to the ingest API). When the next such event would pass it, the events read
   * so far are handed to {@link onSegment} as one envelope and reading goes on with the next one,
   * so a stream of any length is read whole in bounded memory.
   */
  readonly maxRetainedBytes: number;
  /**
   * Takes what one segment of the stream said, at once (the caller ingests it). The segments of a
   * stream share no context: each one's traces carry the task, context and timestamps its own events
   * named. A trace repeated across segments is ingested once per segment; the collector's
   * counted-once ledger counts its steps once.
   */
  readonly onSegment: (extraction: Extraction) => void;
}

/**
 * Reads an event stream one event at a time. Holds the unfinished event (at most
 * `maxEventBytes`) and the data of events that may carry a trace, and of error events (at most
 * `maxRetainedBytes`): the extractor keeps their traces until the stream ends, when all its events
 * become one envelope, or until they reach `maxRetainedBytes`, when those read so far become one
 * (see {@link EventStreamInspectorOptions.onSegment}).
 */
export class EventStreamInspector implements ResponseInspector {
  private readonly framer: SseEventFramer;
  private readonly parser = new SseParser();
  private extractor: EnvelopeExtractor | undefined = new EnvelopeExtractor();
  private readonly holding: BudgetedHolding;
  private retainedBytes = 0;
  private peakEventBytes = 0;
  private eventIndex = 0;
  private readonly failures = new Set<IngestFailureReason>();
  private readonly stripSkipped = new Set<StripSkipReason>();
  private strippedPlacements = 0;
  private extraction: Extraction | undefined;
  private isStopped = false;

  constructor(private readonly options: EventStreamInspectorOptions) {
    this.framer = new SseEventFramer(options.maxEventBytes);
    this.holding = new BudgetedHolding(options.budget);
    this.extractor?.markAsEnvelope();
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.isStopped) return this.options.strip ? [chunk] : [];
    const output: Buffer[] = [];
    for (const segment of this.framer.push(chunk)) {
      // A whole event is held for a moment before it is read.
      this.peakEventBytes = Math.max(this.peakEventBytes, segment.bytes.length + this.retainedBytes);
      if (segment.kind === 'raw') {
        this.failures.add('event_too_large');
        if (this.options.strip) this.stripSkipped.add('event_too_large');
        output.push(segment.bytes);
        continue;
      }
      output.push(this.readEvent(segment.bytes));
    }
    if (!this.holding.resize(this.framer.pendingBytes + this.retainedBytes)) {
      // The budget is spent: give up on this stream, pass on what it held.
      this.failures.add('over_budget');
      if (this.options.strip) this.stripSkipped.add('over_budget');
      this.isStopped = true;
      this.extractor = undefined;
      for (const segment of this.framer.end()) output.push(segment.bytes);
      this.holding.releaseAll();
    }
    return this.options.strip ? output : [];
  }

  end(): Buffer[] {
    if (this.isStopped) return [];
    this.isStopped = true;
    const rest = this.readLastSegments();
    this.finishExtraction();
    return this.options.strip ? rest : [];
  }

  abort(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.readLastSegments();
    this.finishExtraction();
  }

  result(): InspectionResult {
    this.holding.releaseAll();
    return {
      extraction: this.extraction,
      failures: [...this.failures],
      peakBufferedBytes: Math.max(this.holding.peakBytes, this.peakEventBytes),
      strippedPlacements: this.strippedPlacements,
      stripSkipped: [...this.stripSkipped],
    };
  }

  /**
   * Reads what the framer still holds at the end of the stream: an event its final CR ended (a
   * blank line, WHATWG "event stream interpretation") is read like any other; an event the stream
   * does not terminate is discarded by every client (no dispatch), so it is not read either.
   */
  private readLastSegments(): Buffer[] {
    return this.framer.end().map((segment) => (segment.kind === 'event' ? this.readEvent(segment.bytes) : segment.bytes));
  }

  private finishExtraction(): void {
    try {
      this.extraction = this.extractor?.finish();
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.failures.add('nesting_too_deep');
    }
    this.extractor = undefined;
  }

  /** Reads one event block; returns the block to send (rewritten when strip removed something). */
  private readEvent(block: Buffer): Buffer {
    let rewritten: Buffer | undefined;
    for (const event of this.parser.push(block)) {
      const path = indexPath('events', this.eventIndex++);
      if (event.data.trim() === '') continue;
      const data = this.readEventData(event, path);
      if (data !== undefined) rewritten = rewriteEventData(block, data);
    }
    return rewritten ?? block;
  }

  /** Feeds one event to the extractor and strips it; returns its new data (`null`: drop the data) or undefined to keep it. */
  private readEventData(event: SseEvent, path: string): string | null | undefined {
    const extractor = this.retain(event) ? this.extractor : undefined;
    if (extractor === undefined && !this.options.strip) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(event.data);
    } catch {
      if (event.type === 'error') extractor?.addError(path, event.data.slice(0, 512));
      else this.failures.add('invalid_json');
      return undefined;
    }
    try {
      if (extractor !== undefined && !extractor.add(value, path)) {
        if (event.type === 'error') extractor.addError(path, event.data.slice(0, 512));
        else extractor.note(path, `"${event.type}" event`, 'not a JSON-RPC response or A2A stream event');
      }
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      // The extractor may hold half of this event: the stream's traces are not trusted any more.
      this.failures.add('nesting_too_deep');
      this.extractor = undefined;
    }
    if (!this.options.strip) return undefined;
    try {
      const stripped = stripTraces(value);
      if (stripped.removed === 0) return undefined;
      if (!stripped.emptiedEvent && firstLossyNumber(event.data) !== undefined) {
        this.stripSkipped.add('lossy_numbers');
        return undefined;
      }
      this.strippedPlacements += stripped.removed;
      return stripped.emptiedEvent ? null : JSON.stringify(stripped.value);
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.stripSkipped.add('nesting_too_deep');
      return undefined;
    }
  }

  /**
   * Counts the data of every event that may leave something in the extractor until the stream ends
   * against the stream's bound: an `error` event (kept whatever its data), and data that may hold a
   * trace (it has `steps`, every traceability key contains `trace`) or an error response (`error`).
   * An event that would pass the bound first ends the segment (see {@link flushSegment}); an event
   * that alone passes it is not read (`body_too_large`), the events after it are. What else the
   * extractor keeps per event (timestamps, searched places) has its own fixed bound. Returns whether
   * the event is to be read.
   */
  private retain(event: SseEvent): boolean {
    if (this.extractor === undefined) return false;
    const { data } = event;
    if (event.type !== 'error' && !data.includes('steps') && !data.includes('trace') && !data.includes('error')) return true;
    const bytes = Buffer.byteLength(data, 'utf8');
    if (this.retainedBytes > 0 && this.retainedBytes + bytes > this.options.maxRetainedBytes) this.flushSegment();
    if (bytes > this.options.maxRetainedBytes) {
      this.failures.add('body_too_large');
      return false;
    }
    if (!this.holding.resize(this.framer.pendingBytes + this.retainedBytes + bytes)) {
      // What the segment holds may be all that stands in the way: hand it on, and try once more.
      if (this.retainedBytes > 0) this.flushSegment();
      if (!this.holding.resize(this.framer.pendingBytes + bytes)) {
        this.failures.add('over_budget');
        this.extractor = undefined;
        this.retainedBytes = 0;
        this.holding.resize(this.framer.pendingBytes);
        return false;
      }
    }
    this.retainedBytes += bytes;
    return true;
  }

  /** Hands what the events read so far said to `onSegment`, and reads on with a fresh extractor. */
  private flushSegment(): void {
    const extractor = this.extractor;
    if (extractor === undefined) return;
    let extraction: Extraction | undefined;
    try {
      extraction = extractor.finish();
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      this.failures.add('nesting_too_deep');
    }
    this.extractor = new EnvelopeExtractor();
    this.extractor.markAsEnvelope();
    this.retainedBytes = 0;
    this.holding.resize(this.framer.pendingBytes);
    if (extraction !== undefined) this.options.onSegment(extraction);
  }
}

const LINE = /[^\r\n]*(?:\r\n|\r|\n|$)/g;

/**
 * The event block with its `data` lines replaced by one line holding `data` (`null`: no data line,
 * so the event is not dispatched, while its `id`, `event` and comment lines stay as they were).
 */
export function rewriteEventData(block: Buffer, data: string | null): Buffer {
  const text = block.toString('utf8');
  const lines = text.match(LINE) ?? [];
  const output: string[] = [];
  let placed = false;
  for (const line of lines) {
    if (line === '') continue;
    const content = line.replace(/(?:\r\n|\r|\n)$/, '');
    // The stream's byte order mark (first block only) is not part of the field name.
    const name = content.replace(/^\uFEFF/, '');
    const field = name.includes(':') ? name.slice(0, name.indexOf(':')) : name;
    if (field !== 'data') {
      output.push(line);
      continue;
    }
    if (placed || data === null) continue;
    placed = true;
    output.push(`${content.startsWith('\uFEFF') ? '\uFEFF' : ''}data: ${data}${line.slice(content.length) || '\n'}`);
  }
  return Buffer.from(output.join(''), 'utf8');
}
