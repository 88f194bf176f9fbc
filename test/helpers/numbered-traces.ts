/**
 * @module Test helper: numbered three-step traces (a HOST step with a TOOL and an LLM step under
 * it) whose trace and step ids are OTel ids already, so a backend shows them exactly as written and
 * a test can count them by number.
 */

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** The traces of one test file: its own id prefixes, so files never share an id. */
export interface NumberedTraces {
  /** 32 hex digits, first one non-zero, so Jaeger prints the id exactly as written. */
  readonly traceId: (n: number) => string;
  /** The 16-hex step ids of trace `n` (root, tool, llm), which become its span ids as written. */
  readonly stepIds: (n: number) => string[];
  /** The ResponseTrace JSON of trace `n`, its steps timed from `baseMillis` (epoch milliseconds). */
  readonly traceBody: (n: number) => string;
}

/**
 * `tracePrefix` is 8 hex digits (first one non-zero), `stepPrefix` 1 hex digit; step times lie
 * after `baseMillis`, which should be a little in the past so that a backend's search window holds them.
 */
export function numberedTraces(tracePrefix: string, stepPrefix: string, baseMillis: number): NumberedTraces {
  const traceId = (n: number): string => `${tracePrefix}${'0'.repeat(20)}${hex4(n)}`;
  const stepIds = (n: number): string[] => [1, 2, 3].map((k) => `${stepPrefix}${hex4(n)}0000000000${k}`);
  const traceBody = (n: number): string => {
    const at = (offsetMillis: number): string => new Date(baseMillis + n * 10 + offsetMillis).toISOString();
    const [root, tool, llm] = stepIds(n) as [string, string, string];
    return JSON.stringify({
      trace_id: traceId(n),
      steps: [
        { step_id: root, parent_step_id: null, call_type: 'HOST', name: `host-${n}`, start_time: at(0), end_time: at(9) },
        { step_id: tool, parent_step_id: root, call_type: 'TOOL', name: `tool-${n}`, cost: 0.25, start_time: at(1), end_time: at(4) },
        { step_id: llm, parent_step_id: root, call_type: 'LLM', name: `llm-${n}`, cost: 0.5, start_time: at(5), end_time: at(8) },
      ],
    });
  };
  return { traceId, stepIds, traceBody };
}

/** `from` to `to`, both included. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
