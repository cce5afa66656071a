/** Errors thrown by the sequence CRDTs. Each is a named class so callers can `instanceof` them. */

/** A local edit addressed a visible index outside `[0, length]` (or a range past the end). */
export class SequenceRangeError extends Error {
  override readonly name = 'SequenceRangeError';
  constructor(
    readonly index: number,
    readonly count: number,
    readonly length: number,
  ) {
    super(`index ${index} (+${count}) is outside the sequence of length ${length}`);
  }
}

/** `integrate` was called with a run whose origin is unknown (check `canIntegrate` first). */
export class MissingOriginError extends Error {
  override readonly name = 'MissingOriginError';
  constructor(
    readonly replica: number,
    readonly clock: number,
  ) {
    super(`origin ${replica}:${clock} has not been integrated`);
  }
}

/** A run or range violates the seam's invariants (negative length, content length mismatch). */
export class InvalidRunError extends Error {
  override readonly name = 'InvalidRunError';
}
