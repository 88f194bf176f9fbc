/**
 * @module The model of what an A2A envelope says around the traces it carries (DESIGN §2 "Envelopes",
 * "Timestamp extension"): its conversation and task, a `traceparent`, and the moments it recorded.
 */
import type { ReadWarning, TraceTimestamp } from './types.js';

/** What recorded an {@link EnvelopeMark}. */
export type EnvelopeMarkSource =
  /** A task status's `timestamp` (Task, status-update event). */
  | 'task_status'
  /** A timestamp-extension stamp in a Message's metadata. */
  | 'message'
  /** A timestamp-extension stamp in an Artifact's metadata. */
  | 'artifact'
  /** A timestamp-extension stamp in a Task's or a task event's metadata. */
  | 'task';

/** A moment the envelope recorded. */
export interface EnvelopeMark {
  readonly source: EnvelopeMarkSource;
  /** The moment; `raw` holds the string exactly as the envelope wrote it. */
  readonly time: TraceTimestamp;
  /** Where the timestamp is in the body. */
  readonly path: string;
  /** Task the moment belongs to, when the envelope names one. */
  readonly taskId?: string | undefined;
  /** Task state, normalized to the protocol 0.3 spelling (`completed`, `input-required`). */
  readonly state?: string | undefined;
  /** The stamped message, or the message of a task status. */
  readonly messageId?: string | undefined;
  /** Role of that message, normalized (`user`, `agent`). */
  readonly role?: string | undefined;
  /** The stamped artifact. */
  readonly artifactId?: string | undefined;
  /** Name of the stamped artifact. */
  readonly artifactName?: string | undefined;
}

/** The envelope around one or more traces: one JSON-RPC response, one A2A object or one event stream. */
export interface EnvelopeContext {
  /** The A2A `contextId` (the conversation), first one seen. */
  readonly contextId: string | undefined;
  /** The A2A task id, first one seen. */
  readonly taskId: string | undefined;
  /** A W3C `traceparent` found in the envelope's metadata, with its path. Not validated here. */
  readonly traceparent: { readonly value: string; readonly path: string } | undefined;
  /** Task status timestamps and timestamp-extension stamps, each once, in the order found. */
  readonly marks: readonly EnvelopeMark[];
  /** Oddities of the envelope itself (an unreadable stamp), reported with every trace it carries. */
  readonly warnings: readonly ReadWarning[];
}
