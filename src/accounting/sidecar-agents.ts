/**
 * @module Which callees run a sidecar of their own (`accounting.sidecar_agents`), so that their
 * nested traces are linked instead of counted twice across a fleet.
 */
import type { CalleeHasSidecar } from '../model/step-tree.js';

/**
 * A predicate over AGENT steps from the configured list: `*` matches every callee, an entry that
 * starts with `http://` or `https://` matches an `agent_url` that starts with it, any other entry
 * matches the callee's name (`agent_name`, else the name its nested trace's service gets) exactly.
 */
export function calleesWithSidecar(entries: readonly string[]): CalleeHasSidecar {
  if (entries.length === 0) return () => false;
  if (entries.includes('*')) return () => true;
  const urlPrefixes = entries.filter((entry) => /^https?:\/\//i.test(entry));
  const agentNames = new Set(entries.filter((entry) => !/^https?:\/\//i.test(entry)));
  return (step, callee) =>
    agentNames.has(step.agentName ?? callee) ||
    agentNames.has(callee) ||
    (step.agentUrl !== undefined && urlPrefixes.some((prefix) => step.agentUrl?.startsWith(prefix) === true));
}
