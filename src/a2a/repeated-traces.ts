/**
 * @module Drops repeats of the same trace in one body: an agent that streams sends its trace in a
 * status-update event and again in the final Task. Ingesting both would emit every span twice.
 */

/** The producer's trace id of a raw trace value (`trace_id` or `traceId`), `''` when it has none. */
function rawTraceId(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  const id = record['trace_id'] ?? record['traceId'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

/** JSON with object keys sorted, so two serializations of one value compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Keeps the first of every group of traces with the same trace id and the same content (key order
 * aside); traces that share an id but differ are all kept. Content is compared only between traces
 * whose ids collide, so the common case costs one pass.
 */
export function dropRepeatedTraces<T extends { readonly value: unknown }>(traces: readonly T[]): T[] {
  if (traces.length < 2) return [...traces];
  const idCounts = new Map<string, number>();
  for (const trace of traces) {
    const id = rawTraceId(trace.value);
    idCounts.set(id, (idCounts.get(id) ?? 0) + 1);
  }
  const seen = new Map<string, Set<string>>();
  const kept: T[] = [];
  for (const trace of traces) {
    const id = rawTraceId(trace.value);
    if ((idCounts.get(id) ?? 0) < 2) {
      kept.push(trace);
      continue;
    }
    const content = canonicalJson(trace.value);
    let contents = seen.get(id);
    if (contents === undefined) {
      contents = new Set();
      seen.set(id, contents);
    }
    if (contents.has(content)) continue;
    contents.add(content);
    kept.push(trace);
  }
  return kept;
}
