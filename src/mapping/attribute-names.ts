/**
 * @module Every span attribute and event name the mapping writes, in one place (README "Span
 * mapping" documents each). `gen_ai.*` names follow the OpenTelemetry GenAI semantic conventions.
 */

export const ATTR_SERVICE_NAME = 'service.name';

export const ATTR_TRACE_ID = 'a2a.trace.id';
export const ATTR_STEP_ID = 'a2a.step.id';
export const ATTR_STEP_PARENT_ID = 'a2a.step.parent_id';
export const ATTR_STEP_CALL_TYPE = 'a2a.step.call_type';
export const ATTR_STEP_KIND = 'a2a.step.kind';
export const ATTR_STEP_TYPE = 'a2a.step.type';
export const ATTR_STEP_NAME = 'a2a.step.name';
export const ATTR_AGENT_URL = 'a2a.agent.url';
export const ATTR_STEP_LATENCY_MS = 'a2a.step.latency_ms';
export const ATTR_STEP_COST = 'a2a.step.cost';
export const ATTR_STEP_COST_EXCLUSIVE = 'a2a.step.cost.exclusive';
export const ATTR_COST_CURRENCY = 'a2a.cost.currency';
export const ATTR_STEP_TOTAL_TOKENS = 'a2a.step.total_tokens';
export const ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE = 'a2a.step.total_tokens.exclusive';
export const ATTR_STEP_PARAMETERS = 'a2a.step.parameters';
export const ATTR_STEP_REQUESTS = 'a2a.step.requests';
export const ATTR_STEP_ORPHAN = 'a2a.step.orphan';
export const ATTR_STEP_CYCLE_BROKEN = 'a2a.step.cycle_broken';
export const ATTR_STEP_IN_FLIGHT = 'a2a.step.in_flight';
export const ATTR_STEP_TIME_MISSING = 'a2a.step.time_missing';
export const ATTR_STEP_ZONE_ASSUMED = 'a2a.step.time_zone_assumed';
export const ATTR_NESTING_LEVEL = 'a2a.trace.nesting_level';
/** On an AGENT span whose callee's steps are exported by the callee's own sidecar, and linked to. */
export const ATTR_CALLEE_LINKED = 'a2a.callee.linked';
/** On a span link: why it is there. */
export const ATTR_LINK_TYPE = 'a2a.link.type';
/** {@link ATTR_LINK_TYPE} of a link to the root span of a callee's trace. */
export const LINK_TYPE_CALLEE_TRACE = 'callee_trace';

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_USAGE_COST = 'gen_ai.usage.cost';
export const ATTR_GEN_AI_USAGE_TOTAL_TOKENS = 'gen_ai.usage.total_tokens';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';

/** The A2A `contextId` of the envelope a trace came in (GenAI semantic conventions). */
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
/** How a cost was settled: `reported` by the producer, or `computed` from tokens and the price table. */
export const ATTR_COST_SOURCE = 'a2a.cost.source';
/** The price-table row (its `match`) that priced a computed cost, and the table's date. */
export const ATTR_COST_PRICE_RULE = 'a2a.cost.price_rule';
export const ATTR_COST_PRICE_AS_OF = 'a2a.cost.price_as_of';
/** The model of a step whose tokens no price covered ('' when it names none): `a2a_unpriced_tokens_total`. */
export const ATTR_COST_UNPRICED_MODEL = 'a2a.cost.unpriced_model';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';

/** Envelope attributes: on the spans of the outermost trace (task id) and on envelope events. */
export const ATTR_TASK_ID = 'a2a.task.id';
export const ATTR_TASK_STATE = 'a2a.task.state';
export const ATTR_MESSAGE_ID = 'a2a.message.id';
export const ATTR_MESSAGE_ROLE = 'a2a.message.role';
export const ATTR_ARTIFACT_ID = 'a2a.artifact.id';
export const ATTR_ARTIFACT_NAME = 'a2a.artifact.name';

export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
export const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';
export const ATTR_EXCEPTION_TYPE = 'exception.type';

/** Attribute on the start/end events: the timestamp exactly as the producer wrote it. */
export const ATTR_EVENT_TIMESTAMP = 'a2a.timestamp';

export const EVENT_STEP_START = 'a2a.step.start';
export const EVENT_STEP_END = 'a2a.step.end';
export const EVENT_EXCEPTION = 'exception';

/** Envelope events on the root span: a task status's timestamp, and timestamp-extension stamps by owner. */
export const EVENT_TASK_STATUS = 'a2a.task.status';
export const EVENT_TASK_TIMESTAMP = 'a2a.task.timestamp';
export const EVENT_MESSAGE_TIMESTAMP = 'a2a.message.timestamp';
export const EVENT_ARTIFACT_TIMESTAMP = 'a2a.artifact.timestamp';

/**
 * Every name the mapping writes itself (span, event and link attributes, and the resource's
 * `service.name`, which some exporters read from span attributes too). A step's additional attribute
 * by one of these names would overwrite what the collector computed, so {@link passThroughAttributeName}
 * moves it under {@link PASS_THROUGH_RENAME_PREFIX}. Listed one by one: adding a name here is a
 * decision, not a side effect of declaring a constant.
 */
export const MAPPED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  ATTR_SERVICE_NAME,
  ATTR_TRACE_ID,
  ATTR_STEP_ID,
  ATTR_STEP_PARENT_ID,
  ATTR_STEP_CALL_TYPE,
  ATTR_STEP_KIND,
  ATTR_STEP_TYPE,
  ATTR_STEP_NAME,
  ATTR_AGENT_URL,
  ATTR_STEP_LATENCY_MS,
  ATTR_STEP_COST,
  ATTR_STEP_COST_EXCLUSIVE,
  ATTR_COST_CURRENCY,
  ATTR_STEP_TOTAL_TOKENS,
  ATTR_STEP_TOTAL_TOKENS_EXCLUSIVE,
  ATTR_STEP_PARAMETERS,
  ATTR_STEP_REQUESTS,
  ATTR_STEP_ORPHAN,
  ATTR_STEP_CYCLE_BROKEN,
  ATTR_STEP_IN_FLIGHT,
  ATTR_STEP_TIME_MISSING,
  ATTR_STEP_ZONE_ASSUMED,
  ATTR_NESTING_LEVEL,
  ATTR_CALLEE_LINKED,
  ATTR_LINK_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_COST,
  ATTR_GEN_AI_USAGE_TOTAL_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_COST_SOURCE,
  ATTR_COST_PRICE_RULE,
  ATTR_COST_PRICE_AS_OF,
  ATTR_COST_UNPRICED_MODEL,
  ATTR_TASK_ID,
  ATTR_TASK_STATE,
  ATTR_MESSAGE_ID,
  ATTR_MESSAGE_ROLE,
  ATTR_ARTIFACT_ID,
  ATTR_ARTIFACT_NAME,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
]);

/** Where an additional attribute named like a {@link MAPPED_ATTRIBUTE_NAMES} entry is kept. */
export const PASS_THROUGH_RENAME_PREFIX = 'a2a.step.additional_attributes.';

/** The span attribute a step's additional attribute `key` is written as. */
export function passThroughAttributeName(key: string): string {
  return MAPPED_ATTRIBUTE_NAMES.has(key) ? `${PASS_THROUGH_RENAME_PREFIX}${key}` : key;
}

/** Name of the instrumentation scope on every span the collector emits. */
export const SCOPE_NAME = 'a2a-trace-collector';
