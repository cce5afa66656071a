/**
 * PN-Counter: every add is an operation with an integer delta and its own id; the value is the
 * sum of the deltas (increments and decrements kept apart, as in Shapiro et al.'s PN-Counter).
 * Ids make delivery idempotent, so no per-replica vector is needed inside the counter itself.
 */

/** Thrown when a delta is not a safe integer. */
export class InvalidDeltaError extends Error {
  override readonly name = 'InvalidDeltaError';
  constructor(readonly delta: unknown) {
    super(`counter delta must be a safe integer, got ${String(delta)}`);
  }
}

/** The running sums. Invariant: `value === increments - decrements`. */
export class PnCounter {
  private increments = 0;
  private decrements = 0;

  get value(): number {
    return this.increments - this.decrements;
  }

  /** Adds one delta (already deduplicated by the document's clocks). */
  add(delta: number): void {
    if (!Number.isSafeInteger(delta)) throw new InvalidDeltaError(delta);
    if (delta >= 0) this.increments += delta;
    else this.decrements -= delta;
  }
}
