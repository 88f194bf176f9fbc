/**
 * @module A list that keeps its first items up to a bound and only counts the rest, so that what an
 * extraction reports stays bounded whatever the input holds.
 */

/** The first `max` items added, and how many more were added past them. */
export class CappedList<T> {
  private readonly kept: T[] = [];
  private leftOutCount = 0;

  constructor(private readonly max: number) {}

  /** Keeps `item` while there is room, else counts it. */
  add(item: T): void {
    if (this.kept.length < this.max) this.kept.push(item);
    else this.leftOutCount++;
  }

  /** Whether the bound is reached: a further item would only be counted. */
  get full(): boolean {
    return this.kept.length >= this.max;
  }

  /** Items added past the bound. */
  get leftOut(): number {
    return this.leftOutCount;
  }

  /** A copy of the items kept, in the order added. */
  items(): T[] {
    return [...this.kept];
  }
}
