/**
 * @module One bound on the bytes many concurrent holders together may keep (request bodies being
 * read by ingest, responses the proxy reads for traces), so that many slow or stalled peers cannot
 * add up past what the process can afford.
 */

/** A shared allowance of bytes; holders reserve before they keep bytes and release when they drop them. */
export class ByteBudget {
  private used = 0;

  /**
   * @param capacityBytes Most bytes reserved at once.
   * @param onChange Called with the bytes in use after every change (a gauge).
   */
  constructor(
    readonly capacityBytes: number,
    private readonly onChange: (usedBytes: number) => void = () => {},
  ) {}

  /** Bytes reserved now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Reserves `bytes` when they fit; returns whether they did (nothing is reserved when not). */
  tryReserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.used + bytes > this.capacityBytes) return false;
    this.used += bytes;
    this.onChange(this.used);
    return true;
  }

  /** Gives back `bytes` reserved earlier. */
  release(bytes: number): void {
    if (bytes <= 0) return;
    this.used = Math.max(0, this.used - bytes);
    this.onChange(this.used);
  }
}

/**
 * The bytes one response holds against a {@link ByteBudget}: grows and shrinks to a target, and
 * remembers its peak. {@link releaseAll} MUST be called when the response is done.
 */
export class BudgetedHolding {
  private held = 0;
  private peak = 0;

  constructor(private readonly budget: ByteBudget) {}

  /** Bytes held now. */
  get heldBytes(): number {
    return this.held;
  }

  /** Most bytes held at once so far. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Moves the holding to `bytes`; returns false (holding unchanged) when the growth does not fit the budget. */
  resize(bytes: number): boolean {
    const delta = bytes - this.held;
    if (delta > 0 && !this.budget.tryReserve(delta)) return false;
    if (delta < 0) this.budget.release(-delta);
    this.held = bytes;
    if (bytes > this.peak) this.peak = bytes;
    return true;
  }

  /** Releases everything held. Safe to call twice. */
  releaseAll(): void {
    this.budget.release(this.held);
    this.held = 0;
  }
}
