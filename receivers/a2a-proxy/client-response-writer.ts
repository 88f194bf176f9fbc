/**
 * @module Writes an agent's answer to the client: its status line and headers once (without a reason
 * phrase node will not write), its body under back-pressure, then its trailers and its end.
 */
import type { ServerResponse } from 'node:http';
import { toPairs, withHeader, withoutHopByHop, type RawHeaders } from './raw-headers.js';

/** What the writer asks of the agent's side when the client reads slower than the agent sends. */
export interface BackPressure {
  /** The client's buffer is full: stop reading the agent. */
  readonly pause: () => void;
  /** The client drained its buffer: read the agent again. */
  readonly resume: () => void;
}

/** The status line of the answer being relayed. */
export interface StatusLine {
  readonly status: number;
  /** The agent's reason phrase, if any. */
  readonly statusMessage: string | undefined;
}

/** Writes one answer to the client; the head goes out with the first body bytes at the latest. */
export class ClientResponseWriter {
  private headWritten = false;
  private waitingForDrain = false;

  /**
   * @param headers The headers to write (hop-by-hop ones removed); {@link editHeaders} may change
   * them until the head is written.
   */
  constructor(
    private readonly response: ServerResponse,
    private readonly statusLine: StatusLine,
    private headers: string[],
    private readonly backPressure: BackPressure,
  ) {}

  /** True while the writer waits for the client to drain its buffer. */
  get paused(): boolean {
    return this.waitingForDrain;
  }

  /** Replaces the headers still to be written; they are no longer used once written. */
  editHeaders(edit: (headers: RawHeaders) => string[]): void {
    this.headers = edit(this.headers);
  }

  /** Writes the status line and headers, with `Content-Length` when given; once only. */
  writeHead(contentLength?: number): void {
    if (this.headWritten) return;
    this.headWritten = true;
    const { response, statusLine } = this;
    const headers = contentLength === undefined ? this.headers : withHeader(this.headers, 'Content-Length', String(contentLength));
    try {
      response.writeHead(statusLine.status, statusLine.statusMessage, headers);
    } catch {
      // node writes no reason phrase (or field) it considers invalid, even one it parsed: send without the phrase.
      try {
        response.writeHead(statusLine.status, headers);
      } catch {
        response.destroy();
      }
    }
  }

  /** Writes body bytes (the head first); pauses the agent's side when the client's buffer is full. */
  send(chunks: readonly Buffer[]): void {
    if (chunks.length === 0) return;
    this.writeHead();
    let full = false;
    for (const chunk of chunks) if (chunk.length > 0 && !this.response.write(chunk)) full = true;
    if (!full || this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.backPressure.pause();
    this.response.once('drain', () => {
      this.waitingForDrain = false;
      this.backPressure.resume();
    });
  }

  /** Ends the answer with the agent's end-to-end `rawTrailers`. */
  finish(rawTrailers: RawHeaders): void {
    this.writeHead();
    const trailers = withoutHopByHop(rawTrailers);
    if (trailers.length > 0) {
      try {
        this.response.addTrailers(toPairs(trailers));
      } catch {
        // A trailer node will not encode is dropped; the body is complete.
      }
    }
    this.response.end();
  }
}
