import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readError } from '../../src/model/read-error.js';
import type { LeafException, StepError } from '../../src/model/types.js';
import {
  BASE_EXCEPTION_GROUP,
  DIRECT_CAUSE,
  DURING_HANDLING,
  NESTED_TASK_GROUPS,
  PLAIN_TRACEBACK,
  RAISED_WHILE_HANDLING_A_GROUP,
  TWELVE_FAILING_TASKS,
  TWO_FAILING_TASKS,
} from '../fixtures/python-tracebacks.js';

/** The leaf `fetch_rate(currency)` raises in the fixtures, as Python wrote its block. */
function fetchRateLeaf(currency: string): LeafException {
  return {
    type: 'ValueError',
    message: `unknown currency ${currency}`,
    stacktrace: [
      'Traceback (most recent call last):',
      '  File "/app/agent.py", line 5, in fetch_rate',
      '    raise ValueError(f"unknown currency {currency}")',
      `ValueError: unknown currency ${currency}`,
    ].join('\n'),
  };
}

const CONNECTION_REFUSED_LEAF: LeafException = {
  type: 'ConnectionError',
  message: 'connection refused',
  stacktrace: [
    'Traceback (most recent call last):',
    '  File "/app/agent.py", line 11, in search_news',
    '    raise ConnectionError("connection refused")',
    'ConnectionError: connection refused',
  ].join('\n'),
};

describe('readError: Python tracebacks', () => {
  const cases: Array<[string, string, StepError]> = [
    [
      'a plain traceback: the last line names the exception',
      PLAIN_TRACEBACK,
      {
        message: 'ValueError: unknown currency XYZ',
        stacktrace: PLAIN_TRACEBACK,
        type: 'ValueError',
        exceptionMessage: 'unknown currency XYZ',
        leafExceptions: [],
      },
    ],
    [
      'a direct cause: the last exception of the chain',
      DIRECT_CAUSE,
      {
        message: 'RuntimeError: rate lookup failed',
        stacktrace: DIRECT_CAUSE,
        type: 'RuntimeError',
        exceptionMessage: 'rate lookup failed',
        leafExceptions: [],
      },
    ],
    [
      'raised during handling: every line of the message, the note included',
      DURING_HANDLING,
      {
        message: 'ValueError: bad amount',
        stacktrace: DURING_HANDLING,
        type: 'ValueError',
        exceptionMessage: "bad amount\nexpected a number, got 'ten'\nwhile reading step parameters",
        leafExceptions: [],
      },
    ],
    [
      'a TaskGroup with two failing tasks: the group, then its leaves',
      TWO_FAILING_TASKS,
      {
        message: 'ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)',
        stacktrace: TWO_FAILING_TASKS,
        type: 'ExceptionGroup',
        exceptionMessage: 'unhandled errors in a TaskGroup (2 sub-exceptions)',
        leafExceptions: [fetchRateLeaf('XYZ'), CONNECTION_REFUSED_LEAF],
      },
    ],
    [
      'nested TaskGroups: leaves depth-first, a message-less leaf, a module-qualified type',
      NESTED_TASK_GROUPS,
      {
        message: 'ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)',
        stacktrace: NESTED_TASK_GROUPS,
        type: 'ExceptionGroup',
        exceptionMessage: 'unhandled errors in a TaskGroup (2 sub-exceptions)',
        leafExceptions: [
          {
            type: 'TimeoutError',
            message: '',
            stacktrace: [
              'Traceback (most recent call last):',
              '  File "/app/agent.py", line 8, in convert',
              '    raise TimeoutError()',
              'TimeoutError',
            ].join('\n'),
          },
          fetchRateLeaf('ABC'),
          {
            type: 'rates_client.UpstreamError',
            message: 'rate service answered 503 for GBP',
            stacktrace: [
              'Traceback (most recent call last):',
              '  File "/app/rates_client.py", line 5, in get_rate',
              '    raise UpstreamError(f"rate service answered 503 for {currency}")',
              'rates_client.UpstreamError: rate service answered 503 for GBP',
            ].join('\n'),
          },
        ],
      },
    ],
    [
      'twelve failing tasks: the first ten leaves are kept',
      TWELVE_FAILING_TASKS,
      {
        message: 'ExceptionGroup: unhandled errors in a TaskGroup (12 sub-exceptions)',
        stacktrace: TWELVE_FAILING_TASKS,
        type: 'ExceptionGroup',
        exceptionMessage: 'unhandled errors in a TaskGroup (12 sub-exceptions)',
        leafExceptions: ['C00', 'C01', 'C02', 'C03', 'C04', 'C05', 'C06', 'C07', 'C08', 'C09'].map(fetchRateLeaf),
      },
    ],
    [
      'a BaseExceptionGroup whose leaves were never raised',
      BASE_EXCEPTION_GROUP,
      {
        message: 'BaseExceptionGroup: agent stopped (2 sub-exceptions)',
        stacktrace: BASE_EXCEPTION_GROUP,
        type: 'BaseExceptionGroup',
        exceptionMessage: 'agent stopped (2 sub-exceptions)',
        leafExceptions: [
          { type: 'KeyboardInterrupt', message: '', stacktrace: 'KeyboardInterrupt' },
          { type: 'ValueError', message: 'half-written reply', stacktrace: 'ValueError: half-written reply' },
        ],
      },
    ],
    [
      'an exception raised while handling a group: the group is context, not the error',
      RAISED_WHILE_HANDLING_A_GROUP,
      {
        message: 'RuntimeError: tools failed',
        stacktrace: RAISED_WHILE_HANDLING_A_GROUP,
        type: 'RuntimeError',
        exceptionMessage: 'tools failed',
        leafExceptions: [],
      },
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(readError(text), expected));
  }

  it('reads CRLF line ends alike and keeps them in the stack trace', () => {
    const crlf = TWO_FAILING_TASKS.replaceAll('\n', '\r\n');
    assert.deepEqual(readError(crlf), {
      message: 'ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)',
      stacktrace: crlf,
      type: 'ExceptionGroup',
      exceptionMessage: 'unhandled errors in a TaskGroup (2 sub-exceptions)',
      leafExceptions: [fetchRateLeaf('XYZ'), CONNECTION_REFUSED_LEAF],
    });
  });

  it('falls back to the last line when the traceback was re-indented', () => {
    const indented = PLAIN_TRACEBACK.replaceAll(/^(?=.)/gm, '    ');
    assert.deepEqual(readError(indented), {
      message: 'ValueError: unknown currency XYZ',
      stacktrace: indented,
      type: 'ValueError',
      exceptionMessage: 'unknown currency XYZ',
      leafExceptions: [],
    });
  });

  it('falls back to the first line when a traceback was cut before its exception', () => {
    const cut = 'Traceback (most recent call last):\n  File "/app/agent.py", line 5, in fetch_rate\n';
    assert.deepEqual(readError(cut), {
      message: 'Traceback (most recent call last):',
      stacktrace: cut,
      type: undefined,
      exceptionMessage: 'Traceback (most recent call last):',
      leafExceptions: [],
    });
  });
});

describe('readError: other texts and shapes', () => {
  const cases: Array<[string, unknown, StepError]> = [
    [
      'a JavaScript stack: its first line, the type split off',
      'TimeoutError: no answer\n    at forecast (/app/forecast.js:12:9)',
      {
        message: 'TimeoutError: no answer',
        stacktrace: 'TimeoutError: no answer\n    at forecast (/app/forecast.js:12:9)',
        type: 'TimeoutError',
        exceptionMessage: 'no answer',
        leafExceptions: [],
      },
    ],
    [
      'a module-qualified type on one line',
      'httpx.ConnectError: All connection attempts failed',
      {
        message: 'httpx.ConnectError: All connection attempts failed',
        stacktrace: 'httpx.ConnectError: All connection attempts failed',
        type: 'httpx.ConnectError',
        exceptionMessage: 'All connection attempts failed',
        leafExceptions: [],
      },
    ],
    [
      'untyped text: the first non-empty line, the text kept untrimmed',
      '\n  upstream refused\ndetails here\n',
      {
        message: 'upstream refused',
        stacktrace: '\n  upstream refused\ndetails here\n',
        type: undefined,
        exceptionMessage: 'upstream refused',
        leafExceptions: [],
      },
    ],
    [
      'an object with type and message',
      { type: 'RateLimit', message: 'slow down' },
      {
        message: 'slow down',
        stacktrace: '{"type":"RateLimit","message":"slow down"}',
        type: 'RateLimit',
        exceptionMessage: 'slow down',
        leafExceptions: [],
      },
    ],
    [
      'an object whose traceback is an exception group',
      { message: 'currency lookup failed', traceback: TWO_FAILING_TASKS },
      {
        message: 'currency lookup failed',
        stacktrace: TWO_FAILING_TASKS,
        type: 'ExceptionGroup',
        exceptionMessage: 'currency lookup failed',
        leafExceptions: [fetchRateLeaf('XYZ'), CONNECTION_REFUSED_LEAF],
      },
    ],
    ['a number', 500, { message: '500', stacktrace: '500', type: undefined, exceptionMessage: '500', leafExceptions: [] }],
    ['true', true, { message: 'error', stacktrace: 'error', type: undefined, exceptionMessage: 'error', leafExceptions: [] }],
  ];
  for (const [name, value, expected] of cases) {
    it(name, () => assert.deepEqual(readError(value), expected));
  }

  it('treats empty values as no error', () => {
    for (const empty of ['', '  \n', null, undefined, false, {}]) assert.equal(readError(empty), undefined);
  });
});
