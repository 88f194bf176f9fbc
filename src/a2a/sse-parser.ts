/**
 * @module An incremental `text/event-stream` parser following the WHATWG HTML "event stream
 * interpretation" rules, fed chunk by chunk so a proxy never has to hold a whole stream.
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the event named none. */
  readonly type: string;
  /** The event's `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id in effect when the event was dispatched (`id:` persists across events). */
  readonly lastEventId: string;
  /** 1-based line number of the event's first field line in the stream, for error messages. */
  readonly line: number;
}

/** Options of {@link SseParser}. */
export interface SseParserOptions {
  /**
   * Dispatch the event still pending when the stream ends without its closing blank line. The spec
   * discards it; a saved transcript cut after its last `data:` line still means that event.
   * Default false (the spec's behaviour).
   */
  readonly dispatchUnterminatedEvent?: boolean;
}

const BYTE_ORDER_MARK = 0xfeff;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * Parses an event stream incrementally. Feed it with {@link push} as chunks arrive and call
 * {@link end} once at the end of the stream; each returns the events completed by that input. Chunks
 * may split lines, CRLF pairs and UTF-8 sequences anywhere. Feed either strings or bytes, not both
 * in one stream. After {@link end} the parser is reset and may read a new stream.
 */
export class SseParser {
  private readonly dispatchUnterminatedEvent: boolean;
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly lineEnd = /\r\n|\r|\n/g;
  private byteOrderMarkChecked = false;
  /** The previous chunk ended in CR: a LF opening the next chunk belongs to the same line end. */
  private lastChunkEndedInCarriageReturn = false;
  private readonly partialLine: string[] = [];
  private lineNumber = 0;
  private eventType = '';
  private readonly dataLines: string[] = [];
  private eventLine = 0;
  private lastEventIdBuffer = '';
  private reconnectionTime: number | undefined;

  constructor(options: SseParserOptions = {}) {
    this.dispatchUnterminatedEvent = options.dispatchUnterminatedEvent ?? false;
  }

  /** Reconnection time from the last valid `retry:` field, in milliseconds; undefined until one is seen. */
  get reconnectionTimeMillis(): number | undefined {
    return this.reconnectionTime;
  }

  /** Feeds the next chunk (text, or UTF-8 bytes); returns the events it completed. */
  push(chunk: string | Uint8Array): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    this.feed(text, events);
    return events;
  }

  /** Ends the stream; returns the events still to dispatch and resets the parser. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    this.feed(this.decoder.decode(), events);
    if (this.dispatchUnterminatedEvent) {
      if (this.partialLine.length > 0) this.processLine(this.partialLine.join(''), events);
      this.dispatch(events);
    }
    this.reset();
    return events;
  }

  private reset(): void {
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.byteOrderMarkChecked = false;
    this.lastChunkEndedInCarriageReturn = false;
    this.partialLine.length = 0;
    this.lineNumber = 0;
    this.eventType = '';
    this.dataLines.length = 0;
    this.eventLine = 0;
    this.lastEventIdBuffer = '';
  }

  private feed(input: string, events: SseEvent[]): void {
    let text = input;
    if (text === '') return;
    if (!this.byteOrderMarkChecked) {
      // One leading U+FEFF is ignored, and only at the very start of the stream.
      if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
      this.byteOrderMarkChecked = true;
    }
    let start = 0;
    if (this.lastChunkEndedInCarriageReturn) {
      this.lastChunkEndedInCarriageReturn = false;
      if (text.startsWith('\n')) start = 1;
    }
    const lineEnd = this.lineEnd;
    lineEnd.lastIndex = start;
    for (let match = lineEnd.exec(text); match !== null; match = lineEnd.exec(text)) {
      this.partialLine.push(text.slice(start, match.index));
      const line = this.partialLine.join('');
      this.partialLine.length = 0;
      this.processLine(line, events);
      start = lineEnd.lastIndex;
      // A CR at the end of the chunk may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && start === text.length) this.lastChunkEndedInCarriageReturn = true;
    }
    if (start < text.length) this.partialLine.push(text.slice(start));
  }

  private processLine(line: string, events: SseEvent[]): void {
    this.lineNumber++;
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === COLON) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    if (this.eventLine === 0) this.eventLine = this.lineNumber;
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.dataLines.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.reconnectionTime = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
  }

  private dispatch(events: SseEvent[]): void {
    const line = this.eventLine;
    this.eventLine = 0;
    // An event with no data line (even one of `event:` and `id:` only) is not dispatched.
    if (this.dataLines.length === 0) {
      this.eventType = '';
      return;
    }
    events.push({
      type: this.eventType === '' ? 'message' : this.eventType,
      data: this.dataLines.join('\n'),
      lastEventId: this.lastEventIdBuffer,
      line,
    });
    this.eventType = '';
    this.dataLines.length = 0;
  }
}

/** Parses a whole event stream held in memory. */
export function parseEventStream(text: string, options: SseParserOptions = {}): SseEvent[] {
  const parser = new SseParser(options);
  return [...parser.push(text), ...parser.end()];
}

/**
 * True when `text` reads as an event stream: its first non-blank line is a comment or a
 * `data`/`event`/`id`/`retry` field. Lets a transcript sent with a JSON or text content type through.
 */
export function looksLikeEventStream(text: string): boolean {
  const firstLine = /^\uFEFF?[\r\n]*([^\r\n]*)/.exec(text)?.[1] ?? '';
  return /^(?::|(?:data|event|id|retry)(?::|$))/.test(firstLine);
}
