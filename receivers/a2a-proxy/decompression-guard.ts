/**
 * @module The decompression-bomb guard: reads a content-coded body through a streaming decoder
 * (content-codings.ts) and stops decoding once the body inflates past
 * {@link MAX_DECODED_BYTES_PER_CODED_BYTE} decoded bytes per coded byte, before it costs minutes of
 * CPU. The bound counts the coded bytes zlib consumed, not those queued for it: a fast agent queues
 * the whole body before much of it is inflated.
 */
import type { Decoder } from './content-codings.js';

/**
 * Decoded bytes a coded body may inflate to per coded byte consumed before its decoding stops (never
 * below the guard's floor). Text and JSON compress far less than this; a compression bomb (gzip
 * reaches 1000:1) crosses it early.
 */
export const MAX_DECODED_BYTES_PER_CODED_BYTE = 64;

/** What a {@link GuardedDecoder} tells its reader. */
export interface GuardedDecoderEvents {
  /** Took `bytes` decoded bytes (counted before the bound is checked). */
  readonly onDecodedBytes: (bytes: number) => void;
  /** A decoded chunk within the bound. */
  readonly onData: (chunk: Buffer) => void;
  /** The body inflated past its bound; decoding has stopped. */
  readonly onInflatedTooFar: (codedBytes: number, decodedBytes: number) => void;
  /** The decoder ended: every byte written to it was decoded. */
  readonly onEnd: () => void;
  /** The coded data is corrupt; decoding has stopped. */
  readonly onError: () => void;
}

/** A decoder for one body, bounded by its coded size; once stopped, nothing more reaches the reader. */
export class GuardedDecoder {
  /** Undefined once decoding stopped (bound, error, or {@link stop}). */
  private decoder: Decoder | undefined;
  private decodedBytes = 0;

  /**
   * @param decoder The body's streaming decoder.
   * @param minimumAllowedBytes Decoded bytes always allowed, whatever the coded size (`proxy.max_buffered_bytes`).
   */
  constructor(
    decoder: Decoder,
    private readonly minimumAllowedBytes: number,
    private readonly events: GuardedDecoderEvents,
  ) {
    this.decoder = decoder;
    decoder.on('data', (chunk: Buffer) => this.take(decoder, chunk));
    decoder.on('end', () => events.onEnd());
    decoder.on('error', () => {
      if (this.decoder !== decoder) return;
      this.decoder = undefined;
      events.onError();
    });
  }

  /** True until decoding stopped. */
  get decoding(): boolean {
    return this.decoder !== undefined;
  }

  /** Queues the next coded chunk; ignored once decoding stopped. */
  write(chunk: Buffer): void {
    this.decoder?.write(chunk);
  }

  /** The coded body ended; ignored once decoding stopped. */
  end(): void {
    this.decoder?.end();
  }

  /** Drops the decoder and what it still has queued: no more CPU goes into inflating this body. */
  stop(): void {
    const decoder = this.decoder;
    this.decoder = undefined;
    decoder?.destroy();
  }

  private take(decoder: Decoder, chunk: Buffer): void {
    if (this.decoder !== decoder) return;
    this.decodedBytes += chunk.length;
    this.events.onDecodedBytes(chunk.length);
    const allowed = Math.max(decoder.bytesWritten * MAX_DECODED_BYTES_PER_CODED_BYTE, this.minimumAllowedBytes);
    if (this.decodedBytes > allowed) {
      this.stop();
      this.events.onInflatedTooFar(decoder.bytesWritten, this.decodedBytes);
      return;
    }
    this.events.onData(chunk);
  }
}
