import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildStepTree, type CostMode, type StepNode } from '../../src/model/step-tree.js';
import type { ReadWarning } from '../../src/model/types.js';
import { readWithDefaultLimits } from '../helpers/component-defaults.js';

function tree(value: unknown, mode: CostMode = 'auto') {
  const warnings: ReadWarning[] = [];
  const result = buildStepTree(readWithDefaultLimits(value).trace, 'host-agent', mode, warnings);
  const byId = new Map(result.nodes.map((node) => [node.step.stepId, node]));
  const node = (id: string): StepNode => {
    const found = byId.get(id);
    assert.ok(found, `no node ${id}`);
    return found;
  };
  return { result, warnings, node };
}

describe('buildStepTree', () => {
  it('links children listed before their parent and orders parents first', () => {
    const { result, node } = tree({
      trace_id: 't',
      steps: [
        { step_id: 'c', parent_step_id: 'b', call_type: 'TOOL' },
        { step_id: 'b', parent_step_id: 'a', call_type: 'AGENT' },
        { step_id: 'a', parent_step_id: null, call_type: 'HOST' },
      ],
    });
    assert.deepEqual(result.nodes.map((n) => n.step.stepId), ['a', 'b', 'c']);
    assert.equal(node('c').parent, node('b'));
    assert.equal(node('b').parent, node('a'));
    assert.deepEqual(result.roots.map((n) => n.step.stepId), ['a']);
  });

  it('makes orphans roots and flags them', () => {
    const { node, warnings } = tree({ trace_id: 't', steps: [{ step_id: 'x', parent_step_id: 'missing', call_type: 'TOOL' }] });
    assert.equal(node('x').parent, undefined);
    assert.equal(node('x').orphan, true);
    assert.deepEqual(warnings.map((w) => [w.path, w.code]), [['steps[0].parent_step_id', 'orphan_step']]);
  });

  it('breaks self-parents and cycles without looping', () => {
    const { result, node, warnings } = tree({
      trace_id: 't',
      steps: [
        { step_id: 'self', parent_step_id: 'self', call_type: 'HOST' },
        { step_id: 'a', parent_step_id: 'c', call_type: 'HOST' },
        { step_id: 'b', parent_step_id: 'a', call_type: 'HOST' },
        { step_id: 'c', parent_step_id: 'b', call_type: 'HOST' },
      ],
    });
    assert.equal(node('self').cycleBroken, true);
    assert.equal(node('self').parent, undefined);
    // Walking from a: a -> c -> b -> a closes at a.
    assert.equal(node('a').cycleBroken, true);
    assert.equal(node('a').parent, undefined);
    assert.equal(node('c').parent, node('b'));
    assert.equal(node('b').parent, node('a'));
    assert.equal(result.nodes.length, 4);
    assert.deepEqual(warnings.map((w) => w.code), ['self_parent', 'parent_cycle']);
  });

  it('hangs a nested trace under its AGENT step, as the callee service', () => {
    const { node } = tree({
      trace_id: 'outer',
      steps: [
        {
          step_id: 'call',
          call_type: 'AGENT',
          step_action: {
            agent_invocation: {
              agent_name: 'weather',
              response_trace: { trace_id: 'inner', steps: [{ step_id: 'r', call_type: 'HOST' }, { step_id: 'o', parent_step_id: 'gone', call_type: 'TOOL' }] },
            },
          },
        },
      ],
    });
    assert.equal(node('call').service, 'host-agent');
    assert.equal(node('r').service, 'weather');
    assert.equal(node('r').parent, node('call'));
    assert.equal(node('r').nestingLevel, 1);
    assert.equal(node('o').parent, node('call'));
    assert.equal(node('o').orphan, true);
  });

  const costTrace = {
    trace_id: 't',
    steps: [
      { step_id: 'p', call_type: 'AGENT', cost: 10, total_tokens: 100 },
      { step_id: 'c1', parent_step_id: 'p', call_type: 'TOOL', cost: 4, total_tokens: 30 },
      { step_id: 'c2', parent_step_id: 'p', call_type: 'TOOL', cost: 6, total_tokens: 80 },
      { step_id: 'q', call_type: 'AGENT', cost: 1 },
      { step_id: 'q1', parent_step_id: 'q', call_type: 'TOOL', cost: 5 },
    ],
  };
  const exclusiveCases: Array<[CostMode, Record<string, [number | undefined, number | undefined]>]> = [
    // p reported inclusively (10 >= 4 + 6) so its own share is 0; its tokens (100 < 110) are its own.
    // q reported less than its child: its cost is its own.
    ['auto', { p: [0, 100], c1: [4, 30], c2: [6, 80], q: [1, undefined], q1: [5, undefined] }],
    ['inclusive', { p: [0, 0], c1: [4, 30], c2: [6, 80], q: [0, undefined], q1: [5, undefined] }],
    ['exclusive', { p: [10, 100], c1: [4, 30], c2: [6, 80], q: [1, undefined], q1: [5, undefined] }],
  ];
  for (const [mode, expected] of exclusiveCases) {
    it(`computes exclusive cost and tokens in ${mode} mode`, () => {
      const { result } = tree(costTrace, mode);
      const actual = Object.fromEntries(result.nodes.map((n) => [n.step.stepId, [n.exclusiveCost, n.exclusiveTokens]]));
      assert.deepEqual(actual, expected);
    });
  }

  const roundingCases: Array<[string, number, number[], Record<string, number>]> = [
    // 0.1 + 0.2 is 0.30000000000000004 in binary: the parent's 0.3 is still inclusive.
    ['0.1 + 0.2 against 0.3', 0.3, [0.1, 0.2], { p: 0, c0: 0.1, c1: 0.2 }],
    // Parallel children listed in completion order: 0.1 + 0.2 + 0.3 is 0.6000000000000001.
    ['children in completion order against 0.6', 0.6, [0.1, 0.2, 0.3], { p: 0, c0: 0.1, c1: 0.2, c2: 0.3 }],
    ['the listing order reversed', 0.6, [0.3, 0.2, 0.1], { p: 0, c0: 0.3, c1: 0.2, c2: 0.1 }],
    // A parent with a share of its own keeps it without rounding noise (0.7 - 0.6000000000000001).
    ['a parent that spent 0.1 itself', 0.7, [0.1, 0.2, 0.3], { p: 0.1, c0: 0.1, c1: 0.2, c2: 0.3 }],
    // Less than the children (beyond the tolerance) is still read as the parent's own cost.
    ['a parent below its children', 0.29, [0.1, 0.2], { p: 0.29, c0: 0.1, c1: 0.2 }],
  ];
  for (const [name, parentCost, childCosts, expected] of roundingCases) {
    it(`reads inclusive parents through binary rounding: ${name}`, () => {
      const steps = [
        ...childCosts.map((cost, i) => ({ step_id: `c${i}`, parent_step_id: 'p', call_type: 'TOOL', cost })),
        { step_id: 'p', call_type: 'AGENT', cost: parentCost },
      ];
      const { result } = tree({ trace_id: 't', steps });
      assert.deepEqual(Object.fromEntries(result.nodes.map((n) => [n.step.stepId, n.exclusiveCost])), expected);
    });
  }
});
