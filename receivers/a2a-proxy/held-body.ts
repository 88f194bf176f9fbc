/**
 * @module A response body held whole before it is read, within two bounds: its own size and the
 * bytes all in-flight responses together may hold (the shared budget). The JSON inspectors hold
 * their bodies with it.
 */
import { BudgetedHolding, type ByteBudget } from '../../src/http/byte-budget.js';

/** Why a body is no longer held: it passed its own bound, or the shared budget had no room. */
export type HoldRefusal = 'body_too_large' | 'over_budget';

/**
 * The chunks of one body, reserved against a budget. Once {@link take} or {@link letGo} was called
 * nothing more may be held; {@link release} MUST be called when the body is done.
 */
export class HeldBody {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly holding: BudgetedHolding;

  /**
   * @param budget Shared bound of bytes held by all responses.
   * @param maxBytes Largest body held, in bytes.
   */
  constructor(
    budget: ByteBudget,
    private readonly maxBytes: number,
  ) {
    this.holding = new BudgetedHolding(budget);
  }

  /** Most bytes held at once. */
  get peakBytes(): number {
    return this.holding.peakBytes;
  }

  /** Holds `chunk` too; or, when that would pass a bound, holds nothing more and returns why (see {@link letGo}). */
  hold(chunk: Buffer): HoldRefusal | undefined {
    const length = this.length + chunk.length;
    if (length > this.maxBytes) return 'body_too_large';
    if (!this.holding.resize(length)) return 'over_budget';
    this.chunks.push(chunk);
    this.length = length;
    return undefined;
  }

  /** The body held, as one buffer; its bytes stay reserved until {@link release}. */
  take(): Buffer {
    const body = Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    return body;
  }

  /** Gives up holding: returns the chunks held so far (to pass on unread) and releases their bytes. */
  letGo(): Buffer[] {
    const held = this.chunks;
    this.chunks = [];
    this.holding.releaseAll();
    return held;
  }

  /** Drops the chunks held (a cut body); their bytes stay reserved until {@link release}. */
  discard(): void {
    this.chunks = [];
  }

  /** Releases every byte held. Safe to call twice. */
  release(): void {
    this.holding.releaseAll();
  }
}
