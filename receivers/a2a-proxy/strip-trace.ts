/**
 * @module Removes ResponseTraces from an A2A response or stream event (for `strip_trace`): every
 * placement the extraction reads (a2a/trace-placements.ts walks both), and nothing else. Copy on
 * write: a value with no trace comes back as the same object, and the input is never modified.
 */
import { isObject } from '../../src/model/json-value.js';
import { indexPath } from '../../src/model/field-path.js';
import { walkA2A, type PathSegment, type TracePlacement } from '../../src/a2a/trace-placements.js';

/** What {@link stripTraces} did. */
export interface StripResult {
  /** The value without traces (the input itself when `removed` is 0). */
  readonly value: unknown;
  /** Placements removed: each trace, and each value under a traceability key that cannot be one, counts once. */
  readonly removed: number;
  /**
   * An artifact-update event whose artifact held nothing but traces: the event carries nothing for
   * the client and should be dropped.
   */
  readonly emptiedEvent: boolean;
}

/** The members to delete, as a tree of the segments leading to them. */
interface RemovalTree {
  /** This member goes (whatever is below it). */
  remove: boolean;
  readonly below: Map<PathSegment, RemovalTree>;
}

function removalTree(removals: ReadonlyArray<readonly PathSegment[]>): RemovalTree {
  const root: RemovalTree = { remove: false, below: new Map() };
  for (const segments of removals) {
    let node = root;
    for (const segment of segments) {
      let next = node.below.get(segment);
      if (next === undefined) {
        next = { remove: false, below: new Map() };
        node.below.set(segment, next);
      }
      node = next;
    }
    node.remove = true;
  }
  return root;
}

/** A copy of `value` without the members `tree` names; only the objects and arrays on their way are copied. */
function without(value: unknown, tree: RemovalTree): unknown {
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    const kept: unknown[] = [];
    items.forEach((element, index) => {
      const node = tree.below.get(index);
      if (node === undefined) kept.push(element);
      else if (!node.remove) kept.push(without(element, node));
    });
    return kept;
  }
  if (!isObject(value)) return value;
  const copy = { ...value };
  for (const [key, node] of tree.below) {
    if (typeof key !== 'string' || !Object.hasOwn(value, key)) continue;
    if (node.remove) delete copy[key];
    else copy[key] = without(value[key], node);
  }
  return copy;
}

/**
 * Removes every trace from an A2A value (a JSON-RPC response or a batch of them, a Task, Message,
 * Artifact or stream event of either protocol version): exactly the placements extraction reads,
 * so a trace is either ingested and removed, or neither. A metadata key goes with its trace (an
 * element of a `trace` array that also holds other values goes alone), a part with the trace it
 * holds, and a Task's artifact whose parts are all traces goes whole.
 */
export function stripTraces(value: unknown): StripResult {
  const placements: TracePlacement[] = [];
  const visitor = { placement: (placement: TracePlacement): void => void placements.push(placement) };
  if (Array.isArray(value)) {
    const elements: readonly unknown[] = value;
    elements.forEach((element, index) => walkA2A(element, visitor, { path: indexPath('', index), segments: [index] }));
  } else {
    walkA2A(value, visitor);
  }
  if (placements.length === 0) return { value, removed: 0, emptiedEvent: false };
  return {
    value: without(value, removalTree(placements.map((placement) => placement.removal))),
    removed: placements.length,
    emptiedEvent: placements.some((placement) => placement.emptiesEvent),
  };
}
