import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanMapper } from '../../src/mapping/to-readable-spans.js';
import { buildStepTree } from '../../src/model/step-tree.js';
import type { TraceTimestamp } from '../../src/model/types.js';
import { PLAIN_TRACEBACK, TWO_FAILING_TASKS } from '../fixtures/python-tracebacks.js';
import { DEFAULT_MAPPING, readWithDefaultLimits } from '../helpers/component-defaults.js';

const RECEIVED: TraceTimestamp = { raw: '', epochSeconds: 1800000000, nanos: 0, zoneAssumed: false };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Status and exception events of the one span a failing tool step maps to. */
function mapError(error: unknown) {
  const trace = readWithDefaultLimits({
    trace_id: TRACE_ID,
    steps: [
      {
        step_id: '1111111111111111',
        parent_step_id: null,
        call_type: 'TOOL',
        name: 'get_rates',
        start_time: '2026-03-10T21:23:14.500000+00:00',
        end_time: '2026-03-10T21:23:14.750000+00:00',
        error,
      },
    ],
  }).trace;
  const tree = buildStepTree(trace, 'currency-agent', 'auto', []);
  const [span] = new SpanMapper(DEFAULT_MAPPING).toReadableSpans({ tree, otelTraceId: TRACE_ID, receivedAt: RECEIVED });
  assert.ok(span);
  return { status: span.status, exceptions: span.events.filter((event) => event.name === 'exception') };
}

describe('SpanMapper.toReadableSpans: step errors', () => {
  it('maps a TaskGroup traceback to the group line, one event for the group and one per leaf', () => {
    assert.deepEqual(mapError(TWO_FAILING_TASKS), {
      status: { code: 2, message: 'ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)' },
      exceptions: [
        {
          name: 'exception',
          time: [1773177794, 750_000_000],
          attributes: {
            'exception.type': 'ExceptionGroup',
            'exception.message': 'unhandled errors in a TaskGroup (2 sub-exceptions)',
            'exception.stacktrace': TWO_FAILING_TASKS,
          },
        },
        {
          name: 'exception',
          time: [1773177794, 750_000_000],
          attributes: {
            'exception.type': 'ValueError',
            'exception.message': 'unknown currency XYZ',
            'exception.stacktrace': [
              'Traceback (most recent call last):',
              '  File "/app/agent.py", line 5, in fetch_rate',
              '    raise ValueError(f"unknown currency {currency}")',
              'ValueError: unknown currency XYZ',
            ].join('\n'),
          },
        },
        {
          name: 'exception',
          time: [1773177794, 750_000_000],
          attributes: {
            'exception.type': 'ConnectionError',
            'exception.message': 'connection refused',
            'exception.stacktrace': [
              'Traceback (most recent call last):',
              '  File "/app/agent.py", line 11, in search_news',
              '    raise ConnectionError("connection refused")',
              'ConnectionError: connection refused',
            ].join('\n'),
          },
        },
      ],
    });
  });

  it('maps a plain traceback to its last line, the text kept exactly as sent', () => {
    assert.deepEqual(mapError(PLAIN_TRACEBACK), {
      status: { code: 2, message: 'ValueError: unknown currency XYZ' },
      exceptions: [
        {
          name: 'exception',
          time: [1773177794, 750_000_000],
          attributes: {
            'exception.type': 'ValueError',
            'exception.message': 'unknown currency XYZ',
            'exception.stacktrace': PLAIN_TRACEBACK,
          },
        },
      ],
    });
  });

  it('writes no exception.message for an exception that has none', () => {
    assert.deepEqual(mapError('Traceback (most recent call last):\n  File "/app/agent.py", line 8, in convert\n    raise TimeoutError()\nTimeoutError\n'), {
      status: { code: 2, message: 'TimeoutError' },
      exceptions: [
        {
          name: 'exception',
          time: [1773177794, 750_000_000],
          attributes: {
            'exception.type': 'TimeoutError',
            'exception.stacktrace': 'Traceback (most recent call last):\n  File "/app/agent.py", line 8, in convert\n    raise TimeoutError()\nTimeoutError\n',
          },
        },
      ],
    });
  });
});
