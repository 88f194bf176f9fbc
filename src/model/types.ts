/**
 * @module The normalized A2A trace model: what the tolerant reader produces from any of the wire
 * shapes of DESIGN §2, and what the mapping turns into spans.
 */

/** Normalized call type. The raw value is kept separately on {@link A2AStep.callType}. */
export type CallKind = 'agent' | 'tool' | 'host' | 'other';

/** A point in time read from a producer's timestamp string, exact to the nanosecond. */
export interface TraceTimestamp {
  /** The timestamp exactly as the producer wrote it. */
  readonly raw: string;
  /** Whole seconds since the Unix epoch (UTC). */
  readonly epochSeconds: number;
  /** Nanoseconds past {@link epochSeconds}, 0 to 999,999,999. */
  readonly nanos: number;
  /** True when the producer wrote no zone and UTC was assumed. */
  readonly zoneAssumed: boolean;
}

/** A step's error, split into the parts the OpenTelemetry exception conventions name. */
export interface StepError {
  /**
   * The line that names the error, for the span status description: a Python traceback's
   * `Type: message` line (`ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)`),
   * else the first non-empty line.
   */
  readonly message: string;
  /** The error text exactly as sent, untrimmed (`exception.stacktrace`). */
  readonly stacktrace: string;
  /**
   * `exception.type` as the producer wrote it (`ValueError`, `rates_client.UpstreamError`,
   * `ExceptionGroup`, an object error's `type`); undefined when none can be read.
   */
  readonly type: string | undefined;
  /**
   * `exception.message`: the message without its `Type: ` prefix, all of its lines (Python writes
   * `add_note` notes after them, so they are included); `""` when the exception has none
   * (`raise TimeoutError()`). Text with no readable type keeps its whole first line.
   */
  readonly exceptionMessage: string;
  /**
   * The leaf exceptions of a Python exception group, depth-first in the order written (nested
   * groups are opened, not listed), at most `MAX_LEAF_EXCEPTIONS`; empty for other errors.
   */
  readonly leafExceptions: readonly LeafException[];
}

/** One leaf exception of a Python exception group. */
export interface LeafException {
  /** `exception.type`, undefined when it cannot be read. */
  readonly type: string | undefined;
  /** `exception.message`, without the `Type: ` prefix; `""` when the exception has none. */
  readonly message: string;
  /** The leaf's own traceback block (its chained exceptions included), the group's `| ` gutter removed. */
  readonly stacktrace: string;
}

/** One step of a ResponseTrace after normalization. */
export interface A2AStep {
  /** Field path of this step in the ingested payload, for warnings (`steps[3]`). */
  readonly path: string;
  /** The producer's step id (unique within its trace after normalization). */
  readonly stepId: string;
  /** The A2A trace id of the ResponseTrace this step is listed in. */
  readonly a2aTraceId: string;
  /** The producer's parent step id; undefined for roots (`null`, `""` and absent alike). */
  readonly parentStepId: string | undefined;
  /** `call_type` exactly as sent (string or number), undefined when absent. */
  readonly callType: string | number | undefined;
  /** Normalized call type. */
  readonly kind: CallKind;
  /** Step name (falls back to the tool or agent name, then to the call type). */
  readonly name: string;
  /** `step_type` as sent. */
  readonly stepType: string | undefined;
  /** Tool parameters as sent (any JSON value). */
  readonly parameters: unknown;
  /** Requests as sent (any JSON value, sometimes a string). */
  readonly requests: unknown;
  /** Reported cost, no unit; undefined when absent or null. */
  readonly cost: number | undefined;
  /** Reported total tokens; undefined when absent or null. */
  readonly totalTokens: number | undefined;
  /** Input tokens from `additional_attributes` (`input_tokens` or `prompt_tokens`). */
  readonly inputTokens: number | undefined;
  /** Output tokens from `additional_attributes` (`output_tokens` or `completion_tokens`). */
  readonly outputTokens: number | undefined;
  /** Remaining `additional_attributes`, passed through to the span. */
  readonly additionalAttributes: Readonly<Record<string, unknown>>;
  /** Reported latency in milliseconds. */
  readonly latencyMs: number | undefined;
  /** Start time, when given. */
  readonly start: TraceTimestamp | undefined;
  /** End time, when given (absent for steps in flight). */
  readonly end: TraceTimestamp | undefined;
  /** The step's error, when non-empty. */
  readonly error: StepError | undefined;
  /** Callee URL of an agent invocation. */
  readonly agentUrl: string | undefined;
  /** Callee name of an agent invocation (becomes the nested steps' `service.name`). */
  readonly agentName: string | undefined;
  /** Tool name of a tool invocation. */
  readonly toolName: string | undefined;
  /** The callee's own ResponseTrace, for agent invocations that returned one. */
  readonly nested: A2ATrace | undefined;
}

/** A ResponseTrace after normalization. */
export interface A2ATrace {
  /** The producer's trace id, as sent. */
  readonly traceId: string;
  /** Steps in the order they were listed. */
  readonly steps: readonly A2AStep[];
}

/** A tolerated oddity in the input: accepted, flagged, and reported back to the sender. */
export interface ReadWarning {
  /** Field path of the oddity. */
  readonly path: string;
  /** Stable short code (`zone_assumed`, `duplicate_step_id`, ...). */
  readonly code: string;
  /** What was assumed. */
  readonly message: string;
}
