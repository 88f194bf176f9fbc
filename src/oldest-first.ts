/**
 * @module The oldest value of a Map used as a recency list (a value moved to the end on change by
 * delete and set), read from an iterator kept between calls. Map iterators are live: as long as every
 * value the cursor returned is deleted from the Map before the next call, it stands at the oldest. A
 * fresh iterator per call would step again over every slot that deletions and moves emptied at the
 * front of the Map's table, on every request once the ledger or the store is full.
 */
export class OldestFirst<V> {
  private cursor: MapIterator<V> | undefined;

  constructor(private readonly map: Map<unknown, V>) {}

  /** The oldest value; the caller MUST delete it from the map before calling again. */
  next(): V | undefined {
    let step = this.cursor?.next();
    if (step === undefined || step.done === true) {
      this.cursor = this.map.values();
      step = this.cursor.next();
    }
    return step.done === true ? undefined : step.value;
  }
}
