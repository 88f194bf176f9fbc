/**
 * @module Merges the copies of one trace in one body: an agent that streams sends its trace in
 * status-update events as it grows, and again in the final Task. Ingesting every copy would emit
 * spans and count cost more than once. A merged trace remembers its copies ({@link repeatedCopiesOf}),
 * so that a reader can check every one of them before it takes the merge.
 */

/** One copy of a trace, where it was found. */
export interface TraceCopy {
  readonly value: unknown;
  readonly path: string;
}

// Keyed by the merged value, which only mergeRepeatedTraces creates: extraction passes values on, not wrappers.
const copiesOfMerged = new WeakMap<object, readonly TraceCopy[]>();

/**
 * The copies `trace` was merged from, in document order (copies of copies included); `[trace]`
 * itself when it is no merge.
 */
export function repeatedCopiesOf<T extends TraceCopy>(trace: T): readonly TraceCopy[] {
  const value = trace.value;
  return (typeof value === 'object' && value !== null ? copiesOfMerged.get(value) : undefined) ?? [trace];
}

/** The producer's trace id of a raw trace value (`trace_id` or `traceId`), `''` when it has none. */
function rawTraceId(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  const id = record['trace_id'] ?? record['traceId'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

function stepsOf(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const steps = (value as Record<string, unknown>)['steps'];
  return Array.isArray(steps) ? (steps as unknown[]) : undefined;
}

function stepIdOf(step: unknown): string | undefined {
  if (typeof step !== 'object' || step === null) return undefined;
  const record = step as Record<string, unknown>;
  const id = record['step_id'] ?? record['stepId'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** How finished a step version is: ended (an end time) beats timed (a latency) beats in flight. */
function completeness(step: unknown): number {
  if (typeof step !== 'object' || step === null) return 0;
  const record = step as Record<string, unknown>;
  const end = record['end_time'] ?? record['endTime'];
  if (end !== undefined && end !== null && end !== '') return 2;
  const latency = record['latency'];
  return latency !== undefined && latency !== null ? 1 : 0;
}

/**
 * Steps of all copies, each step once. A later copy's version of a step replaces the earlier one in
 * place unless it is less finished (a Task's history, walked after its status, holds older copies
 * in which a step may still be in flight); steps only a later copy has are appended. Steps are
 * matched by id and by which occurrence of that id they are within their copy, so a copy's
 * repeated ids (renamed `id#2` by the reader) are kept. Undefined when a step has no id.
 */
function mergeSteps(copies: readonly unknown[]): unknown[] | undefined {
  const merged = new Map<string, unknown>();
  for (const copy of copies) {
    const occurrences = new Map<string, number>();
    for (const step of stepsOf(copy) ?? []) {
      const id = stepIdOf(step);
      if (id === undefined) return undefined;
      const occurrence = occurrences.get(id) ?? 0;
      occurrences.set(id, occurrence + 1);
      const key = `${occurrence}\u0000${id}`;
      const earlier = merged.get(key);
      if (earlier === undefined || completeness(step) >= completeness(earlier)) merged.set(key, step);
    }
  }
  return [...merged.values()];
}

/**
 * One entry per trace id (traces without an id are all kept). Copies of one id are merged by step
 * (see mergeSteps), and the result stands where the first copy was found. When a copy has a step
 * without an id, the last copy is kept whole (copies cannot be matched step by step).
 */
export function mergeRepeatedTraces<T extends TraceCopy>(traces: readonly T[]): T[] {
  if (traces.length < 2) return [...traces];
  const groups = new Map<string, T[]>();
  for (const trace of traces) {
    const id = rawTraceId(trace.value);
    if (id === '') continue;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [trace]);
    else group.push(trace);
  }
  const kept: T[] = [];
  for (const trace of traces) {
    const id = rawTraceId(trace.value);
    const group = id === '' ? undefined : groups.get(id);
    if (group === undefined || group.length === 1) {
      kept.push(trace);
      continue;
    }
    if (trace !== group[0]) continue;
    const last = group[group.length - 1] as T;
    const steps = mergeSteps(group.map((copy) => copy.value));
    const value = { ...(last.value as Record<string, unknown>), ...(steps === undefined ? {} : { steps }) };
    copiesOfMerged.set(value, group.flatMap((copy) => repeatedCopiesOf(copy)));
    kept.push({ ...trace, value });
  }
  return kept;
}
