/**
 * @module Merges the copies of one trace in one body: an agent that streams sends its trace in
 * status-update events as it grows, and again in the final Task. Ingesting every copy would emit
 * spans and count cost more than once.
 */

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

/**
 * Steps of all copies, each step id once: a later copy's version of a step replaces the earlier one
 * in place, steps only a later copy has are appended. Undefined when a step has no id (copies
 * cannot be matched then).
 */
function mergeSteps(copies: readonly unknown[]): unknown[] | undefined {
  const merged = new Map<string, unknown>();
  for (const copy of copies) {
    for (const step of stepsOf(copy) ?? []) {
      const id = stepIdOf(step);
      if (id === undefined) return undefined;
      merged.set(id, step);
    }
  }
  return [...merged.values()];
}

/**
 * One entry per trace id (traces without an id are all kept). Copies of one id are merged by step
 * id, the later copy winning, and the result stands where the first copy was found. When a copy has
 * a step without an id, the last copy is kept whole (copies cannot be matched step by step).
 */
export function dropRepeatedTraces<T extends { readonly value: unknown }>(traces: readonly T[]): T[] {
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
    kept.push(steps === undefined ? { ...trace, value: last.value } : { ...trace, value: { ...(last.value as Record<string, unknown>), steps } });
  }
  return kept;
}
