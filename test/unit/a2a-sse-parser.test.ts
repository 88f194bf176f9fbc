import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SseParser, looksLikeEventStream, parseEventStream, type SseEvent } from '../../src/a2a/sse-parser.js';

const event = (data: string, fields: Partial<SseEvent> = {}): SseEvent => ({ type: 'message', data, lastEventId: '', line: 1, ...fields });

/** A stream exercising every rule at once: BOM, comments, CRLF/CR/LF, multi-line data, ids, types, multi-byte text. */
const SAMPLE =
  '\uFEFF: stream opened\r\n' +
  'retry: 1500\r\n' +
  '\r\n' +
  'id: 7\r\n' +
  'event: status\r\n' +
  'data: {"a":\r\n' +
  'data:  "héllo 🌍"}\r\n' +
  '\r\n' +
  ': ping\n' +
  '\n' +
  'data\r' +
  'data: second\r' +
  '\r' +
  'event: ignored-no-data\n' +
  '\n' +
  'data: last\n' +
  '\n';

const SAMPLE_EVENTS: SseEvent[] = [
  { type: 'status', data: '{"a":\n "héllo 🌍"}', lastEventId: '7', line: 4 },
  { type: 'message', data: '\nsecond', lastEventId: '7', line: 11 },
  { type: 'message', data: 'last', lastEventId: '7', line: 16 },
];

describe('SseParser (WHATWG event stream interpretation)', () => {
  const cases: Array<{ name: string; stream: string; events: SseEvent[] }> = [
    { name: 'LF line ends', stream: 'data: a\n\ndata: b\n\n', events: [event('a'), event('b', { line: 3 })] },
    { name: 'CRLF line ends', stream: 'data: a\r\n\r\ndata: b\r\n\r\n', events: [event('a'), event('b', { line: 3 })] },
    { name: 'CR line ends', stream: 'data: a\r\rdata: b\r\r', events: [event('a'), event('b', { line: 3 })] },
    { name: 'comment lines', stream: ': ping\ndata: a\n: inside\n\n:\n\n', events: [event('a', { line: 2 })] },
    { name: 'multi-line data joined with LF', stream: 'data: {"x":\ndata: 1}\n\n', events: [event('{"x":\n1}')] },
    { name: 'one leading space stripped, no more', stream: 'data:  two\ndata:none\n\n', events: [event(' two\nnone')] },
    { name: 'a field name alone is an empty value', stream: 'data\ndata\n\n', events: [event('\n')] },
    { name: 'data: with no value dispatches an empty event', stream: 'data:\n\n', events: [event('')] },
    { name: 'event type applies to one event only', stream: 'event: error\ndata: x\n\ndata: y\n\n', events: [event('x', { type: 'error' }), event('y', { line: 4 })] },
    { name: 'an event without data is not dispatched', stream: 'event: ping\nid: 3\n\ndata: z\n\n', events: [event('z', { lastEventId: '3', line: 4 })] },
    { name: 'id persists and an id with NUL is ignored', stream: 'id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\nid\ndata: c\n\n', events: [event('a', { lastEventId: '1' }), event('b', { lastEventId: '1', line: 4 }), event('c', { line: 7 })] },
    { name: 'unknown fields are ignored', stream: 'foo: bar\ndata: a\n\n', events: [event('a')] },
    { name: 'only a leading BOM is stripped', stream: '\uFEFFdata: a\n\n\uFEFFdata: b\n\n', events: [event('a')] },
    { name: 'an unterminated event is discarded', stream: 'data: a\n\ndata: cut', events: [event('a')] },
  ];
  for (const { name, stream, events } of cases) {
    it(name, () => assert.deepEqual(parseEventStream(stream), events));
  }

  it('dispatches an unterminated event at the end when asked', () => {
    assert.deepEqual(parseEventStream('data: a\n\ndata: cut', { dispatchUnterminatedEvent: true }), [event('a'), event('cut', { line: 3 })]);
    assert.deepEqual(parseEventStream('data: a\ndata: b\n', { dispatchUnterminatedEvent: true }), [event('a\nb')]);
    assert.deepEqual(parseEventStream('data: a\n\n: trailing comment', { dispatchUnterminatedEvent: true }), [event('a')]);
  });

  it('keeps the last valid retry', () => {
    const parser = new SseParser();
    parser.push('retry: 1500\nretry: soon\n\n');
    assert.equal(parser.reconnectionTimeMillis, 1500);
  });

  it('reads the sample stream whole', () => {
    assert.deepEqual(parseEventStream(SAMPLE), SAMPLE_EVENTS);
  });

  it('gives the same events for the sample split in two at every character', () => {
    for (let cut = 0; cut <= SAMPLE.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(SAMPLE.slice(0, cut)), ...parser.push(SAMPLE.slice(cut)), ...parser.end()];
      assert.deepEqual(events, SAMPLE_EVENTS, `cut at ${cut}`);
    }
  });

  it('gives the same events for the sample as UTF-8 bytes split in two at every byte, and fed byte by byte', () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut)), ...parser.end()];
      assert.deepEqual(events, SAMPLE_EVENTS, `cut at byte ${cut}`);
    }
    const parser = new SseParser();
    const events: SseEvent[] = [];
    for (const byte of bytes) events.push(...parser.push(Uint8Array.of(byte)));
    assert.deepEqual([...events, ...parser.end()], SAMPLE_EVENTS);
  });

  it('returns each event as soon as its blank line arrives', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: a\n'), []);
    assert.deepEqual(parser.push('\ndata: b'), [event('a')]);
    assert.deepEqual(parser.push('\n\n'), [event('b', { line: 3 })]);
    assert.deepEqual(parser.end(), []);
  });

  it('is reset by end() and reads a new stream from line 1', () => {
    const parser = new SseParser();
    parser.push('id: 9\ndata: a\n\n');
    parser.end();
    assert.deepEqual([...parser.push('data: b\n\n'), ...parser.end()], [event('b')]);
  });

  it('reads the stream fixtures at every split into the same events', () => {
    for (const name of ['v03-message-stream.sse', 'v10-send-streaming-message.sse']) {
      const text = readFileSync(new URL(`../fixtures/a2a/${name}`, import.meta.url), 'utf8');
      const whole = parseEventStream(text);
      assert.equal(whole.length, 4, name);
      for (const item of whole) assert.doesNotThrow(() => JSON.parse(item.data), `${name} line ${item.line}`);
      const step = Math.max(1, Math.floor(text.length / 400));
      for (let cut = 0; cut <= text.length; cut += step) {
        const parser = new SseParser();
        assert.deepEqual([...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut)), ...parser.end()], whole, `${name} cut at ${cut}`);
      }
    }
  });
});

describe('looksLikeEventStream', () => {
  const cases: Array<[string, boolean]> = [
    ['data: {}\n\n', true],
    [': ping\r\ndata: {}', true],
    ['\n\nevent: message\ndata: x', true],
    ['\uFEFFid: 1\ndata: x', true],
    ['data\n', true],
    ['{"data": 1}', false],
    ['dataset: 1', false],
    ['', false],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} -> ${expected}`, () => assert.equal(looksLikeEventStream(text), expected));
  }
});
