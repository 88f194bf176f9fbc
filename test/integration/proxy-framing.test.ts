/**
 * The proxy's pure parts, table by table: SSE event framing under every chunking, event rewriting,
 * trace stripping, extension activation and hop-by-hop header removal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRACEABILITY_EXTENSION_URI as URI, TRACEABILITY_METADATA_KEY as KEY } from '../../src/a2a/extension-keys.js';
import { SseParser, parseEventStream, type SseEvent } from '../../src/a2a/sse-parser.js';
import { activateExtension, withoutExtension } from '../../receivers/a2a-proxy/extension-activation.js';
import { firstLossyNumber } from '../../receivers/a2a-proxy/json-number-fidelity.js';
import { withoutHopByHop } from '../../receivers/a2a-proxy/raw-headers.js';
import { rewriteEventData } from '../../receivers/a2a-proxy/response-inspectors.js';
import { SseEventFramer, type SseSegment } from '../../receivers/a2a-proxy/sse-event-framer.js';
import { stripTraces } from '../../receivers/a2a-proxy/strip-trace.js';

const trace = { trace_id: 't', steps: [{ step_id: 's' }] };

function frame(input: Buffer, chunkSizes: readonly number[], maxEventBytes = 1 << 20): SseSegment[] {
  const framer = new SseEventFramer(maxEventBytes);
  const segments: SseSegment[] = [];
  let offset = 0;
  let turn = 0;
  while (offset < input.length) {
    const size = chunkSizes[turn++ % chunkSizes.length] as number;
    segments.push(...framer.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  segments.push(...framer.end());
  return segments;
}

function eventsOf(segments: readonly SseSegment[]): SseEvent[] {
  const parser = new SseParser();
  return segments.filter((segment) => segment.kind === 'event').flatMap((segment) => parser.push(segment.bytes));
}

describe('SseEventFramer', () => {
  const streams = [
    'data: a\n\ndata: b\n\n',
    'data: a\r\n\r\n: comment\r\nid: 7\r\nevent: status\r\ndata: {"x":\r\ndata: 1}\r\n\r\n',
    'data: a\r\rdata: b\r\r',
    '\uFEFFdata: bom\n\n\n\ndata: after blank lines\r\n\n',
    'data: é ü 😀\n\ndata: unterminated',
    'data: ends in a lone CR\r\r',
    ': only a comment\n\n',
  ];
  const chunkings = [[1], [2], [3], [5, 1], [7, 2, 1], [4096]];

  for (const text of streams) {
    it(`frames ${JSON.stringify(text.slice(0, 24))}… under every chunking into the parser's events, losing no byte`, () => {
      const input = Buffer.from(text, 'utf8');
      const expected = parseEventStream(text);
      for (const sizes of chunkings) {
        const segments = frame(input, sizes);
        assert.deepEqual(Buffer.concat(segments.map((segment) => segment.bytes)), input, `bytes with chunks ${sizes.join(',')}`);
        assert.deepEqual(
          eventsOf(segments).map((event) => [event.type, event.data, event.lastEventId]),
          expected.map((event) => [event.type, event.data, event.lastEventId]),
          `events with chunks ${sizes.join(',')}`,
        );
      }
    });
  }

  it('passes an event over the bound through as raw bytes, holding no more than the bound, and frames the next one', () => {
    const text = `data: ${'x'.repeat(100)}\n\ndata: small\n\n`;
    for (const sizes of [[1], [7], [4096]]) {
      const framer = new SseEventFramer(32);
      const segments: SseSegment[] = [];
      let maxPending = 0;
      for (let offset = 0; offset < text.length; offset += sizes[0] as number) {
        segments.push(...framer.push(Buffer.from(text.slice(offset, offset + (sizes[0] as number)))));
        maxPending = Math.max(maxPending, framer.pendingBytes);
      }
      segments.push(...framer.end());
      assert.ok(maxPending <= 32, `held ${maxPending} bytes`);
      assert.equal(framer.oversizedEvents, 1);
      assert.equal(Buffer.concat(segments.map((segment) => segment.bytes)).toString(), text);
      assert.deepEqual(eventsOf(segments).map((event) => event.data), ['small']);
    }
  });
});

describe('rewriteEventData', () => {
  const cases: Array<[string, string | null, string]> = [
    ['data: {"a":1}\n\n', '{}', 'data: {}\n\n'],
    ['id: 1\r\nevent: x\r\ndata: {"a":\r\ndata: 1}\r\n\r\n', '{}', 'id: 1\r\nevent: x\r\ndata: {}\r\n\r\n'],
    [': c\nid: 2\ndata: {"a":1}\n\n', null, ': c\nid: 2\n\n'],
    ['\uFEFFdata: {"a":1}\n\n', '{}', '\uFEFFdata: {}\n\n'],
    ['data:{"a":1}\ndata\n\n', '{}', 'data: {}\n\n'],
  ];
  for (const [block, data, expected] of cases) {
    it(`${JSON.stringify(block)} with ${JSON.stringify(data)}`, () => {
      assert.equal(rewriteEventData(Buffer.from(block), data).toString(), expected);
    });
  }
});

describe('stripTraces', () => {
  const cases: Array<{ name: string; input: unknown; output: unknown; removed: number; emptiedEvent?: boolean }> = [
    {
      name: 'every traceability key of a metadata, `trace` only when it holds a trace',
      input: { jsonrpc: '2.0', id: 1, result: { kind: 'task', metadata: { [KEY]: trace, [URI]: JSON.stringify(trace), trace: 'a user field', other: 1 } } },
      output: { jsonrpc: '2.0', id: 1, result: { kind: 'task', metadata: { trace: 'a user field', other: 1 } } },
      removed: 2,
    },
    {
      name: 'data and text parts holding a trace (0.3, 1.0 and proto-JSON shapes); an artifact left empty leaves the Task',
      input: {
        task: {
          artifacts: [
            { artifactId: 'answer', parts: [{ text: 'hi' }, { kind: 'data', data: trace }] },
            { artifactId: 'trace', parts: [{ data: { data: trace } }, { text: JSON.stringify(trace) }] },
          ],
        },
      },
      output: { task: { artifacts: [{ artifactId: 'answer', parts: [{ text: 'hi' }] }] } },
      removed: 3,
    },
    {
      name: 'an artifact-update that carried only a trace is emptied',
      input: { statusUpdate: undefined, artifactUpdate: { artifact: { artifactId: 'a', parts: [{ data: trace }] } } },
      output: { statusUpdate: undefined, artifactUpdate: { artifact: { artifactId: 'a', parts: [] } } },
      removed: 1,
      emptiedEvent: true,
    },
    {
      name: 'nested status messages and history',
      input: { kind: 'task', id: 't', status: { message: { metadata: { [KEY]: trace }, parts: [{ text: 'x' }] } }, history: [{ parts: [{ kind: 'data', data: trace }, { text: 'q' }] }] },
      output: { kind: 'task', id: 't', status: { message: { metadata: {}, parts: [{ text: 'x' }] } }, history: [{ parts: [{ text: 'q' }] }] },
      removed: 2,
    },
  ];
  for (const { name, input, output, removed, emptiedEvent } of cases) {
    it(name, () => {
      const before = JSON.stringify(input);
      const result = stripTraces(input);
      assert.deepEqual(result.value, output);
      assert.equal(result.removed, removed);
      assert.equal(result.emptiedEvent, emptiedEvent ?? false);
      assert.equal(JSON.stringify(input), before, 'the input is not modified');
    });
  }

  it('returns a value without traces as the same object', () => {
    const value = { jsonrpc: '2.0', id: 1, result: { kind: 'task', metadata: { a: 1 }, artifacts: [{ parts: [{ text: '{"not":"a trace"}' }] }] } };
    const result = stripTraces(value);
    assert.equal(result.value, value);
    assert.equal(result.removed, 0);
  });
});

describe('firstLossyNumber', () => {
  const cases: Array<[string, string | undefined]> = [
    ['{"jsonrpc":"2.0","id":9007199254740993}', '9007199254740993'],
    ['{"id":9007199254740991,"a":[0,-1,3.14,0.1,1e+21,5e-7,-2.5]}', undefined],
    ['{"amount":1.10}', '1.10'],
    ['[1E3]', '1E3'],
    ['[1e3]', '1e3'],
    ['[-0]', '-0'],
    ['[true,false,null,"-0 1.10 9007199254740993"]', undefined],
    ['{"a\\\\":12345678901234567891}', '12345678901234567891'],
    ['["\\\\\\"1.10\\\\", 2.50]', '2.50'],
    ['["\\"", "\\\\", 7]', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`${text} -> ${String(expected)}`, () => {
      JSON.parse(text);
      assert.equal(firstLossyNumber(text), expected);
    });
  }
});

describe('activateExtension', () => {
  const cases: Array<{ headers: string[]; expected: string[]; requested: boolean; addedTo?: string }> = [
    { headers: [], expected: ['X-A2A-Extensions', URI], requested: false, addedTo: 'X-A2A-Extensions' },
    { headers: ['A2A-Version', '1.0'], expected: ['A2A-Version', '1.0', 'A2A-Extensions', URI], requested: false, addedTo: 'A2A-Extensions' },
    { headers: ['a2a-version', ' 2.1 '], expected: ['a2a-version', ' 2.1 ', 'A2A-Extensions', URI], requested: false, addedTo: 'A2A-Extensions' },
    { headers: ['A2A-Version', '0.3', 'a2a-extensions', 'urn:a,urn:b'], expected: ['A2A-Version', '0.3', 'a2a-extensions', 'urn:a,urn:b', 'X-A2A-Extensions', `urn:a, urn:b, ${URI}`], requested: false, addedTo: 'X-A2A-Extensions' },
    { headers: ['A2A-Version', '1.0', 'A2A-Extensions', 'urn:a', 'A2A-Extensions', 'urn:b'], expected: ['A2A-Version', '1.0', 'A2A-Extensions', 'urn:a', 'A2A-Extensions', `urn:b, ${URI}`], requested: false, addedTo: 'A2A-Extensions' },
    { headers: ['x-a2a-extensions', ''], expected: ['x-a2a-extensions', URI], requested: false, addedTo: 'X-A2A-Extensions' },
    { headers: ['A2A-Version', '1.0', 'X-A2A-Extensions', `urn:a, ${URI}`], expected: ['A2A-Version', '1.0', 'X-A2A-Extensions', `urn:a, ${URI}`], requested: true },
  ];
  for (const { headers, expected, requested, addedTo } of cases) {
    it(`${JSON.stringify(headers)}`, () => {
      const activation = activateExtension(headers, URI);
      assert.deepEqual(activation.headers, expected);
      assert.equal(activation.requestedByClient, requested);
      assert.equal(activation.addedTo, addedTo);
    });
  }

  it('withoutExtension drops the URI from both fields of a response, and fields it empties', () => {
    assert.deepEqual(withoutExtension(['A2A-Extensions', `urn:a, ${URI}`, 'X-A2A-Extensions', URI, 'Other', URI], URI), ['A2A-Extensions', 'urn:a', 'Other', URI]);
  });
});

describe('withoutHopByHop', () => {
  it('drops Connection, what it names, and the fields that always are hop-by-hop; keeps the rest as it was', () => {
    const headers = ['Host', 'h', 'Connection', 'keep-alive, X-Private', 'X-Private', '1', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'x', 'TE', 'trailers', 'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Trailer', 'X-Sum', 'x-other', 'a', 'X-Other', 'b'];
    assert.deepEqual(withoutHopByHop(headers), ['Host', 'h', 'Trailer', 'X-Sum', 'x-other', 'a', 'X-Other', 'b']);
  });
});
