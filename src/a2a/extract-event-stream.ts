/**
 * @module Finds the ResponseTraces in a `message/stream` / `SendStreamingMessage` transcript: every
 * event's data is a JSON-RPC response (or, over HTTP+JSON, a bare stream response), and all events
 * of one stream share one envelope context.
 */
import type { FieldIssue } from '../errors.js';
import { EnvelopeExtractor, type Extraction } from './extract-traces.js';
import { indexPath } from '../model/field-path.js';
import type { SseEvent } from './sse-parser.js';

/** What {@link extractTracesFromEventStream} found. */
export interface EventStreamExtraction extends Extraction {
  /** Events whose data is not JSON, at `events[i]`, with the line they start on. */
  readonly invalidEvents: readonly FieldIssue[];
}

/**
 * Extracts the traces of a stream's events. Event `i` (counting dispatched events from 0) is at
 * path `events[i]`. An `error` event that is not a JSON-RPC response (JSON or not) counts as an error
 * response.
 * An event stream is always an envelope, even with no event in it.
 */
export function extractTracesFromEventStream(events: Iterable<SseEvent>): EventStreamExtraction {
  const extractor = new EnvelopeExtractor();
  extractor.markAsEnvelope();
  const invalidEvents: FieldIssue[] = [];
  let index = 0;
  for (const event of events) {
    const path = indexPath('events', index++);
    if (event.data.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(event.data);
    } catch (error) {
      if (event.type === 'error') extractor.addError(path, event.data.slice(0, 512));
      else invalidEvents.push({ path, reason: `line ${event.line}: the event's data is not JSON (${(error as Error).message})` });
      continue;
    }
    if (extractor.add(value, path)) continue;
    if (event.type === 'error') extractor.addError(path, event.data.slice(0, 512));
    else extractor.note(path, `"${event.type}" event`, 'not a JSON-RPC response or A2A stream event');
  }
  return { ...extractor.finish(), invalidEvents };
}
