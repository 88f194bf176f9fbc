/**
 * @module Resolves a normalized trace into one tree: parents found, orphans and cycles broken and
 * flagged, nested traces hung under their AGENT step, services assigned, and exclusive cost and
 * tokens computed so that nothing is counted twice (DESIGN §3, "Cost that cannot double-count").
 */
import { exclusiveShare, RoundedSum, type CostMode } from './cost-arithmetic.js';
import { propertyPath } from './field-path.js';
import type { PriceQuote, Pricer } from './price-quote.js';
import type { A2AStep, A2ATrace, ReadWarning } from './types.js';

export type { CostMode } from './cost-arithmetic.js';

/** One step in the resolved tree. */
export interface StepNode {
  readonly step: A2AStep;
  /** Parent in the resolved tree (for a nested trace's roots: the AGENT step that called it). */
  parent: StepNode | undefined;
  readonly children: StepNode[];
  /** The service (agent) that ran this step: the root service, or the callee of a nested trace. */
  readonly service: string;
  /** 0 for the ingested trace, n for a trace nested n levels deep. */
  readonly nestingLevel: number;
  /** Named a parent that is not in its trace. */
  orphan: boolean;
  /** Was its own parent, or closed a parent cycle; made a root. */
  cycleBroken: boolean;
  /** Cost not already counted by a child; undefined when the step reported none. */
  exclusiveCost: number | undefined;
  /** Tokens not already counted by a child; undefined when the step reported none. */
  exclusiveTokens: number | undefined;
  /**
   * For a step that reported tokens and a model but no cost: the price of its own tokens (those its
   * children do not report), and `inclusive`, that plus its children's costs. Its
   * {@link exclusiveCost} is then the price.
   */
  computedCost: (PriceQuote & { readonly inclusive: number }) | undefined;
  /**
   * In a nested trace whose callee runs a sidecar of its own: that sidecar counts and exports the
   * step, so this collector neither maps nor counts it (it still takes part in exclusive cost).
   */
  readonly countedElsewhere: boolean;
}

/**
 * Whether the callee of an AGENT step runs a sidecar of its own (`accounting.sidecar_agents`).
 * `callee` is the service name its nested trace would get.
 */
export type CalleeHasSidecar = (step: A2AStep, callee: string) => boolean;

/** The resolved tree of one ingested trace. */
export interface StepTree {
  /** Roots of the ingested (outermost) trace, in listed order. */
  readonly roots: readonly StepNode[];
  /** Every node, parents before children. */
  readonly nodes: readonly StepNode[];
}

/**
 * Builds the tree. `rootService` names the agent that produced the outermost trace. Warnings for
 * orphans and cycles are appended to `warnings`.
 */
export function buildStepTree(
  trace: A2ATrace,
  rootService: string,
  costMode: CostMode,
  warnings: ReadWarning[],
  calleeHasSidecar: CalleeHasSidecar = () => false,
  pricer?: Pricer,
): StepTree {
  const all: StepNode[] = [];
  const roots = linkTrace(trace, undefined, rootService, 0, all, warnings, calleeHasSidecar, false);

  // Breadth-first from the roots gives parents before children without recursion.
  const ordered: StepNode[] = [];
  const queue: StepNode[] = [...roots];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as StepNode;
    ordered.push(node);
    queue.push(...node.children);
  }
  for (let i = ordered.length - 1; i >= 0; i--) {
    const node = ordered[i] as StepNode;
    // A child's cost as its parent's report would include it: reported, else priced.
    const costOf = (child: StepNode): number | undefined => child.step.cost ?? child.computedCost?.inclusive;
    node.computedCost = node.step.cost === undefined && pricer !== undefined ? priceOwnTokens(node, costMode, pricer, costOf) : undefined;
    node.exclusiveCost = node.computedCost?.cost ?? exclusive(node.step.cost, node.children, costOf, costMode);
    node.exclusiveTokens = exclusive(node.step.totalTokens, node.children, (child) => child.step.totalTokens, costMode);
  }
  return { roots, nodes: ordered };
}

function exclusive(
  own: number | undefined,
  children: readonly StepNode[],
  valueOf: (child: StepNode) => number | undefined,
  mode: CostMode,
): number | undefined {
  if (own === undefined) return undefined;
  const childSum = new RoundedSum();
  for (const child of children) childSum.add(valueOf(child) ?? 0);
  return exclusiveShare(own, childSum.value, mode);
}

/** Names of `additional_attributes` that give a step's model, first present wins. */
const MODEL_ATTRIBUTES = ['gen_ai.response.model', 'gen_ai.request.model', 'model'] as const;

/** The model a step names in its `additional_attributes`, if any. */
export function modelOfStep(step: A2AStep): string | undefined {
  for (const key of MODEL_ATTRIBUTES) {
    const value = step.additionalAttributes[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** The price of the tokens a step reports itself, minus what its children report (DESIGN §3, per direction). */
function priceOwnTokens(node: StepNode, mode: CostMode, pricer: Pricer, costOf: (child: StepNode) => number | undefined): StepNode['computedCost'] {
  const { step } = node;
  const model = modelOfStep(step);
  if (model === undefined || (step.inputTokens === undefined && step.outputTokens === undefined)) return undefined;
  const own = (value: number | undefined, ofChild: (child: StepNode) => number | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const childSum = new RoundedSum();
    for (const child of node.children) childSum.add(ofChild(child) ?? 0);
    return exclusiveShare(value, childSum.value, mode);
  };
  const quote = pricer.price(model, { input: own(step.inputTokens, (child) => child.step.inputTokens), output: own(step.outputTokens, (child) => child.step.outputTokens) });
  if (quote === undefined) return undefined;
  const inclusive = new RoundedSum();
  inclusive.add(quote.cost);
  for (const child of node.children) inclusive.add(costOf(child) ?? 0);
  return { ...quote, inclusive: inclusive.value };
}

function linkTrace(
  trace: A2ATrace,
  caller: StepNode | undefined,
  service: string,
  nestingLevel: number,
  all: StepNode[],
  warnings: ReadWarning[],
  calleeHasSidecar: CalleeHasSidecar,
  countedElsewhere: boolean,
): StepNode[] {
  const byId = new Map<string, StepNode>();
  const nodes = trace.steps.map((step) => {
    const node: StepNode = {
      step,
      parent: undefined,
      children: [],
      service,
      nestingLevel,
      orphan: false,
      cycleBroken: false,
      exclusiveCost: undefined,
      exclusiveTokens: undefined,
      computedCost: undefined,
      countedElsewhere,
    };
    if (!byId.has(step.stepId)) byId.set(step.stepId, node);
    all.push(node);
    return node;
  });

  for (const node of nodes) {
    const parentId = node.step.parentStepId;
    if (parentId === undefined) continue;
    if (parentId === node.step.stepId) {
      node.cycleBroken = true;
      warnings.push({ path: propertyPath(node.step.path, 'parent_step_id'), code: 'self_parent', message: 'step is its own parent; made a root' });
      continue;
    }
    const parent = byId.get(parentId);
    if (parent === undefined) {
      node.orphan = true;
      warnings.push({
        path: propertyPath(node.step.path, 'parent_step_id'),
        code: 'orphan_step',
        message: `parent ${JSON.stringify(parentId)} is not in the trace; made a root`,
      });
      continue;
    }
    node.parent = parent;
  }

  breakCycles(nodes, warnings);

  const roots: StepNode[] = [];
  for (const node of nodes) {
    if (node.parent === undefined) {
      node.parent = caller;
      roots.push(node);
    }
    node.parent?.children.push(node);
  }

  for (const node of nodes) {
    const nested = node.step.nested;
    if (nested === undefined) continue;
    const callee = node.step.agentName ?? hostOf(node.step.agentUrl) ?? node.step.name;
    // What a callee's sidecar counts includes the traces it nests in turn.
    const elsewhere = countedElsewhere || calleeHasSidecar(node.step, callee);
    linkTrace(nested, node, callee, nestingLevel + 1, all, warnings, calleeHasSidecar, elsewhere);
  }
  return caller === undefined ? roots : [];
}

/** Walks each parent chain once; a chain that comes back on itself is cut at the step that closes it. */
function breakCycles(nodes: readonly StepNode[], warnings: ReadWarning[]): void {
  const done = new Set<StepNode>();
  for (const start of nodes) {
    const onPath = new Set<StepNode>();
    let node: StepNode | undefined = start;
    while (node !== undefined && !done.has(node)) {
      if (onPath.has(node)) {
        const closing: StepNode = node;
        closing.parent = undefined;
        closing.cycleBroken = true;
        warnings.push({
          path: propertyPath(closing.step.path, 'parent_step_id'),
          code: 'parent_cycle',
          message: 'parent chain loops back to this step; made a root',
        });
        break;
      }
      onPath.add(node);
      node = node.parent;
    }
    for (const visited of onPath) done.add(visited);
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
