/**
 * @module Cuts a `text/event-stream` byte stream into whole events (each with the blank line that
 * ends it, WHATWG HTML "event stream interpretation": lines end in CRLF, LF or CR) without decoding
 * it, holding at most one event, and never more than a bound: a longer event passes through as raw bytes.
 */

const LF = 0x0a;
const CR = 0x0d;

/** A piece of the stream, in stream order. */
export interface SseSegment {
  /**
   * `event`: every byte of one event block, the blank line that ends it included (parse it, edit it,
   * or send it as is); `raw`: bytes of a block too large to hold, or the unterminated end of the
   * stream, to send on unread.
   */
  readonly kind: 'event' | 'raw';
  readonly bytes: Buffer;
}

/**
 * Splits a byte stream into event blocks. Feed it with {@link push} and finish with {@link end};
 * concatenating the `bytes` of every segment returned, in order, gives back the input exactly.
 */
export class SseEventFramer {
  private held: Buffer[] = [];
  private heldLength = 0;
  /** The current block outgrew the bound: its bytes are passed through as they come. */
  private overflowing = false;
  private atLineStart = true;
  private lastWasCarriageReturn = false;
  /** A blank line ended in CR at the end of a chunk: the block ends after a LF that may open the next one. */
  private blankLineEndPending = false;
  private oversized = 0;

  /** @param maxEventBytes Most bytes of one event block held; a longer block is passed on as `raw`. */
  constructor(private readonly maxEventBytes: number) {}

  /** Bytes of the unfinished event held now (at most `maxEventBytes`). */
  get pendingBytes(): number {
    return this.heldLength;
  }

  /** Events that were longer than the bound and went through as `raw`. */
  get oversizedEvents(): number {
    return this.oversized;
  }

  /** Takes the next chunk; returns the segments it completed. */
  push(chunk: Uint8Array): SseSegment[] {
    const segments: SseSegment[] = [];
    if (chunk.length === 0) return segments;
    let start = 0;
    let index = 0;
    if (this.blankLineEndPending) {
      this.blankLineEndPending = false;
      if (chunk[0] === LF) {
        index = 1;
        this.lastWasCarriageReturn = false;
      }
      this.endBlock(chunk, start, index, segments);
      start = index;
    }
    for (; index < chunk.length; index++) {
      const byte = chunk[index];
      if (byte === LF) {
        if (this.lastWasCarriageReturn) {
          this.lastWasCarriageReturn = false;
          continue;
        }
        if (this.atLineStart) {
          this.endBlock(chunk, start, index + 1, segments);
          start = index + 1;
        }
        this.atLineStart = true;
      } else if (byte === CR) {
        this.lastWasCarriageReturn = true;
        if (this.atLineStart) {
          if (index + 1 === chunk.length) {
            this.blankLineEndPending = true;
          } else {
            if (chunk[index + 1] === LF) {
              index++;
              this.lastWasCarriageReturn = false;
            }
            this.endBlock(chunk, start, index + 1, segments);
            start = index + 1;
          }
        }
        this.atLineStart = true;
      } else {
        this.lastWasCarriageReturn = false;
        this.atLineStart = false;
      }
    }
    this.append(chunk, start, chunk.length, segments);
    return segments;
  }

  /** Ends the stream: a block ended by a final CR is an event; an unterminated one comes back `raw`. */
  end(): SseSegment[] {
    const segments: SseSegment[] = [];
    if (this.blankLineEndPending) {
      this.blankLineEndPending = false;
      this.endBlock(new Uint8Array(0), 0, 0, segments);
    }
    if (this.heldLength > 0) segments.push({ kind: 'raw', bytes: Buffer.concat(this.held, this.heldLength) });
    this.held = [];
    this.heldLength = 0;
    return segments;
  }

  private append(chunk: Uint8Array, from: number, to: number, segments: SseSegment[]): void {
    if (to <= from) return;
    const bytes = Buffer.from(chunk.subarray(from, to));
    if (this.overflowing) {
      segments.push({ kind: 'raw', bytes });
      return;
    }
    if (this.heldLength + bytes.length > this.maxEventBytes) {
      this.overflowing = true;
      this.oversized++;
      segments.push({ kind: 'raw', bytes: Buffer.concat([...this.held, bytes]) });
      this.held = [];
      this.heldLength = 0;
      return;
    }
    this.held.push(bytes);
    this.heldLength += bytes.length;
  }

  private endBlock(chunk: Uint8Array, from: number, to: number, segments: SseSegment[]): void {
    this.append(chunk, from, to, segments);
    if (this.overflowing) {
      this.overflowing = false;
      return;
    }
    segments.push({ kind: 'event', bytes: Buffer.concat(this.held, this.heldLength) });
    this.held = [];
    this.heldLength = 0;
  }
}
